"""The canonical tables, their history and the stage history drop their per-row foreign keys (workspace, run,
account): a run checks its references once, as a set, before it writes (storage/canonical_rows.py,
storage/stage_history.py)

Why: PostgreSQL checks a foreign key with one index lookup per row and key, inside the COPY. With three keys on a
million rows that was 17 s of a 22 s insert; the set-based check looks up each distinct account once. Nothing
deletes a workspace, a run or a canonical account (a merge keeps the merged account), so the keys only ever
guarded the insert, which the check now does — more strictly, as an account must also belong to the run's
workspace.

Revision ID: 0020
Revises: 0019
Create Date: 2026-12-06 09:40:00.000000
"""

import sqlalchemy as sa
from alembic import op

revision = '0020'
down_revision = '0019'
branch_labels = None
depends_on = None

_RUN_AND_ACCOUNT = {'workspace_id': 'workspace', 'run_id': 'sync_run', 'account_id': 'canonical_account'}
_CLOSED_BY_RUN = {'workspace_id': 'workspace', 'closed_by_run': 'sync_run'}
FOREIGN_KEYS = {
    'opportunity': _RUN_AND_ACCOUNT,
    'arr_movement': _RUN_AND_ACCOUNT,
    'opportunity_history': _CLOSED_BY_RUN,
    'arr_movement_history': _CLOSED_BY_RUN,
    'stage_history': {'workspace_id': 'workspace', 'run_id': 'sync_run'},
}
# SQLite keeps foreign keys unnamed; batch mode names them by this convention so they can be dropped.
_SQLITE_NAMES = {'fk': 'fk_%(table_name)s_%(column_0_name)s'}


def upgrade() -> None:
    bind = op.get_bind()
    inspector = sa.inspect(bind)
    for table, columns in FOREIGN_KEYS.items():
        if bind.dialect.name == 'sqlite':
            with op.batch_alter_table(table, naming_convention=_SQLITE_NAMES) as batch:
                for column in columns:
                    batch.drop_constraint(f'fk_{table}_{column}', type_='foreignkey')
            continue
        for key in inspector.get_foreign_keys(table):
            if key['constrained_columns'][0] in columns and key['name']:
                op.drop_constraint(key['name'], table, type_='foreignkey')


def downgrade() -> None:
    for table, columns in FOREIGN_KEYS.items():
        with op.batch_alter_table(table) as batch:
            for column, referred in columns.items():
                batch.create_foreign_key(f'{table}_{column}_fkey', referred, [column], ['id'])
