"""initial schema

Revision ID: 0001
Revises: 
Create Date: 2026-11-23 08:25:43.624779
"""

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision = '0001'
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('app_user',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('username', sqlmodel.sql.sqltypes.AutoString(length=80), nullable=False),
    sa.Column('display_name', sqlmodel.sql.sqltypes.AutoString(length=120), nullable=False),
    sa.Column('role', sqlmodel.sql.sqltypes.AutoString(length=12), nullable=False),
    sa.Column('password_hash', sqlmodel.sql.sqltypes.AutoString(length=255), nullable=True),
    sa.Column('disabled', sa.Boolean(), nullable=False),
    sa.Column('created_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('username')
    )
    op.create_table('workspace',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('name', sqlmodel.sql.sqltypes.AutoString(length=80), nullable=False),
    sa.Column('is_demo', sa.Boolean(), nullable=False),
    sa.Column('reporting_currency', sqlmodel.sql.sqltypes.AutoString(length=3), nullable=False),
    sa.Column('created_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('name')
    )
    op.create_table('audit_log',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('workspace_id', sa.Integer(), nullable=True),
    sa.Column('at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
    sa.Column('actor', sqlmodel.sql.sqltypes.AutoString(length=80), nullable=False),
    sa.Column('action', sqlmodel.sql.sqltypes.AutoString(length=60), nullable=False),
    sa.Column('entity', sqlmodel.sql.sqltypes.AutoString(length=60), nullable=False),
    sa.Column('entity_id', sqlmodel.sql.sqltypes.AutoString(length=120), nullable=True),
    sa.Column('detail_json', sa.Text(), nullable=False),
    sa.ForeignKeyConstraint(['workspace_id'], ['workspace.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('audit_log', schema=None) as batch_op:
        batch_op.create_index('ix_audit_log_workspace_at', ['workspace_id', 'at'], unique=False)

    op.create_table('canonical_account',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('workspace_id', sa.Integer(), nullable=False),
    sa.Column('name', sqlmodel.sql.sqltypes.AutoString(length=255), nullable=False),
    sa.Column('parent_id', sa.Integer(), nullable=True),
    sa.Column('segment', sqlmodel.sql.sqltypes.AutoString(length=80), nullable=True),
    sa.Column('website', sqlmodel.sql.sqltypes.AutoString(length=255), nullable=True),
    sa.Column('country', sqlmodel.sql.sqltypes.AutoString(length=80), nullable=True),
    sa.Column('created_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['parent_id'], ['canonical_account.id'], ),
    sa.ForeignKeyConstraint(['workspace_id'], ['workspace.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('canonical_account', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_canonical_account_workspace_id'), ['workspace_id'], unique=False)

    op.create_table('canonical_stage',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('workspace_id', sa.Integer(), nullable=False),
    sa.Column('key', sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
    sa.Column('label', sqlmodel.sql.sqltypes.AutoString(length=80), nullable=False),
    sa.Column('weight', sa.Float(), nullable=False),
    sa.Column('semantics', sqlmodel.sql.sqltypes.AutoString(length=8), nullable=False),
    sa.Column('sort_order', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['workspace_id'], ['workspace.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('workspace_id', 'key')
    )
    with op.batch_alter_table('canonical_stage', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_canonical_stage_workspace_id'), ['workspace_id'], unique=False)

    op.create_table('connection',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('workspace_id', sa.Integer(), nullable=False),
    sa.Column('name', sqlmodel.sql.sqltypes.AutoString(length=80), nullable=False),
    sa.Column('source_key', sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
    sa.Column('kind', sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
    sa.Column('settings_json', sa.Text(), nullable=False),
    sa.Column('secrets_encrypted', sa.Text(), nullable=True),
    sa.Column('created_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
    sa.Column('last_tested_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
    sa.Column('last_test_ok', sa.Boolean(), nullable=True),
    sa.Column('last_test_message', sa.Text(), nullable=True),
    sa.ForeignKeyConstraint(['workspace_id'], ['workspace.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('workspace_id', 'name'),
    sa.UniqueConstraint('workspace_id', 'source_key')
    )
    with op.batch_alter_table('connection', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_connection_workspace_id'), ['workspace_id'], unique=False)

    op.create_table('sync_run',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('workspace_id', sa.Integer(), nullable=False),
    sa.Column('trigger', sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
    sa.Column('status', sqlmodel.sql.sqltypes.AutoString(length=12), nullable=False),
    sa.Column('dry_run', sa.Boolean(), nullable=False),
    sa.Column('started_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
    sa.Column('finished_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
    sa.Column('rows_read', sa.Integer(), nullable=False),
    sa.Column('rows_added', sa.Integer(), nullable=False),
    sa.Column('rows_changed', sa.Integer(), nullable=False),
    sa.Column('rows_tombstoned', sa.Integer(), nullable=False),
    sa.Column('rows_quarantined', sa.Integer(), nullable=False),
    sa.Column('mapping_version', sa.Integer(), nullable=True),
    sa.Column('api_calls', sa.Integer(), nullable=False),
    sa.Column('error', sa.Text(), nullable=True),
    sa.ForeignKeyConstraint(['workspace_id'], ['workspace.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('sync_run', schema=None) as batch_op:
        batch_op.create_index('ix_sync_run_workspace_started', ['workspace_id', 'started_at'], unique=False)

    op.create_table('account_crosswalk',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('workspace_id', sa.Integer(), nullable=False),
    sa.Column('source', sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
    sa.Column('source_account_id', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('source_name', sqlmodel.sql.sqltypes.AutoString(length=255), nullable=True),
    sa.Column('canonical_account_id', sa.Integer(), nullable=False),
    sa.Column('status', sqlmodel.sql.sqltypes.AutoString(length=12), nullable=False),
    sa.Column('decided_by', sqlmodel.sql.sqltypes.AutoString(length=80), nullable=True),
    sa.Column('decided_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
    sa.ForeignKeyConstraint(['canonical_account_id'], ['canonical_account.id'], ),
    sa.ForeignKeyConstraint(['workspace_id'], ['workspace.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('workspace_id', 'source', 'source_account_id')
    )
    with op.batch_alter_table('account_crosswalk', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_account_crosswalk_canonical_account_id'), ['canonical_account_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_account_crosswalk_workspace_id'), ['workspace_id'], unique=False)

    op.create_table('arr_movement',
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
    sa.ForeignKeyConstraint(['account_id'], ['canonical_account.id'], ),
    sa.ForeignKeyConstraint(['run_id'], ['sync_run.id'], ),
    sa.ForeignKeyConstraint(['workspace_id'], ['workspace.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('workspace_id', 'source', 'source_id')
    )
    with op.batch_alter_table('arr_movement', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_arr_movement_account_id'), ['account_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_arr_movement_workspace_id'), ['workspace_id'], unique=False)

    op.create_table('domain_route',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('workspace_id', sa.Integer(), nullable=False),
    sa.Column('domain', sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
    sa.Column('connection_id', sa.Integer(), nullable=False),
    sa.Column('object_name', sqlmodel.sql.sqltypes.AutoString(length=120), nullable=False),
    sa.Column('priority', sa.Integer(), nullable=False),
    sa.Column('updated_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
    sa.Column('updated_by', sqlmodel.sql.sqltypes.AutoString(length=80), nullable=False),
    sa.ForeignKeyConstraint(['connection_id'], ['connection.id'], ),
    sa.ForeignKeyConstraint(['workspace_id'], ['workspace.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('workspace_id', 'domain', 'connection_id', 'object_name'),
    sa.UniqueConstraint('workspace_id', 'domain', 'priority')
    )
    with op.batch_alter_table('domain_route', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_domain_route_workspace_id'), ['workspace_id'], unique=False)

    op.create_table('field_mapping',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('workspace_id', sa.Integer(), nullable=False),
    sa.Column('connection_id', sa.Integer(), nullable=False),
    sa.Column('object_name', sqlmodel.sql.sqltypes.AutoString(length=120), nullable=False),
    sa.Column('domain', sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
    sa.Column('source_field', sqlmodel.sql.sqltypes.AutoString(length=120), nullable=False),
    sa.Column('canonical_field', sqlmodel.sql.sqltypes.AutoString(length=40), nullable=True),
    sa.Column('field_type', sqlmodel.sql.sqltypes.AutoString(length=12), nullable=False),
    sa.Column('null_policy', sqlmodel.sql.sqltypes.AutoString(length=8), nullable=False),
    sa.Column('status', sqlmodel.sql.sqltypes.AutoString(length=12), nullable=False),
    sa.Column('score', sa.Float(), nullable=True),
    sa.Column('band', sqlmodel.sql.sqltypes.AutoString(length=12), nullable=True),
    sa.Column('reason', sa.Text(), nullable=True),
    sa.Column('origin', sqlmodel.sql.sqltypes.AutoString(length=60), nullable=True),
    sa.Column('decided_by', sqlmodel.sql.sqltypes.AutoString(length=80), nullable=True),
    sa.Column('decided_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['connection_id'], ['connection.id'], ),
    sa.ForeignKeyConstraint(['workspace_id'], ['workspace.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('workspace_id', 'connection_id', 'object_name', 'source_field')
    )
    with op.batch_alter_table('field_mapping', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_field_mapping_workspace_id'), ['workspace_id'], unique=False)

    op.create_table('opportunity',
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
    sa.ForeignKeyConstraint(['account_id'], ['canonical_account.id'], ),
    sa.ForeignKeyConstraint(['run_id'], ['sync_run.id'], ),
    sa.ForeignKeyConstraint(['workspace_id'], ['workspace.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('workspace_id', 'source', 'source_id')
    )
    with op.batch_alter_table('opportunity', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_opportunity_account_id'), ['account_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_opportunity_workspace_id'), ['workspace_id'], unique=False)

    op.create_table('quarantined_row',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('workspace_id', sa.Integer(), nullable=False),
    sa.Column('run_id', sa.Integer(), nullable=True),
    sa.Column('domain', sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
    sa.Column('source', sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
    sa.Column('source_object', sqlmodel.sql.sqltypes.AutoString(length=120), nullable=False),
    sa.Column('source_id', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=True),
    sa.Column('reason_code', sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
    sa.Column('field', sqlmodel.sql.sqltypes.AutoString(length=120), nullable=True),
    sa.Column('value', sa.Text(), nullable=True),
    sa.Column('payload_json', sa.Text(), nullable=True),
    sa.Column('created_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
    sa.Column('released_run_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['run_id'], ['sync_run.id'], ),
    sa.ForeignKeyConstraint(['workspace_id'], ['workspace.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('quarantined_row', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_quarantined_row_workspace_id'), ['workspace_id'], unique=False)

    op.create_table('stage_mapping',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('workspace_id', sa.Integer(), nullable=False),
    sa.Column('connection_id', sa.Integer(), nullable=False),
    sa.Column('pipeline_id', sqlmodel.sql.sqltypes.AutoString(length=120), nullable=False),
    sa.Column('stage_id', sqlmodel.sql.sqltypes.AutoString(length=120), nullable=False),
    sa.Column('stage_label', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
    sa.Column('canonical_stage', sqlmodel.sql.sqltypes.AutoString(length=40), nullable=True),
    sa.Column('weight', sa.Float(), nullable=True),
    sa.Column('status', sqlmodel.sql.sqltypes.AutoString(length=12), nullable=False),
    sa.Column('score', sa.Float(), nullable=True),
    sa.Column('band', sqlmodel.sql.sqltypes.AutoString(length=12), nullable=True),
    sa.Column('reason', sa.Text(), nullable=True),
    sa.Column('origin', sqlmodel.sql.sqltypes.AutoString(length=60), nullable=True),
    sa.Column('decided_by', sqlmodel.sql.sqltypes.AutoString(length=80), nullable=True),
    sa.Column('decided_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
    sa.ForeignKeyConstraint(['connection_id'], ['connection.id'], ),
    sa.ForeignKeyConstraint(['workspace_id'], ['workspace.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('workspace_id', 'connection_id', 'pipeline_id', 'stage_id')
    )
    with op.batch_alter_table('stage_mapping', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_stage_mapping_workspace_id'), ['workspace_id'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('stage_mapping', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_stage_mapping_workspace_id'))

    op.drop_table('stage_mapping')
    with op.batch_alter_table('quarantined_row', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_quarantined_row_workspace_id'))

    op.drop_table('quarantined_row')
    with op.batch_alter_table('opportunity', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_opportunity_workspace_id'))
        batch_op.drop_index(batch_op.f('ix_opportunity_account_id'))

    op.drop_table('opportunity')
    with op.batch_alter_table('field_mapping', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_field_mapping_workspace_id'))

    op.drop_table('field_mapping')
    with op.batch_alter_table('domain_route', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_domain_route_workspace_id'))

    op.drop_table('domain_route')
    with op.batch_alter_table('arr_movement', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_arr_movement_workspace_id'))
        batch_op.drop_index(batch_op.f('ix_arr_movement_account_id'))

    op.drop_table('arr_movement')
    with op.batch_alter_table('account_crosswalk', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_account_crosswalk_workspace_id'))
        batch_op.drop_index(batch_op.f('ix_account_crosswalk_canonical_account_id'))

    op.drop_table('account_crosswalk')
    with op.batch_alter_table('sync_run', schema=None) as batch_op:
        batch_op.drop_index('ix_sync_run_workspace_started')

    op.drop_table('sync_run')
    with op.batch_alter_table('connection', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_connection_workspace_id'))

    op.drop_table('connection')
    with op.batch_alter_table('canonical_stage', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_canonical_stage_workspace_id'))

    op.drop_table('canonical_stage')
    with op.batch_alter_table('canonical_account', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_canonical_account_workspace_id'))

    op.drop_table('canonical_account')
    with op.batch_alter_table('audit_log', schema=None) as batch_op:
        batch_op.drop_index('ix_audit_log_workspace_at')

    op.drop_table('audit_log')
    op.drop_table('workspace')
    op.drop_table('app_user')
