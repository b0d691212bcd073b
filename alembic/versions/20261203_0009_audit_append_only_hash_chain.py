"""audit: append-only audit_event (triggers) with a SHA-256 hash chain

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-03 20:00:00
"""
from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

from ics_capacity.db.audit_chain import GENESIS, HASHED_FIELDS, row_hash

revision: str = '0009'
down_revision: str | None = '0008'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

POSTGRES_FUNCTION = """
CREATE FUNCTION audit_event_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'audit_event is append-only: % refused', TG_OP
        USING ERRCODE = 'insufficient_privilege';
END
$$
"""
POSTGRES_TRIGGERS = (
    "CREATE TRIGGER audit_event_no_change BEFORE UPDATE OR DELETE ON audit_event "
    "FOR EACH ROW EXECUTE FUNCTION audit_event_append_only()",
    "CREATE TRIGGER audit_event_no_truncate BEFORE TRUNCATE ON audit_event "
    "FOR EACH STATEMENT EXECUTE FUNCTION audit_event_append_only()",
)
SQLITE_TRIGGERS = (
    "CREATE TRIGGER audit_event_no_update BEFORE UPDATE ON audit_event "
    "BEGIN SELECT RAISE(ABORT, 'audit_event is append-only: UPDATE refused'); END",
    "CREATE TRIGGER audit_event_no_delete BEFORE DELETE ON audit_event "
    "BEGIN SELECT RAISE(ABORT, 'audit_event is append-only: DELETE refused'); END",
)


def upgrade() -> None:
    with op.batch_alter_table('audit_event', schema=None) as batch_op:
        batch_op.add_column(sa.Column(
            'prev_hash', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False,
            server_default=''))
        batch_op.add_column(sa.Column(
            'row_hash', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False,
            server_default=''))
    # Link the rows already there, oldest first, exactly as the app links new ones.
    connection = op.get_bind()
    columns = ', '.join(('id', *HASHED_FIELDS))
    rows = connection.execute(sa.text(f'SELECT {columns} FROM audit_event ORDER BY id')).all()
    previous = GENESIS
    for row in rows:
        current = row_hash(previous, row._mapping)
        connection.execute(
            sa.text('UPDATE audit_event SET prev_hash = :prev, row_hash = :hash WHERE id = :id'),
            {'prev': previous, 'hash': current, 'id': row.id},
        )
        previous = current
    with op.batch_alter_table('audit_event', schema=None) as batch_op:
        batch_op.alter_column('prev_hash', server_default=None)
        batch_op.alter_column('row_hash', server_default=None)
    if connection.dialect.name == 'postgresql':
        op.execute(POSTGRES_FUNCTION)
        for statement in POSTGRES_TRIGGERS:
            op.execute(statement)
    else:
        for statement in SQLITE_TRIGGERS:
            op.execute(statement)


def downgrade() -> None:
    if op.get_bind().dialect.name == 'postgresql':
        op.execute('DROP TRIGGER IF EXISTS audit_event_no_truncate ON audit_event')
        op.execute('DROP TRIGGER IF EXISTS audit_event_no_change ON audit_event')
        op.execute('DROP FUNCTION IF EXISTS audit_event_append_only()')
    else:
        op.execute('DROP TRIGGER IF EXISTS audit_event_no_delete')
        op.execute('DROP TRIGGER IF EXISTS audit_event_no_update')
    with op.batch_alter_table('audit_event', schema=None) as batch_op:
        batch_op.drop_column('row_hash')
        batch_op.drop_column('prev_hash')
