"""canonical tables keyed by workspace and source ID

One unique key (workspace_id, source_id) replaces the unique (workspace_id, source, source_id) and
three plain indexes on opportunity and arr_movement: a sync keeps one canonical record per source ID
(the higher-priority source wins it), and every index is paid on each of a million inserts.

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-04 15:22:09.000675
"""

import sqlalchemy as sa
from alembic import op

revision = '0008'
down_revision = '0007'
branch_labels = None
depends_on = None

_TABLES = ("opportunity", "arr_movement")
# Names SQLite's unnamed constraints get when batch mode reflects them, so they can be dropped by name.
_NAMING = {"uq": "uq_%(table_name)s_%(column_0_N_name)s"}


def _old_unique_name(table: str) -> str:
    for constraint in sa.inspect(op.get_bind()).get_unique_constraints(table):
        if constraint["column_names"] == ["workspace_id", "source", "source_id"]:
            return constraint["name"] or f"uq_{table}_workspace_id_source_source_id"
    raise RuntimeError(f"{table} has no unique (workspace_id, source, source_id) to replace")


def upgrade() -> None:
    for table in _TABLES:
        old_unique = _old_unique_name(table)
        with op.batch_alter_table(table, naming_convention=_NAMING) as batch_op:
            batch_op.drop_constraint(old_unique, type_="unique")
            batch_op.drop_index(f"ix_{table}_account_id")
            batch_op.drop_index(f"ix_{table}_workspace_id")
            batch_op.drop_index(f"ix_{table}_workspace_source_id")
            batch_op.create_unique_constraint(f"ux_{table}_workspace_source_id", ["workspace_id", "source_id"])


def downgrade() -> None:
    for table in _TABLES:
        with op.batch_alter_table(table) as batch_op:
            batch_op.drop_constraint(f"ux_{table}_workspace_source_id", type_="unique")
            batch_op.create_unique_constraint(f"uq_{table}_workspace_id_source_source_id",
                                              ["workspace_id", "source", "source_id"])
            batch_op.create_index(f"ix_{table}_workspace_source_id", ["workspace_id", "source_id"], unique=False)
            batch_op.create_index(f"ix_{table}_workspace_id", ["workspace_id"], unique=False)
            batch_op.create_index(f"ix_{table}_account_id", ["account_id"], unique=False)
