"""source_cursor keeps a file source's fingerprint (size, modification time, SHA-256), so an incremental run skips
a file whose bytes did not change

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-06 01:10:00.000000
"""

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision = '0016'
down_revision = '0015'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column(
        'source_cursor', sa.Column('content_fingerprint', sqlmodel.sql.sqltypes.AutoString(length=120), nullable=True)
    )


def downgrade() -> None:
    op.drop_column('source_cursor', 'content_fingerprint')
