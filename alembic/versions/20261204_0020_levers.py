"""levers: validation shares and independent-sector prices per scenario and treatment function

Revision ID: 0020_levers
Revises: 0019_rota_requests
Create Date: 2026-12-04 16:15:00

`validation_setting`: one row per scenario and treatment function whose planners set the share of
the waiting list validation removes a year (0 to 50%); without a row the projection keeps the
observed removal rate (docs/projections.md, "Validation").
`independent_sector_price`: the price per case of a treatment function bought from independent
providers, from which the rebalancing plan's spend is reported (docs/rebalance.md).
"""
from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = '0020_levers'
down_revision: str | None = '0019_rota_requests'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('validation_setting',
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_by', sqlmodel.sql.sqltypes.AutoString(length=255), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('scenario_id', sa.Integer(), nullable=False),
    sa.Column('tfc', sqlmodel.sql.sqltypes.AutoString(length=6), nullable=False),
    sa.Column('share_per_year', sa.Numeric(precision=4, scale=3), nullable=False),
    sa.CheckConstraint('share_per_year >= 0 AND share_per_year <= 0.5', name=op.f('ck_validation_setting_share_per_year_range')),
    sa.ForeignKeyConstraint(['scenario_id'], ['scenario.id'], name=op.f('fk_validation_setting_scenario_id_scenario'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['tfc'], ['treatment_function.code'], name=op.f('fk_validation_setting_tfc_treatment_function')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_validation_setting')),
    sa.UniqueConstraint('scenario_id', 'tfc', name=op.f('uq_validation_setting_scenario_id_tfc'))
    )
    with op.batch_alter_table('validation_setting', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_validation_setting_scenario_id'), ['scenario_id'], unique=False)
    op.create_table('independent_sector_price',
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_by', sqlmodel.sql.sqltypes.AutoString(length=255), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('scenario_id', sa.Integer(), nullable=False),
    sa.Column('tfc', sqlmodel.sql.sqltypes.AutoString(length=6), nullable=False),
    sa.Column('price_per_case', sa.Numeric(precision=9, scale=2), nullable=False),
    sa.CheckConstraint('price_per_case >= 0 AND price_per_case <= 100000', name=op.f('ck_independent_sector_price_price_per_case_range')),
    sa.ForeignKeyConstraint(['scenario_id'], ['scenario.id'], name=op.f('fk_independent_sector_price_scenario_id_scenario'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['tfc'], ['treatment_function.code'], name=op.f('fk_independent_sector_price_tfc_treatment_function')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_independent_sector_price')),
    sa.UniqueConstraint('scenario_id', 'tfc', name=op.f('uq_independent_sector_price_scenario_id_tfc'))
    )
    with op.batch_alter_table('independent_sector_price', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_independent_sector_price_scenario_id'), ['scenario_id'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('independent_sector_price', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_independent_sector_price_scenario_id'))
    op.drop_table('independent_sector_price')
    with op.batch_alter_table('validation_setting', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_validation_setting_scenario_id'))
    op.drop_table('validation_setting')
