"""run snapshots and a one-running-sync lock

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-23 09:15:23.216810
"""

from alembic import op
import sqlalchemy as sa
import sqlmodel


revision = '0004'
down_revision = '0003'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('run_snapshot',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('run_id', sa.Integer(), nullable=False),
    sa.Column('workspace_id', sa.Integer(), nullable=False),
    sa.Column('domain', sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
    sa.Column('rows', sa.Integer(), nullable=False),
    sa.Column('data', sa.LargeBinary(), nullable=False),
    sa.ForeignKeyConstraint(['run_id'], ['sync_run.id'], ),
    sa.ForeignKeyConstraint(['workspace_id'], ['workspace.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('run_id', 'domain')
    )
    with op.batch_alter_table('run_snapshot', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_run_snapshot_run_id'), ['run_id'], unique=False)

    with op.batch_alter_table('sync_run', schema=None) as batch_op:
        batch_op.create_index('ux_sync_run_one_running', ['workspace_id'], unique=True, sqlite_where=sa.text("status = 'running'"), postgresql_where=sa.text("status = 'running'"))



def downgrade() -> None:
    with op.batch_alter_table('sync_run', schema=None) as batch_op:
        batch_op.drop_index('ux_sync_run_one_running', sqlite_where=sa.text("status = 'running'"), postgresql_where=sa.text("status = 'running'"))

    with op.batch_alter_table('run_snapshot', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_run_snapshot_run_id'))

    op.drop_table('run_snapshot')
