"""canonical_total keeps the live canonical rows summed per stage / movement component, updated with every write,
so a run's before-figures no longer sum the whole table (existing workspaces are counted on their next run)

Revision ID: 0017
Revises: 0016
Create Date: 2026-12-06 03:20:00.000000
"""

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision = '0017'
down_revision = '0016'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'canonical_total',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('workspace_id', sa.Integer(), nullable=False),
        sa.Column('domain', sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
        sa.Column('group_key', sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
        sa.Column('weighted_amount', sa.BigInteger(), nullable=False),
        sa.Column('amount', sa.BigInteger(), nullable=False),
        sa.Column('row_count', sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(['workspace_id'], ['workspace.id']),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('workspace_id', 'domain', 'group_key'),
    )


def downgrade() -> None:
    op.drop_table('canonical_total')
