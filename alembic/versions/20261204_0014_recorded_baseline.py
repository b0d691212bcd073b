"""recorded baseline: each trust's projected figures, stored when a scenario is approved

Revision ID: 0014
Revises: 0012
Create Date: 2026-12-04 05:50:00

`recorded_baseline`: one row per trust and week (0..104) of the Dashboard's deterministic
projection of a scenario, written in the transaction that approves it (and for the published
baseline the first time a page asks). Immutable: triggers refuse UPDATE; rows go only with their
scenario or collaborative (ON DELETE CASCADE).
"""
from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op


revision: str = '0014'
down_revision: str | None = '0012'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

POSTGRES_FUNCTION = """
CREATE FUNCTION recorded_baseline_immutable() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'recorded_baseline is immutable: % refused', TG_OP
        USING ERRCODE = 'insufficient_privilege';
END
$$
"""
POSTGRES_TRIGGER = (
    "CREATE TRIGGER recorded_baseline_no_update BEFORE UPDATE ON recorded_baseline "
    "FOR EACH ROW EXECUTE FUNCTION recorded_baseline_immutable()"
)
SQLITE_TRIGGER = (
    "CREATE TRIGGER recorded_baseline_no_update BEFORE UPDATE ON recorded_baseline "
    "BEGIN SELECT RAISE(ABORT, 'recorded_baseline is immutable: UPDATE refused'); END"
)


def upgrade() -> None:
    op.create_table(
        'recorded_baseline',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('collaborative_id', sa.Integer(), nullable=False),
        sa.Column('scenario_id', sa.Integer(), nullable=False),
        sa.Column('scenario_name', sqlmodel.sql.sqltypes.AutoString(length=120), nullable=False),
        sa.Column('approved_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('approved_by', sqlmodel.sql.sqltypes.AutoString(length=255), nullable=False),
        sa.Column('recorded_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('method', sqlmodel.sql.sqltypes.AutoString(length=60), nullable=False),
        sa.Column('ods_code', sqlmodel.sql.sqltypes.AutoString(length=10), nullable=False),
        sa.Column('trust_name', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
        sa.Column('week', sa.Integer(), nullable=False),
        sa.Column('at_date', sa.Date(), nullable=True),
        sa.Column('waiting_list', sa.Float(), nullable=False),
        sa.Column('within_18_weeks_share', sa.Float(), nullable=False),
        sa.Column('over_52_weeks', sa.Float(), nullable=False),
        sa.Column('over_65_weeks', sa.Float(), nullable=False),
        sa.Column('over_78_weeks', sa.Float(), nullable=False),
        sa.CheckConstraint(
            'week >= 0 AND week <= 104', name=op.f('ck_recorded_baseline_week_in_range')
        ),
        sa.CheckConstraint(
            'within_18_weeks_share >= 0 AND within_18_weeks_share <= 1',
            name=op.f('ck_recorded_baseline_share_is_rate'),
        ),
        sa.ForeignKeyConstraint(
            ['collaborative_id'], ['collaborative.id'],
            name=op.f('fk_recorded_baseline_collaborative_id_collaborative'), ondelete='CASCADE',
        ),
        sa.ForeignKeyConstraint(
            ['scenario_id'], ['scenario.id'],
            name=op.f('fk_recorded_baseline_scenario_id_scenario'), ondelete='CASCADE',
        ),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_recorded_baseline')),
        sa.UniqueConstraint(
            'scenario_id', 'approved_at', 'ods_code', 'week',
            name=op.f('uq_recorded_baseline_scenario_id_approved_at_ods_code_week'),
        ),
    )
    with op.batch_alter_table('recorded_baseline', schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f('ix_recorded_baseline_collaborative_id'), ['collaborative_id'], unique=False
        )
        batch_op.create_index(
            batch_op.f('ix_recorded_baseline_scenario_id'), ['scenario_id'], unique=False
        )
    if op.get_bind().dialect.name == 'postgresql':
        op.execute(POSTGRES_FUNCTION)
        op.execute(POSTGRES_TRIGGER)
    else:
        op.execute(SQLITE_TRIGGER)


def downgrade() -> None:
    if op.get_bind().dialect.name == 'postgresql':
        op.execute('DROP TRIGGER IF EXISTS recorded_baseline_no_update ON recorded_baseline')
        op.execute('DROP FUNCTION IF EXISTS recorded_baseline_immutable()')
    else:
        op.execute('DROP TRIGGER IF EXISTS recorded_baseline_no_update')
    with op.batch_alter_table('recorded_baseline', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_recorded_baseline_scenario_id'))
        batch_op.drop_index(batch_op.f('ix_recorded_baseline_collaborative_id'))
    op.drop_table('recorded_baseline')
