"""stage_history keeps the stages each CRM deal entered (OpportunityHistory, HubSpot dealstage history), read by
the sync, so stage weights can be checked against what actually closed

Revision ID: 0018
Revises: 0017
Create Date: 2026-12-06 06:30:00.000000
"""

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision = '0018'
down_revision = '0017'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'stage_history',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('workspace_id', sa.Integer(), nullable=False),
        sa.Column('source', sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
        sa.Column('source_id', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column('stage', sqlmodel.sql.sqltypes.AutoString(length=120), nullable=False),
        sa.Column('entered_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.Column('run_id', sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(['workspace_id'], ['workspace.id']),
        sa.ForeignKeyConstraint(['run_id'], ['sync_run.id']),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('workspace_id', 'source', 'source_id', 'stage', 'entered_at'),
    )


def downgrade() -> None:
    op.drop_table('stage_history')
