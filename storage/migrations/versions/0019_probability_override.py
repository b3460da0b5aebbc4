"""opportunity.probability_override: a deal's own win probability (0..1), mapped from a CRM field and honoured
instead of its stage's weight while the deal is open

Revision ID: 0019
Revises: 0018
Create Date: 2026-12-06 06:50:00.000000
"""

import sqlalchemy as sa
from alembic import op

revision = '0019'
down_revision = '0018'
branch_labels = None
depends_on = None


def upgrade() -> None:
    for table in ('opportunity', 'opportunity_history'):
        with op.batch_alter_table(table) as batch:
            batch.add_column(sa.Column('probability_override', sa.Float(), nullable=True))


def downgrade() -> None:
    for table in ('opportunity', 'opportunity_history'):
        with op.batch_alter_table(table) as batch:
            batch.drop_column('probability_override')
