"""money columns hold integer thousandths of the currency unit instead of double precision, so amounts such as
491,901.575 are kept exactly and SQL sums are exact on SQLite and PostgreSQL (storage/stored_money.py)

Stored doubles were already rounded at each currency's minor unit (0, 2 or 3 decimals), so ROUND(x * 1000) is
the exact amount; the downgrade divides again (exact for every amount below 2^53 thousandths).

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-06 00:10:00.000000
"""

import sqlalchemy as sa
from alembic import op

revision = '0013'
down_revision = '0012'
branch_labels = None
depends_on = None

MONEY = {
    'opportunity': ('amount', 'amount_reporting', 'weighted_amount'),
    'opportunity_history': ('amount', 'amount_reporting', 'weighted_amount'),
    'arr_movement': ('arr_delta', 'arr_delta_reporting'),
    'arr_movement_history': ('arr_delta', 'arr_delta_reporting'),
    'revenue_plan': ('planned_ending_arr', 'planned_net_new_arr'),
}


def upgrade() -> None:
    for table, columns in MONEY.items():
        # Scale while the column is still a double: the copy into an integer column then casts whole numbers.
        op.execute(f"UPDATE {table} SET " + ", ".join(f"{c} = ROUND({c} * 1000)" for c in columns))
        with op.batch_alter_table(table) as batch_op:
            for column in columns:
                batch_op.alter_column(
                    column, existing_type=sa.Float(), type_=sa.BigInteger(), postgresql_using=f"{column}::bigint"
                )


def downgrade() -> None:
    for table, columns in MONEY.items():
        with op.batch_alter_table(table) as batch_op:
            for column in columns:
                batch_op.alter_column(
                    column,
                    existing_type=sa.BigInteger(),
                    type_=sa.Float(),
                    postgresql_using=f"{column}::double precision",
                )
        op.execute(f"UPDATE {table} SET " + ", ".join(f"{c} = {c} / 1000.0" for c in columns))
