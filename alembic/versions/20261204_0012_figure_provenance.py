"""figure provenance: published, estimated (with its rule) or local, per figure of a scenario

Revision ID: 0012
Revises: 0013
Create Date: 2026-12-04 05:00:00

`figure_provenance` says where each figure of a scenario's capacity model came from, so that
the scenario page can show which are estimated (docs/onboarding.md).
"""
from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op


revision: str = '0012'
down_revision: str | None = '0013'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        'figure_provenance',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('scenario_id', sa.Integer(), nullable=False),
        sa.Column('entity', sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
        sa.Column('entity_key', sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
        sa.Column('field', sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
        sa.Column('kind', sqlmodel.sql.sqltypes.AutoString(length=12), nullable=False),
        sa.Column('rule', sqlmodel.sql.sqltypes.AutoString(length=2000), nullable=False),
        sa.Column('recorded_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('recorded_by', sqlmodel.sql.sqltypes.AutoString(length=255), nullable=False),
        sa.CheckConstraint(
            "kind IN ('published', 'estimated', 'local')",
            name=op.f('ck_figure_provenance_kind_is_known'),
        ),
        sa.ForeignKeyConstraint(
            ['scenario_id'], ['scenario.id'],
            name=op.f('fk_figure_provenance_scenario_id_scenario'), ondelete='CASCADE',
        ),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_figure_provenance')),
        sa.UniqueConstraint(
            'scenario_id', 'entity', 'entity_key', 'field',
            name=op.f('uq_figure_provenance_scenario_id_entity_entity_key_field'),
        ),
    )
    with op.batch_alter_table('figure_provenance', schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f('ix_figure_provenance_scenario_id'), ['scenario_id'], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table('figure_provenance', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_figure_provenance_scenario_id'))
    op.drop_table('figure_provenance')
