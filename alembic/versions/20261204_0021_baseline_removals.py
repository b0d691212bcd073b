"""baseline removals: patients treated and removed by validation, recorded with the baseline

Revision ID: 0021_baseline_removals
Revises: 0020_levers
Create Date: 2026-12-04 20:10:00

`recorded_baseline.treated_to_week` and `removed_by_validation_to_week`: each trust's patients
treated and removed by validation in weeks 1 to the row's week of the recorded projection, kept
apart, so a plan that shortens a trust's list only by assuming more validation is not called
better than the baseline (issue 15 §4). Rows recorded before this revision keep NULL: the
approval did not record these figures, and pages say so rather than invent them. Adding nullable
columns rewrites no row, so the triggers that refuse UPDATE (0014) stay as they are.
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0021_baseline_removals'
down_revision: str | None = '0020_levers'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column('recorded_baseline', sa.Column('treated_to_week', sa.Float(), nullable=True))
    op.add_column(
        'recorded_baseline', sa.Column('removed_by_validation_to_week', sa.Float(), nullable=True)
    )


def downgrade() -> None:
    # Plain DROP COLUMN (SQLite 3.35+ and PostgreSQL), not a batch copy: copying the table would
    # lose its no-update trigger.
    op.drop_column('recorded_baseline', 'removed_by_validation_to_week')
    op.drop_column('recorded_baseline', 'treated_to_week')
