"""review state for suggestions: decisions, duplicate pairs, value mappings, LLM cache

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-23 11:28:38.255658
"""

from alembic import op
import sqlalchemy as sa
import sqlmodel


revision = '0005'
down_revision = '0004'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('llm_answer',
    sa.Column('key', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('model', sqlmodel.sql.sqltypes.AutoString(length=120), nullable=False),
    sa.Column('answer', sa.Text(), nullable=False),
    sa.Column('created_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
    sa.PrimaryKeyConstraint('key')
    )
    op.create_table('account_match',
    sa.Column('status', sqlmodel.sql.sqltypes.AutoString(length=12), nullable=False),
    sa.Column('score', sa.Float(), nullable=True),
    sa.Column('band', sqlmodel.sql.sqltypes.AutoString(length=12), nullable=True),
    sa.Column('reason', sa.Text(), nullable=True),
    sa.Column('origin', sqlmodel.sql.sqltypes.AutoString(length=60), nullable=True),
    sa.Column('suggested', sqlmodel.sql.sqltypes.AutoString(length=40), nullable=True),
    sa.Column('runner_up', sqlmodel.sql.sqltypes.AutoString(length=40), nullable=True),
    sa.Column('runner_up_score', sa.Float(), nullable=True),
    sa.Column('decided_by', sqlmodel.sql.sqltypes.AutoString(length=80), nullable=True),
    sa.Column('decided_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('workspace_id', sa.Integer(), nullable=False),
    sa.Column('account_id_a', sa.Integer(), nullable=False),
    sa.Column('account_id_b', sa.Integer(), nullable=False),
    sa.Column('cluster', sa.Integer(), nullable=True),
    sa.Column('moved_links_json', sa.Text(), nullable=True),
    sa.ForeignKeyConstraint(['account_id_a'], ['canonical_account.id'], ),
    sa.ForeignKeyConstraint(['account_id_b'], ['canonical_account.id'], ),
    sa.ForeignKeyConstraint(['workspace_id'], ['workspace.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('workspace_id', 'account_id_a', 'account_id_b')
    )
    with op.batch_alter_table('account_match', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_account_match_workspace_id'), ['workspace_id'], unique=False)

    op.create_table('value_mapping',
    sa.Column('status', sqlmodel.sql.sqltypes.AutoString(length=12), nullable=False),
    sa.Column('score', sa.Float(), nullable=True),
    sa.Column('band', sqlmodel.sql.sqltypes.AutoString(length=12), nullable=True),
    sa.Column('reason', sa.Text(), nullable=True),
    sa.Column('origin', sqlmodel.sql.sqltypes.AutoString(length=60), nullable=True),
    sa.Column('suggested', sqlmodel.sql.sqltypes.AutoString(length=40), nullable=True),
    sa.Column('runner_up', sqlmodel.sql.sqltypes.AutoString(length=40), nullable=True),
    sa.Column('runner_up_score', sa.Float(), nullable=True),
    sa.Column('decided_by', sqlmodel.sql.sqltypes.AutoString(length=80), nullable=True),
    sa.Column('decided_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('workspace_id', sa.Integer(), nullable=False),
    sa.Column('connection_id', sa.Integer(), nullable=False),
    sa.Column('object_name', sqlmodel.sql.sqltypes.AutoString(length=120), nullable=False),
    sa.Column('source_field', sqlmodel.sql.sqltypes.AutoString(length=120), nullable=False),
    sa.Column('source_value', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
    sa.Column('target', sqlmodel.sql.sqltypes.AutoString(length=40), nullable=True),
    sa.ForeignKeyConstraint(['connection_id'], ['connection.id'], ),
    sa.ForeignKeyConstraint(['workspace_id'], ['workspace.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('workspace_id', 'connection_id', 'object_name', 'source_field', 'source_value')
    )
    with op.batch_alter_table('value_mapping', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_value_mapping_workspace_id'), ['workspace_id'], unique=False)

    with op.batch_alter_table('canonical_account', schema=None) as batch_op:
        batch_op.add_column(sa.Column('merged_into_id', sa.Integer(), nullable=True))
        batch_op.create_foreign_key('fk_canonical_account_merged_into', 'canonical_account', ['merged_into_id'], ['id'])

    with op.batch_alter_table('field_mapping', schema=None) as batch_op:
        batch_op.add_column(sa.Column('suggested', sqlmodel.sql.sqltypes.AutoString(length=40), nullable=True))
        batch_op.add_column(sa.Column('runner_up', sqlmodel.sql.sqltypes.AutoString(length=40), nullable=True))
        batch_op.add_column(sa.Column('runner_up_score', sa.Float(), nullable=True))
        batch_op.add_column(sa.Column('label', sqlmodel.sql.sqltypes.AutoString(length=255), nullable=True))
        batch_op.add_column(sa.Column('source_type', sqlmodel.sql.sqltypes.AutoString(length=40), nullable=True))

    with op.batch_alter_table('stage_mapping', schema=None) as batch_op:
        batch_op.add_column(sa.Column('suggested', sqlmodel.sql.sqltypes.AutoString(length=40), nullable=True))
        batch_op.add_column(sa.Column('runner_up', sqlmodel.sql.sqltypes.AutoString(length=40), nullable=True))
        batch_op.add_column(sa.Column('runner_up_score', sa.Float(), nullable=True))
        batch_op.add_column(sa.Column('version', sa.Integer(), nullable=False, server_default='1'))
        batch_op.add_column(sa.Column('is_closed', sa.Boolean(), nullable=True))
        batch_op.add_column(sa.Column('sort_order', sa.Integer(), nullable=True))



def downgrade() -> None:
    with op.batch_alter_table('stage_mapping', schema=None) as batch_op:
        batch_op.drop_column('sort_order')
        batch_op.drop_column('is_closed')
        batch_op.drop_column('version')
        batch_op.drop_column('runner_up_score')
        batch_op.drop_column('runner_up')
        batch_op.drop_column('suggested')

    with op.batch_alter_table('field_mapping', schema=None) as batch_op:
        batch_op.drop_column('source_type')
        batch_op.drop_column('label')
        batch_op.drop_column('runner_up_score')
        batch_op.drop_column('runner_up')
        batch_op.drop_column('suggested')

    with op.batch_alter_table('canonical_account', schema=None) as batch_op:
        batch_op.drop_constraint('fk_canonical_account_merged_into', type_='foreignkey')
        batch_op.drop_column('merged_into_id')

    with op.batch_alter_table('value_mapping', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_value_mapping_workspace_id'))

    op.drop_table('value_mapping')
    with op.batch_alter_table('account_match', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_account_match_workspace_id'))

    op.drop_table('account_match')
    op.drop_table('llm_answer')
