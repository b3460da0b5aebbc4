"""stage mapping keeps its pipeline's label

A Salesforce pipeline is a record type (an 18-character ID) and a HubSpot pipeline has a numeric ID: the
review table and the Revenue filter show the pipeline's name, so each stage suggestion keeps it.

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-05 09:00:00.000000
"""

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision = '0009'
down_revision = '0008'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('stage_mapping') as batch_op:
        batch_op.add_column(sa.Column('pipeline_label', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('stage_mapping') as batch_op:
        batch_op.drop_column('pipeline_label')
