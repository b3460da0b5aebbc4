"""A viewer cannot work one customer's amount out from two totals (issue 18): the differencing attacks that
worked before (periods a month apart, an owner filter, a segment against all) give nothing away."""

from __future__ import annotations

from datetime import date

import polars as pl
import pytest

from domain.insights.data import FX_SCHEMA, RevenueFilters, shape_revenue_data
from domain.insights.plan import PLAN_SCHEMA
from domain.insights.revenue_view import revenue_view
from domain.roles import Access, Role
from domain.stage_set import default_stage_set
from tests.domain.insights.conftest import MOVEMENT_COLUMNS, OPPORTUNITY_COLUMNS

D = date.fromisoformat
SOLO_AMOUNT, SOLO_EXPANSION = 77_777.0, 5_555.0


def _data():
    deals, moves = [], []
    for account in range(1, 11):  # ten ordinary customers with a deal each month, Jan-Jun 2026
        for month in range(1, 7):
            amount = 1000.0 * account
            deals.append(
                (
                    f"o{account}-{month}",
                    f"Deal {account}",
                    account,
                    f"Customer {account}",
                    "Core",
                    f"rep{account % 3}",
                    "New Business",
                    "proposal",
                    0.5,
                    amount,
                    "USD",
                    amount,
                    amount * 0.5,
                    date(2026, month, 15),
                )
            )
        moves.append((f"m{account}", account, f"Customer {account}", D("2026-01-10"), "new", 500.0, "USD", 500.0))
    # One customer alone in July, alone with its owner, alone in its segment.
    deals.append(
        (
            "solo",
            "Solo deal",
            11,
            "Solo Ltd",
            "Niche",
            "solo-rep",
            "New Business",
            "proposal",
            0.5,
            SOLO_AMOUNT,
            "USD",
            SOLO_AMOUNT,
            SOLO_AMOUNT * 0.5,
            D("2026-07-20"),
        )
    )
    moves.append(("m-solo", 11, "Solo Ltd", D("2026-07-05"), "expansion", SOLO_EXPANSION, "USD", SOLO_EXPANSION))
    opportunities = pl.DataFrame(deals, schema=list(OPPORTUNITY_COLUMNS), orient="row", strict=False).with_columns(
        pl.lit("crm").alias("source"), pl.lit(1).alias("run_id")
    )
    movements = pl.DataFrame(moves, schema=list(MOVEMENT_COLUMNS), orient="row").with_columns(
        pl.lit("crm").alias("source"), pl.lit(1).alias("run_id")
    )
    return shape_revenue_data(
        opportunities,
        movements,
        pl.DataFrame(schema=FX_SCHEMA),
        "USD",
        tuple(default_stage_set()),
        pl.DataFrame(schema=PLAN_SCHEMA),
    )


def _view(role: Role, **filters):
    return revenue_view(
        _data(),
        RevenueFilters(**filters),
        Access("someone", role, 5),
        bridge_start=filters.get("start", D("2026-01-01")),
        bridge_end=filters.get("end", D("2026-07-01")),
    )


JAN_JUN = {"start": D("2026-01-01"), "end": D("2026-06-01")}
JAN_JUL = {"start": D("2026-01-01"), "end": D("2026-07-01")}


def test_the_attack_works_for_a_role_that_sees_amounts():
    # The baseline: for finance the difference of two periods a month apart is the solo deal, as it should be.
    june, july = _view(Role.FINANCE, **JAN_JUN), _view(Role.FINANCE, **JAN_JUL)
    assert july.headline["weighted_pipeline"] - june.headline["weighted_pipeline"] == SOLO_AMOUNT * 0.5
    assert july.headline["net_new_arr"] - june.headline["net_new_arr"] == SOLO_EXPANSION


@pytest.mark.parametrize("role", [Role.VIEWER, Role.REVIEWER])
def test_two_periods_a_month_apart_tell_a_viewer_nothing(role):
    june, july = _view(role, **JAN_JUN), _view(role, **JAN_JUL)
    assert june.headline["weighted_pipeline"] == 10 * sum(1000.0 * a * 0.5 for a in range(1, 11)) * 6 / 10
    # July falls in a quarter that rests on one account: no total that contains it is shown.
    for figure in ("weighted_pipeline", "net_new_arr", "ending_arr"):
        assert july.headline[figure] is None, figure
    assert june.by_quarter and june.pipeline_by_month["month"].to_list() == [D("2026-01-01"), D("2026-04-01")]
    q3 = july.pipeline_by_month.filter(pl.col("month") == D("2026-07-01"))
    assert q3["weighted_amount"].to_list() == [None]
    arr_q3 = july.arr_by_month.filter(pl.col("month") == D("2026-07-01"))
    assert arr_q3["net_new_arr"].to_list() == [None] and arr_q3["ending_arr"].to_list() == [None]
    expansion = july.bridge.filter(pl.col("component") == "expansion")
    assert expansion["amount"].to_list() == [None]
    # Nothing on the page holds the solo amounts anywhere.
    for frame in (july.pipeline_by_month, july.arr_by_month, july.bridge, july.account_groups, july.plan_vs_actual):
        for column, dtype in frame.schema.items():
            if dtype.is_numeric():
                values = set(frame[column].drop_nulls().to_list())
                assert not values & {SOLO_AMOUNT, SOLO_AMOUNT * 0.5, SOLO_EXPANSION}, column


def test_a_period_inside_a_quarter_is_widened_to_the_quarter():
    may = _view(Role.VIEWER, start=D("2026-05-01"), end=D("2026-05-01"))
    whole = _view(Role.VIEWER, start=D("2026-04-01"), end=D("2026-06-01"))
    assert may.headline == whole.headline


def test_an_owner_filter_does_not_narrow_a_viewers_figures():
    everyone = _view(Role.VIEWER, **JAN_JUN)
    one_rep = _view(Role.VIEWER, owners=("rep1",), **JAN_JUN)
    assert one_rep.headline == everyone.headline
    assert any("do not apply to your role" in note for note in one_rep.notes)


def test_a_segment_whose_complement_is_small_is_refused():
    niche = _view(Role.VIEWER, segments=("Niche",), **JAN_JUL)
    everyone = _view(Role.VIEWER, **JAN_JUL)
    assert niche.headline == everyone.headline
    assert any("segment filter does not apply" in note for note in niche.notes)
    core = _view(Role.VIEWER, segments=("Core",), **JAN_JUN)  # the complement (Niche) is small in Q3
    assert any("segment filter does not apply" in note for note in core.notes)
