"""incremental sync cursors

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-23 08:25:50.267508
"""

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision = '0002'
down_revision = '0001'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('source_cursor',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('workspace_id', sa.Integer(), nullable=False),
    sa.Column('connection_id', sa.Integer(), nullable=False),
    sa.Column('object_name', sqlmodel.sql.sqltypes.AutoString(length=120), nullable=False),
    sa.Column('cursor_field', sqlmodel.sql.sqltypes.AutoString(length=120), nullable=False),
    sa.Column('cursor_value', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=True),
    sa.Column('run_id', sa.Integer(), nullable=True),
    sa.Column('updated_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['connection_id'], ['connection.id'], ),
    sa.ForeignKeyConstraint(['run_id'], ['sync_run.id'], ),
    sa.ForeignKeyConstraint(['workspace_id'], ['workspace.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('workspace_id', 'connection_id', 'object_name')
    )
    with op.batch_alter_table('source_cursor', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_source_cursor_workspace_id'), ['workspace_id'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('source_cursor', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_source_cursor_workspace_id'))

    op.drop_table('source_cursor')
