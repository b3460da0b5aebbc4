"""workspace keeps how the forecast treats slipped deals (open deals whose expected close has passed) and its
movement policy (how many days after churn a returning customer is reactivated; null: any time)

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-05 23:00:00.000000
"""

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision = '0012'
down_revision = '0011'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('workspace') as batch_op:
        batch_op.add_column(
            sa.Column(
                'slipped_policy', sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False, server_default='apart'
            )
        )
        batch_op.add_column(sa.Column('reactivation_window_days', sa.Integer(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('workspace') as batch_op:
        batch_op.drop_column('reactivation_window_days')
        batch_op.drop_column('slipped_policy')
