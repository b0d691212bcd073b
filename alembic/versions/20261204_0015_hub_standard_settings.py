"""hubs: each elective hub's own figures against GIRFT's hub standards

Revision ID: 0015
Revises: 0011
Create Date: 2026-12-04 13:50:00
"""
from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = '0015'
down_revision: str | None = '0011'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('hub_standard_setting',
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_by', sqlmodel.sql.sqltypes.AutoString(length=255), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('scenario_id', sa.Integer(), nullable=False),
    sa.Column('site_id', sa.Integer(), nullable=False),
    sa.Column('operating_days_per_week', sa.Integer(), nullable=False),
    sa.Column('operating_weeks_per_year', sa.Integer(), nullable=False),
    sa.Column('utilisation_definition', sqlmodel.sql.sqltypes.AutoString(length=10), nullable=False),
    sa.Column('day_case_rate', sa.Numeric(precision=4, scale=3), nullable=False),
    sa.Column('cataracts_per_list', sa.Integer(), nullable=False),
    sa.CheckConstraint('cataracts_per_list >= 0 AND cataracts_per_list <= 30', name=op.f('ck_hub_standard_setting_cataracts_per_list')),
    sa.CheckConstraint('day_case_rate >= 0 AND day_case_rate <= 1', name=op.f('ck_hub_standard_setting_day_case_rate_is_rate')),
    sa.CheckConstraint('operating_days_per_week >= 1 AND operating_days_per_week <= 7', name=op.f('ck_hub_standard_setting_operating_days')),
    sa.CheckConstraint('operating_weeks_per_year >= 1 AND operating_weeks_per_year <= 52', name=op.f('ck_hub_standard_setting_operating_weeks')),
    sa.CheckConstraint("utilisation_definition IN ('capped', 'uncapped')", name=op.f('ck_hub_standard_setting_utilisation_definition')),
    sa.ForeignKeyConstraint(['scenario_id'], ['scenario.id'], name=op.f('fk_hub_standard_setting_scenario_id_scenario'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['site_id'], ['site.id'], name=op.f('fk_hub_standard_setting_site_id_site'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_hub_standard_setting')),
    sa.UniqueConstraint('scenario_id', 'site_id', name=op.f('uq_hub_standard_setting_scenario_id_site_id'))
    )
    with op.batch_alter_table('hub_standard_setting', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_hub_standard_setting_scenario_id'), ['scenario_id'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('hub_standard_setting', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_hub_standard_setting_scenario_id'))
    op.drop_table('hub_standard_setting')
