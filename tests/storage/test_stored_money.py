"""Money is stored as exact integer thousandths on SQLite and PostgreSQL: amounts round-trip unchanged, SQL sums
are exact at a million rows, and the migration converts earlier double-precision data both ways (issue 19)."""

import random
from decimal import Decimal

import polars as pl
import pytest
from alembic import command
from sqlalchemy import text

from domain.canonical import Domain
from domain.figures import arr_figures
from storage.bulk_insert import bulk_insert
from storage.canonical_rows import CanonicalRows
from storage.db import open_database, session_scope
from storage.tables import ArrMovement, table_of
from storage.workspaces import create_workspace
from tests.storage.older_schema import workspace_at_revision

# Amounts a double cannot hold (491,901.575 is 491,901.57499…), a KWD amount with 3 decimals, a JPY amount,
# the largest an amount may be, and amounts that cancel to zero.
AMOUNTS = [491901.575, 35340.745, -17500.0, 0.001, 123456789.0, 999_999_999_999.999, -0.005, 0.005]


def _movements(workspace_id: int, amounts: list[float]) -> pl.DataFrame:
    n = len(amounts)
    return pl.DataFrame(
        {
            "workspace_id": [workspace_id] * n,
            "source": ["s"] * n,
            "source_object": ["m"] * n,
            "source_id": [f"m{i}" for i in range(n)],
            "movement_component": ["new"] * n,
            "arr_delta": amounts,
            "currency": ["KWD"] * n,
            "arr_delta_reporting": amounts,
            "is_deleted": [False] * n,
        }
    )


@pytest.fixture
def engine(settings):
    engine = open_database(settings)
    yield engine
    engine.dispose()


def test_amounts_round_trip_exactly_and_are_stored_as_integer_thousandths(engine):
    with session_scope(engine) as session:
        workspace_id = create_workspace(session, "Acme", actor="t").id
        bulk_insert(session, table_of(ArrMovement), _movements(workspace_id, AMOUNTS))
    with session_scope(engine) as session:
        back = CanonicalRows(session).stored(workspace_id, Domain.ARR_ACTUALS).sort("source_id")
        raw = session.execute(text("SELECT arr_delta FROM arr_movement ORDER BY source_id")).scalars().all()
        sums = CanonicalRows(session).sums(workspace_id, Domain.ARR_ACTUALS)
    assert back["arr_delta"].to_list() == back["arr_delta_reporting"].to_list() == AMOUNTS
    assert raw == [round(Decimal(str(a)) * 1000) for a in AMOUNTS] and all(type(v) is int for v in raw)
    assert Decimal(str(sums["arr_delta_reporting"].item())) == sum(Decimal(str(a)) for a in AMOUNTS)


def test_a_million_stored_amounts_sum_exactly_in_sql_and_in_the_figures(engine):
    rng = random.Random(19)
    cents = [rng.randint(-(10**9), 10**9) for _ in range(1_000_000)]
    reference = sum(Decimal(c) / 100 for c in cents)
    with session_scope(engine) as session:
        workspace_id = create_workspace(session, "Acme", actor="t").id
        bulk_insert(session, table_of(ArrMovement), _movements(workspace_id, [c / 100 for c in cents]))
    with session_scope(engine) as session:
        in_sql = CanonicalRows(session).sums(workspace_id, Domain.ARR_ACTUALS)
        stored = CanonicalRows(session).stored(
            workspace_id, Domain.ARR_ACTUALS, columns=["movement_component", "arr_delta_reporting"]
        )
    assert Decimal(str(arr_figures(in_sql)["ARR new"])) == reference
    assert Decimal(str(arr_figures(stored)["ARR new"])) == reference


def test_the_migration_converts_double_precision_amounts_both_ways_without_loss(settings):
    engine, config = workspace_at_revision(settings, "0012", currency="KWD")
    with engine.begin() as connection:
        for i, amount in enumerate(AMOUNTS):
            connection.execute(
                text(
                    "INSERT INTO arr_movement (workspace_id, source, source_object, source_id, arr_delta, "
                    "arr_delta_reporting, is_deleted) VALUES (1, 's', 'm', :id, :a, :a, false)"
                ),
                {"id": f"m{i}", "a": amount},
            )
        connection.execute(
            text(
                "INSERT INTO revenue_plan (workspace_id, month, segment, planned_ending_arr, uploaded_by, "
                "uploaded_at) VALUES (1, '2026-01-01', '', 491901.575, 't', CURRENT_TIMESTAMP)"
            )
        )
    command.upgrade(config, "head")
    with engine.connect() as connection:
        stored = connection.execute(text("SELECT arr_delta FROM arr_movement ORDER BY source_id")).scalars().all()
        plan = connection.execute(text("SELECT planned_ending_arr FROM revenue_plan")).scalar_one()
    assert stored == [round(Decimal(str(a)) * 1000) for a in AMOUNTS] and plan == 491901575
    with session_scope(engine) as session:
        back = CanonicalRows(session).stored(1, Domain.ARR_ACTUALS).sort("source_id")
    assert back["arr_delta"].to_list() == AMOUNTS

    command.downgrade(config, "0012")
    with engine.connect() as connection:
        doubles = connection.execute(text("SELECT arr_delta FROM arr_movement ORDER BY source_id")).scalars().all()
        plan = connection.execute(text("SELECT planned_ending_arr FROM revenue_plan")).scalar_one()
    assert doubles == AMOUNTS and plan == 491901.575
    engine.dispose()
