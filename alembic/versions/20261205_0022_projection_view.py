"""projection view: Dashboard views computed by the solver workers, shared by the web processes

Revision ID: 0022_projection_view
Revises: 0021_baseline_removals
Create Date: 2026-12-05 02:30:00

In production a web process no longer projects a scenario on a cache miss (its pandas work holds
the interpreter and stalls every page): it adds a `queued` row under the hash of the view's
content key, a solver worker computes the view and writes it to the row, and every web process
reads it from there. Not a record users see: old rows are pruned.
"""
from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = '0022_projection_view'
down_revision: str | None = '0021_baseline_removals'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        'projection_view',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('key_hash', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column('scenario_id', sa.Integer(), nullable=False),
        sa.Column('horizon_weeks', sa.Integer(), nullable=False),
        sa.Column('status', sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
        sa.Column('message', sqlmodel.sql.sqltypes.AutoString(length=500), nullable=False),
        sa.Column('payload', sa.Text(), nullable=True),
        sa.Column('trust_charts', sa.Text(), nullable=True),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('started_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('finished_at', sa.DateTime(timezone=True), nullable=True),
        sa.CheckConstraint(
            "status IN ('queued', 'running', 'done', 'failed')",
            name=op.f('ck_projection_view_status_is_known')),
        sa.ForeignKeyConstraint(['scenario_id'], ['scenario.id'], name=op.f('fk_projection_view_scenario_id_scenario'), ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_projection_view')),
        sa.UniqueConstraint('key_hash', name=op.f('uq_projection_view_key_hash')),
    )
    with op.batch_alter_table('projection_view', schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f('ix_projection_view_scenario_id'), ['scenario_id'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('projection_view', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_projection_view_scenario_id'))
    op.drop_table('projection_view')
