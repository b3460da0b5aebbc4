"""failed sign-ins per user name and per client, for throttling; the process that owns a sync run; rows a run
newly quarantined (the quarantine-share alert counts those, not rows still held from earlier runs)

A run records "host:pid" so a page or the worker on the same host knows at once that a killed run is dead,
instead of waiting for its heartbeat to go silent.

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-05 22:00:00.000000
"""

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision = '0011'
down_revision = '0010'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'sign_in_failure',
        sa.Column('key', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
        sa.Column('failures', sa.Integer(), nullable=False),
        sa.Column('last_failure_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint('key'),
    )
    with op.batch_alter_table('sync_run') as batch_op:
        batch_op.add_column(sa.Column('owner', sqlmodel.sql.sqltypes.AutoString(length=120), nullable=True))
        batch_op.add_column(sa.Column('rows_newly_quarantined', sa.Integer(), nullable=False, server_default='0'))


def downgrade() -> None:
    with op.batch_alter_table('sync_run') as batch_op:
        batch_op.drop_column('rows_newly_quarantined')
        batch_op.drop_column('owner')
    op.drop_table('sign_in_failure')
