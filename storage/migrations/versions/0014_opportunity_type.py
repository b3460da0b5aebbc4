"""opportunities keep their type (new business, upsell, renewal) so the pipeline-to-ARR reconciliation knows
which won deals should book an ARR movement

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-06 00:40:00.000000
"""

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision = '0014'
down_revision = '0013'
branch_labels = None
depends_on = None


def upgrade() -> None:
    for table in ('opportunity', 'opportunity_history'):
        op.add_column(table, sa.Column('opportunity_type', sqlmodel.sql.sqltypes.AutoString(length=80), nullable=True))


def downgrade() -> None:
    for table in ('opportunity', 'opportunity_history'):
        op.drop_column(table, 'opportunity_type')
