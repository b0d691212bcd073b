"""worker answers: the scenario page's impact, the capacity question, a target, the board pack

Revision ID: 0023_worker_answers
Revises: 0022_projection_view
Create Date: 2026-12-05 06:30:00

Issue 19: with a job queue, the other projections a page asks for (the scenario page's impact
at the next year end, the Dashboard's capacity question and a target a member adds) are computed
by the solver workers too, through the same `projection_view` rows, and so is the board pack's
rendering (charts to SVG, the A4 PDF). `kind` says what a row asks
for ('dashboard' for the rows before this revision) and `params` the checked figures it needs.
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel

from alembic import op

revision: str = "0023_worker_answers"
down_revision: str | None = "0022_projection_view"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("projection_view", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column(
                "kind",
                sqlmodel.sql.sqltypes.AutoString(length=20),
                server_default="dashboard",
                nullable=False,
            )
        )
        batch_op.add_column(sa.Column("params", sa.Text(), nullable=True))
        batch_op.create_check_constraint(
            batch_op.f("ck_projection_view_kind_is_known"),
            "kind IN ('dashboard', 'impact', 'capacity', 'targets', 'board_pack')",
        )


def downgrade() -> None:
    with op.batch_alter_table("projection_view", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("ck_projection_view_kind_is_known"), type_="check")
        batch_op.drop_column("params")
        batch_op.drop_column("kind")
