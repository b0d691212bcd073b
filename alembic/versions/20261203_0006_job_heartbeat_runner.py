"""jobs: heartbeat, runner, requester id, one active run per scenario and kind

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-03 19:00:00
"""
from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op


revision: str = '0006'
down_revision: str | None = '0005'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

ACTIVE = sa.text("status IN ('queued', 'running')")


def upgrade() -> None:
    # Runs left active by the old in-page runner can never finish now: end them first, so the
    # one-active-run index can be built.
    op.execute(
        "UPDATE solve_job SET status = 'failed', "
        "message = 'Ended by the upgrade to service-run jobs; start it again.' "
        "WHERE status IN ('queued', 'running')"
    )
    with op.batch_alter_table('solve_job', schema=None) as batch_op:
        batch_op.add_column(sa.Column('requested_by_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('heartbeat_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(
            sa.Column('runner', sqlmodel.sql.sqltypes.AutoString(length=300), nullable=False,
                      server_default='')
        )
        batch_op.create_foreign_key(
            batch_op.f('fk_solve_job_requested_by_id_user_account'), 'user_account',
            ['requested_by_id'], ['id'],
        )
        batch_op.create_index(
            'uq_solve_job_one_active', ['scenario_id', 'kind'], unique=True,
            sqlite_where=ACTIVE, postgresql_where=ACTIVE,
        )


def downgrade() -> None:
    with op.batch_alter_table('solve_job', schema=None) as batch_op:
        batch_op.drop_index('uq_solve_job_one_active')
        batch_op.drop_constraint(
            batch_op.f('fk_solve_job_requested_by_id_user_account'), type_='foreignkey'
        )
        batch_op.drop_column('runner')
        batch_op.drop_column('heartbeat_at')
        batch_op.drop_column('requested_by_id')
