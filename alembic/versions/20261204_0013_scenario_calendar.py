"""calendar: a scenario's weekly calendar of capacity and demand changes

Revision ID: 0013
Revises: 0009
Create Date: 2026-12-04 04:45:00

`scenario_calendar_change`: one line per change (a week range and a change: a site closed, a
share of its capacity lost, a site opening with a ramp, demand up or down or growing a year),
applied with England's bank holidays and the seasonal month indices to the weekly profiles of
capacity and demand (docs/rebalance.md, "Real weeks").
"""
from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op


revision: str = '0013'
down_revision: str | None = '0009'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        'scenario_calendar_change',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('scenario_id', sa.Integer(), nullable=False),
        sa.Column('first_week', sa.Integer(), nullable=False),
        sa.Column('last_week', sa.Integer(), nullable=False),
        sa.Column('target', sqlmodel.sql.sqltypes.AutoString(length=10), nullable=False),
        sa.Column('kind', sqlmodel.sql.sqltypes.AutoString(length=10), nullable=False),
        sa.Column('value', sa.Float(), nullable=False),
        sa.Column('site_code', sqlmodel.sql.sqltypes.AutoString(length=20), nullable=True),
        sa.Column('note', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
        sa.Column('created_by', sqlmodel.sql.sqltypes.AutoString(length=255), nullable=False),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            'first_week >= 1 AND first_week <= 104',
            name=op.f('ck_scenario_calendar_change_first_week'),
        ),
        sa.CheckConstraint(
            'last_week >= first_week AND last_week <= 104',
            name=op.f('ck_scenario_calendar_change_last_week'),
        ),
        sa.CheckConstraint(
            "target IN ('capacity', 'demand')",
            name=op.f('ck_scenario_calendar_change_target_is_known'),
        ),
        sa.CheckConstraint(
            "kind IN ('closed', 'percent', 'opens', 'growth')",
            name=op.f('ck_scenario_calendar_change_kind_is_known'),
        ),
        sa.ForeignKeyConstraint(
            ['scenario_id'], ['scenario.id'],
            name=op.f('fk_scenario_calendar_change_scenario_id_scenario'), ondelete='CASCADE',
        ),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_scenario_calendar_change')),
    )
    with op.batch_alter_table('scenario_calendar_change', schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f('ix_scenario_calendar_change_scenario_id'), ['scenario_id'], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table('scenario_calendar_change', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_scenario_calendar_change_scenario_id'))
    op.drop_table('scenario_calendar_change')
