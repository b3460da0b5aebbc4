"""workspace movement policy: whether a customer new and churned in the same month nets out of that month's
bridge bars (false: both count, as ChartMogul does)

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-06 00:50:00.000000
"""

import sqlalchemy as sa
from alembic import op

revision = '0015'
down_revision = '0014'
branch_labels = None
depends_on = None


def upgrade() -> None:
    # A plain ADD COLUMN: a batch (table copy) of workspace would drop a table every other table refers to.
    op.add_column(
        'workspace', sa.Column('net_same_month_churn', sa.Boolean(), nullable=False, server_default=sa.text('false'))
    )


def downgrade() -> None:
    op.drop_column('workspace', 'net_same_month_churn')  # SQLite 3.35+ drops a column in place
