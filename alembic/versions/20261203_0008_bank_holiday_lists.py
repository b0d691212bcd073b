"""rota: theatre lists on bank holidays per site (opt-in); a job's "stop early" request

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-03 21:00:00

`site.bank_holiday_lists`: a hub that runs theatre lists on England's bank holidays (off by
default: the rota then needs no list cover on those dates). `solve_job.stop_requested_by`: who
asked a running build to stop and keep the best rota found so far ("good enough, stop now").
"""
from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op


revision: str = '0008'
down_revision: str | None = '0007'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table('site', schema=None) as batch_op:
        batch_op.add_column(
            sa.Column('bank_holiday_lists', sa.Boolean(), nullable=False,
                      server_default=sa.false())
        )
    with op.batch_alter_table('solve_job', schema=None) as batch_op:
        batch_op.add_column(
            sa.Column('stop_requested_by', sqlmodel.sql.sqltypes.AutoString(length=255),
                      nullable=True)
        )


def downgrade() -> None:
    with op.batch_alter_table('solve_job', schema=None) as batch_op:
        batch_op.drop_column('stop_requested_by')
    with op.batch_alter_table('site', schema=None) as batch_op:
        batch_op.drop_column('bank_holiday_lists')
