"""accounts: sign-in throttle per account and address, forced password change, session details

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-03 20:00:00
"""
from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op


revision: str = '0007'
down_revision: str | None = '0006'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # Failed sign-ins are counted per account and per client address in a table that every
    # worker reads, with back-off instead of the hard lock that anyone could trigger.
    op.create_table('sign_in_throttle',
    sa.Column('key', sqlmodel.sql.sqltypes.AutoString(length=100), nullable=False),
    sa.Column('failures', sa.Integer(), nullable=False),
    sa.Column('last_failure_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('blocked_until', sa.DateTime(timezone=True), nullable=True),
    sa.CheckConstraint('failures >= 0', name=op.f('ck_sign_in_throttle_failures_non_negative')),
    sa.PrimaryKeyConstraint('key', name=op.f('pk_sign_in_throttle'))
    )
    with op.batch_alter_table('sign_in_throttle', schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f('ix_sign_in_throttle_last_failure_at'), ['last_failure_at'], unique=False
        )
    with op.batch_alter_table('user_account', schema=None) as batch_op:
        batch_op.add_column(
            sa.Column('must_change_password', sa.Boolean(), nullable=False,
                      server_default=sa.false())
        )
        batch_op.drop_constraint(
            batch_op.f('ck_user_account_failed_sign_ins_non_negative'), type_='check'
        )
        batch_op.drop_column('locked_until')
        batch_op.drop_column('failed_sign_ins')
    with op.batch_alter_table('auth_session', schema=None) as batch_op:
        batch_op.add_column(
            sa.Column('client_address', sqlmodel.sql.sqltypes.AutoString(length=64),
                      nullable=False, server_default='')
        )
        batch_op.add_column(
            sa.Column('user_agent', sqlmodel.sql.sqltypes.AutoString(length=300),
                      nullable=False, server_default='')
        )


def downgrade() -> None:
    with op.batch_alter_table('auth_session', schema=None) as batch_op:
        batch_op.drop_column('user_agent')
        batch_op.drop_column('client_address')
    with op.batch_alter_table('user_account', schema=None) as batch_op:
        batch_op.add_column(
            sa.Column('failed_sign_ins', sa.Integer(), nullable=False, server_default='0')
        )
        batch_op.add_column(sa.Column('locked_until', sa.DateTime(timezone=True), nullable=True))
        batch_op.create_check_constraint(
            batch_op.f('ck_user_account_failed_sign_ins_non_negative'), 'failed_sign_ins >= 0'
        )
        batch_op.drop_column('must_change_password')
    with op.batch_alter_table('sign_in_throttle', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_sign_in_throttle_last_failure_at'))
    op.drop_table('sign_in_throttle')
