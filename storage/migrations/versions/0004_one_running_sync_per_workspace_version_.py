"""one running sync per workspace, version history for rollback, record lookups by ID, run progress

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-23 09:46:43.179653
"""

from alembic import op
import sqlalchemy as sa
import sqlmodel


revision = '0004'
down_revision = '0003'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('arr_movement_history',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('workspace_id', sa.Integer(), nullable=False),
    sa.Column('run_id', sa.Integer(), nullable=True),
    sa.Column('source', sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
    sa.Column('source_object', sqlmodel.sql.sqltypes.AutoString(length=120), nullable=False),
    sa.Column('source_id', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('account_id', sa.Integer(), nullable=True),
    sa.Column('effective_date', sa.Date(), nullable=True),
    sa.Column('arr_delta', sa.Float(), nullable=True),
    sa.Column('movement_component', sqlmodel.sql.sqltypes.AutoString(length=16), nullable=True),
    sa.Column('currency', sqlmodel.sql.sqltypes.AutoString(length=3), nullable=True),
    sa.Column('arr_delta_reporting', sa.Float(), nullable=True),
    sa.Column('is_deleted', sa.Boolean(), nullable=False),
    sa.Column('source_modified_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
    sa.Column('chosen_by', sqlmodel.sql.sqltypes.AutoString(length=120), nullable=True),
    sa.Column('history_id', sa.Integer(), nullable=False),
    sa.Column('closed_by_run', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['closed_by_run'], ['sync_run.id'], ),
    sa.ForeignKeyConstraint(['workspace_id'], ['workspace.id'], ),
    sa.PrimaryKeyConstraint('history_id')
    )
    with op.batch_alter_table('arr_movement_history', schema=None) as batch_op:
        batch_op.create_index('ix_arr_movement_history_lookup', ['workspace_id', 'closed_by_run'], unique=False)

    op.create_table('opportunity_history',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('workspace_id', sa.Integer(), nullable=False),
    sa.Column('run_id', sa.Integer(), nullable=True),
    sa.Column('source', sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
    sa.Column('source_object', sqlmodel.sql.sqltypes.AutoString(length=120), nullable=False),
    sa.Column('source_id', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('name', sqlmodel.sql.sqltypes.AutoString(length=255), nullable=True),
    sa.Column('account_id', sa.Integer(), nullable=True),
    sa.Column('stage', sqlmodel.sql.sqltypes.AutoString(length=40), nullable=True),
    sa.Column('source_stage', sqlmodel.sql.sqltypes.AutoString(length=120), nullable=True),
    sa.Column('weight', sa.Float(), nullable=True),
    sa.Column('amount', sa.Float(), nullable=True),
    sa.Column('currency', sqlmodel.sql.sqltypes.AutoString(length=3), nullable=True),
    sa.Column('amount_reporting', sa.Float(), nullable=True),
    sa.Column('weighted_amount', sa.Float(), nullable=True),
    sa.Column('expected_close', sa.Date(), nullable=True),
    sa.Column('owner', sqlmodel.sql.sqltypes.AutoString(length=255), nullable=True),
    sa.Column('segment', sqlmodel.sql.sqltypes.AutoString(length=80), nullable=True),
    sa.Column('is_deleted', sa.Boolean(), nullable=False),
    sa.Column('source_modified_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
    sa.Column('chosen_by', sqlmodel.sql.sqltypes.AutoString(length=120), nullable=True),
    sa.Column('history_id', sa.Integer(), nullable=False),
    sa.Column('closed_by_run', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['closed_by_run'], ['sync_run.id'], ),
    sa.ForeignKeyConstraint(['workspace_id'], ['workspace.id'], ),
    sa.PrimaryKeyConstraint('history_id')
    )
    with op.batch_alter_table('opportunity_history', schema=None) as batch_op:
        batch_op.create_index('ix_opportunity_history_lookup', ['workspace_id', 'closed_by_run'], unique=False)

    with op.batch_alter_table('arr_movement', schema=None) as batch_op:
        batch_op.create_index('ix_arr_movement_workspace_source_id', ['workspace_id', 'source_id'], unique=False)

    with op.batch_alter_table('opportunity', schema=None) as batch_op:
        batch_op.create_index('ix_opportunity_workspace_source_id', ['workspace_id', 'source_id'], unique=False)

    with op.batch_alter_table('sync_run', schema=None) as batch_op:
        batch_op.add_column(sa.Column('progress', sa.Float(), nullable=True))
        batch_op.add_column(sa.Column('progress_text', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=True))
        batch_op.add_column(sa.Column('heartbeat_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True))
        batch_op.add_column(sa.Column('summary_json', sa.Text(), nullable=True))
        batch_op.create_index('ux_sync_run_one_running', ['workspace_id'], unique=True, sqlite_where=sa.text("status = 'running'"), postgresql_where=sa.text("status = 'running'"))



def downgrade() -> None:
    with op.batch_alter_table('sync_run', schema=None) as batch_op:
        batch_op.drop_index('ux_sync_run_one_running', sqlite_where=sa.text("status = 'running'"), postgresql_where=sa.text("status = 'running'"))
        batch_op.drop_column('summary_json')
        batch_op.drop_column('heartbeat_at')
        batch_op.drop_column('progress_text')
        batch_op.drop_column('progress')

    with op.batch_alter_table('opportunity', schema=None) as batch_op:
        batch_op.drop_index('ix_opportunity_workspace_source_id')

    with op.batch_alter_table('arr_movement', schema=None) as batch_op:
        batch_op.drop_index('ix_arr_movement_workspace_source_id')

    with op.batch_alter_table('opportunity_history', schema=None) as batch_op:
        batch_op.drop_index('ix_opportunity_history_lookup')

    op.drop_table('opportunity_history')
    with op.batch_alter_table('arr_movement_history', schema=None) as batch_op:
        batch_op.drop_index('ix_arr_movement_history_lookup')

    op.drop_table('arr_movement_history')
