"""account_match says whether a pair is one company or a parent and its entity

A suggested pair is either the same company (approving it merges the two accounts) or related: a regional or
legal-entity variant of one group, which approving links under its parent instead. The parent the engine
proposed is kept with the pair, as is the parent the child had before, so the link can be undone.

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-05 03:30:00.000000
"""

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision = '0010'
down_revision = '0009'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('account_match') as batch_op:
        batch_op.add_column(sa.Column('relation', sqlmodel.sql.sqltypes.AutoString(length=12), nullable=False,
                                      server_default='same'))
        batch_op.add_column(sa.Column('parent_account_id', sa.Integer(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('account_match') as batch_op:
        batch_op.drop_column('parent_account_id')
        batch_op.drop_column('relation')
