"""rota: requests carry a note, audit columns and a version (edited on the Staff page)

Revision ID: 0019_rota_requests
Revises: 0018
Create Date: 2026-12-04 16:30:00
"""
from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = '0019_rota_requests'
down_revision: str | None = '0018'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table('rota_request', schema=None) as batch_op:
        batch_op.add_column(
            sa.Column('note', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False,
                      server_default='')
        )
        batch_op.add_column(
            sa.Column('created_at', sa.DateTime(timezone=True), nullable=False,
                      server_default=sa.func.now())
        )
        batch_op.add_column(
            sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False,
                      server_default=sa.func.now())
        )
        batch_op.add_column(
            sa.Column('updated_by', sqlmodel.sql.sqltypes.AutoString(length=255), nullable=False,
                      server_default='system')
        )
        batch_op.add_column(
            sa.Column('version', sa.Integer(), nullable=False, server_default='1')
        )


def downgrade() -> None:
    with op.batch_alter_table('rota_request', schema=None) as batch_op:
        batch_op.drop_column('version')
        batch_op.drop_column('updated_by')
        batch_op.drop_column('updated_at')
        batch_op.drop_column('created_at')
        batch_op.drop_column('note')
