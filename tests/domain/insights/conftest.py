"""A small revenue dataset whose figures were worked out by hand (see each test for the arithmetic)."""

from __future__ import annotations

from datetime import date

import polars as pl
import pytest

from domain.insights.data import FX_SCHEMA, RevenueData, shape_revenue_data
from domain.insights.plan import PLAN_SCHEMA
from domain.stage_set import default_stage_set

D = date.fromisoformat
OPPORTUNITY_COLUMNS = (
    "source_id",
    "opportunity",
    "account_id",
    "account",
    "segment",
    "owner",
    "pipeline",
    "stage",
    "weight",
    "amount",
    "currency",
    "amount_reporting",
    "weighted_amount",
    "expected_close",
)
# Accounts: 1 Alpha (Enterprise), 2 Bravo (SMB), 3 Charlie (SMB), 4 Delta (no segmented deal).
OPPORTUNITIES = [
    (
        "o1",
        "Alpha - New",
        1,
        "Alpha",
        "Enterprise",
        "ann",
        "New Business",
        "proposal",
        0.6,
        1000.0,
        "USD",
        1000.0,
        600.0,
        D("2026-02-10"),
    ),
    (
        "o2",
        "Bravo - New",
        2,
        "Bravo",
        "SMB",
        "bob",
        "New Business",
        "negotiation",
        0.8,
        500.0,
        "USD",
        500.0,
        400.0,
        D("2026-02-20"),
    ),
    (
        "o3",
        "Alpha - Upsell",
        1,
        "Alpha",
        "Enterprise",
        "ann",
        "Renewals",
        "prospecting",
        0.1,
        2000.0,
        "USD",
        2000.0,
        200.0,
        D("2026-03-05"),
    ),
    (
        "o4",
        "Charlie - New",
        3,
        "Charlie",
        "SMB",
        "bob",
        "New Business",
        "closed_won",
        1.0,
        1200.0,
        "USD",
        1200.0,
        1200.0,
        D("2026-01-15"),
    ),
    (
        "o5",
        "Bravo - Upgrade",
        2,
        "Bravo",
        "SMB",
        "bob",
        "Renewals",
        "closed_won",
        1.0,
        900.0,
        "USD",
        900.0,
        900.0,
        D("2026-02-01"),
    ),
    (
        "o6",
        "Alpha - Add-on",
        1,
        "Alpha",
        "Enterprise",
        "ann",
        "Renewals",
        "closed_won",
        1.0,
        300.0,
        "USD",
        300.0,
        300.0,
        D("2026-03-01"),
    ),
    (
        "o7",
        "Delta - New",
        4,
        "Delta",
        None,
        "cy",
        "New Business",
        "closed_lost",
        0.0,
        5000.0,
        "USD",
        5000.0,
        0.0,
        D("2026-01-10"),
    ),
]
MOVEMENT_COLUMNS = (
    "source_id",
    "account_id",
    "account",
    "effective_date",
    "movement_component",
    "arr_delta",
    "currency",
    "arr_delta_reporting",
)
MOVEMENTS = [
    ("m1", 1, "Alpha", D("2025-12-05"), "new", 1000.0, "USD", 1000.0),
    ("m2", 2, "Bravo", D("2025-12-10"), "new", 2000.0, "EUR", 2200.0),  # EUR at 1.10
    ("m3", 3, "Charlie", D("2026-01-20"), "new", 1200.0, "USD", 1200.0),
    ("m4", 2, "Bravo", D("2026-02-10"), "expansion", 700.0, "USD", 700.0),
    ("m5", 1, "Alpha", D("2026-02-15"), "contraction", -100.0, "USD", -100.0),
    ("m6", 3, "Charlie", D("2026-03-10"), "churn", -1200.0, "USD", -1200.0),
    ("m7", 4, "Delta", D("2026-01-05"), "new", 400.0, "USD", 400.0),
]
# EUR is worth 1.10 USD until March 2026, then 1.20.
FX = pl.DataFrame(
    {"currency": ["EUR", "EUR"], "valid_from": [D("2025-01-01"), D("2026-03-01")], "rate": [1.10, 1.20]},
    schema=FX_SCHEMA,
)


def make_data(
    plan: pl.DataFrame | None = None, *, hierarchy: pl.DataFrame | None = None, orphan_deal: bool = False
) -> RevenueData:
    rows = OPPORTUNITIES + (
        [
            (
                "o8",
                "No account",
                None,
                None,
                "SMB",
                "bob",
                "New Business",
                "proposal",
                0.6,
                10.0,
                "USD",
                10.0,
                6.0,
                D("2026-02-10"),
            )
        ]
        if orphan_deal
        else []
    )
    opportunities = pl.DataFrame(rows, schema=list(OPPORTUNITY_COLUMNS), orient="row").with_columns(
        pl.lit("crm").alias("source"), pl.lit(1).alias("run_id")
    )
    movements = pl.DataFrame(MOVEMENTS, schema=list(MOVEMENT_COLUMNS), orient="row").with_columns(
        pl.lit("crm").alias("source"), pl.lit(1).alias("run_id")
    )
    return shape_revenue_data(
        opportunities,
        movements,
        FX,
        "USD",
        tuple(default_stage_set()),
        plan if plan is not None else pl.DataFrame(schema=PLAN_SCHEMA),
        hierarchy=hierarchy,
    )


@pytest.fixture
def data() -> RevenueData:
    return make_data()
