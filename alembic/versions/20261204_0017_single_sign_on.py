"""accounts: single sign-on (OpenID Connect) subject per account, and domain rules per collaborative

Revision ID: 0017
Revises: 0015
Create Date: 2026-12-04 14:00:00
"""
from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = '0017'
down_revision: str | None = '0015'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table('user_account', schema=None) as batch_op:
        batch_op.add_column(sa.Column(
            'oidc_issuer', sqlmodel.sql.sqltypes.AutoString(length=255), nullable=True))
        batch_op.add_column(sa.Column(
            'oidc_subject', sqlmodel.sql.sqltypes.AutoString(length=255), nullable=True))
        batch_op.create_unique_constraint(
            op.f('uq_user_account_oidc_issuer_oidc_subject'), ['oidc_issuer', 'oidc_subject'])
    op.create_table(
        'sso_domain_rule',
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('updated_by', sqlmodel.sql.sqltypes.AutoString(length=255), nullable=False),
        sa.Column('version', sa.Integer(), nullable=False),
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('collaborative_id', sa.Integer(), nullable=False),
        sa.Column('domain', sqlmodel.sql.sqltypes.AutoString(length=253), nullable=False),
        sa.Column('role', sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
        sa.CheckConstraint(
            "role IN ('admin', 'manager', 'workforce_lead', 'executive', 'viewer')",
            name=op.f('ck_sso_domain_rule_role_is_known')),
        sa.ForeignKeyConstraint(['collaborative_id'], ['collaborative.id'], name=op.f('fk_sso_domain_rule_collaborative_id_collaborative'), ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_sso_domain_rule')),
        sa.UniqueConstraint('collaborative_id', 'domain', name=op.f('uq_sso_domain_rule_collaborative_id_domain')),
    )
    with op.batch_alter_table('sso_domain_rule', schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f('ix_sso_domain_rule_collaborative_id'), ['collaborative_id'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('sso_domain_rule', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_sso_domain_rule_collaborative_id'))
    op.drop_table('sso_domain_rule')
    with op.batch_alter_table('user_account', schema=None) as batch_op:
        batch_op.drop_constraint(op.f('uq_user_account_oidc_issuer_oidc_subject'), type_='unique')
        batch_op.drop_column('oidc_subject')
        batch_op.drop_column('oidc_issuer')
