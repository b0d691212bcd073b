"""rota: published rotas (read-only snapshots, one current per scenario and period)

Revision ID: 0018
Revises: 0017
Create Date: 2026-12-04 15:00:00
"""
from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = '0018'
down_revision: str | None = '0017'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        'published_rota',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('scenario_id', sa.Integer(), nullable=False),
        sa.Column('first_date', sa.Date(), nullable=False),
        sa.Column('last_date', sa.Date(), nullable=False),
        sa.Column('job_id', sa.Integer(), nullable=True),
        sa.Column('published_by', sqlmodel.sql.sqltypes.AutoString(length=255), nullable=False),
        sa.Column('published_by_id', sa.Integer(), nullable=True),
        sa.Column('published_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('superseded_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('superseded_by_id', sa.Integer(), nullable=True),
        sa.Column('outcome', sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(['job_id'], ['solve_job.id'], name=op.f('fk_published_rota_job_id_solve_job'), ondelete='SET NULL'),
        sa.ForeignKeyConstraint(['published_by_id'], ['user_account.id'], name=op.f('fk_published_rota_published_by_id_user_account')),
        sa.ForeignKeyConstraint(['scenario_id'], ['scenario.id'], name=op.f('fk_published_rota_scenario_id_scenario'), ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_published_rota')),
    )
    with op.batch_alter_table('published_rota', schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f('ix_published_rota_scenario_id'), ['scenario_id'], unique=False)
        batch_op.create_index(
            'uq_published_rota_current', ['scenario_id', 'first_date', 'last_date'], unique=True,
            sqlite_where=sa.text('superseded_at IS NULL'),
            postgresql_where=sa.text('superseded_at IS NULL'))


def downgrade() -> None:
    with op.batch_alter_table('published_rota', schema=None) as batch_op:
        batch_op.drop_index('uq_published_rota_current')
        batch_op.drop_index(batch_op.f('ix_published_rota_scenario_id'))
    op.drop_table('published_rota')
