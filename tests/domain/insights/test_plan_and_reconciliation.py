"""Plan upload and variance, and pipeline↔ARR reconciliation, on the hand-checked dataset."""

from datetime import date

import polars as pl
import pytest

from domain.errors import PlanFileError
from domain.insights.data import RevenueFilters
from domain.insights.plan import parse_plan, plan_vs_actual
from domain.insights.reconciliation import (
    AMOUNT_MISMATCH,
    MOVEMENT_WITHOUT_WON,
    WON_WITHOUT_MOVEMENT,
    ReconciliationRules,
    pipeline_arr_reconciliation,
    reconciliation_summary,
)

from .conftest import make_data

PLAN = b'month,segment,planned_ending_arr,planned_net_new_arr\n2026-01,,5000,1500\n2026-02-28,,5000,\n2026-01,SMB,"3,000",\n'


def test_plan_variance_by_month_and_segment():
    data = make_data(parse_plan(PLAN))
    frame = plan_vs_actual(data, RevenueFilters())
    rows = {(r["month"], r["segment"]): r for r in frame.to_dicts()}
    company_jan = rows[(date(2026, 1, 1), "")]
    assert (company_jan["actual_ending_arr"], company_jan["ending_variance"], company_jan["ending_variance_pct"]) == (
        4800.0,
        -200.0,
        -4.0,
    )
    assert (company_jan["actual_net_new_arr"], company_jan["net_new_variance"]) == (1600.0, 100.0)
    company_feb = rows[(date(2026, 2, 1), "")]
    assert (company_feb["ending_variance"], company_feb["ending_variance_pct"], company_feb["net_new_variance"]) == (
        400.0,
        8.0,
        None,
    )
    smb_jan = rows[(date(2026, 1, 1), "SMB")]  # Bravo 2200 + Charlie 1200
    assert (smb_jan["actual_ending_arr"], smb_jan["ending_variance"]) == (3400.0, 400.0)


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"month,planned_ending_arr\n2026-01,100\n2026-13,100\n", "Line 3, column 'month': '2026-13' is not a month"),
        (b"month,planned_ending_arr\n2026-01,12k\n", "Line 2, column 'planned_ending_arr': '12k' is not a number"),
        (b"month,planned_ending_arr\n2026-01,1\n2026-01-31,2\n", "Line 3: month 2026-01 appear twice"),
        (b"month,segment\n2026-01,SMB\n", "needs a 'planned_ending_arr' or a 'planned_net_new_arr' column"),
        (b"month,planned_ending_arr,target\n2026-01,1,2\n", "unknown column(s): target"),
        (b"planned_ending_arr\n1\n", "no 'month' column"),
        (
            b"month,planned_ending_arr,planned_net_new_arr\n2026-01,,\n",
            "Line 2, column 'planned_ending_arr': None is empty",
        ),
        (b"\xff\xfe", "not UTF-8"),
    ],
)
def test_a_bad_plan_is_refused_naming_line_and_column(content, message):
    with pytest.raises(PlanFileError) as caught:
        parse_plan(content)
    assert message in caught.value.user_message


def test_reconciliation_lists_each_kind_of_exception(data):
    exceptions = pipeline_arr_reconciliation(
        data, RevenueFilters(), ReconciliationRules(window_days=45, tolerance=0.05)
    )
    got = sorted((r["case"], r["opportunity_id"], r["movement_id"], r["difference"]) for r in exceptions.to_dicts())
    assert got == sorted(
        [
            (AMOUNT_MISMATCH, "o5", "m4", -200.0),  # Bravo won 900, expansion 700 nine days later
            (WON_WITHOUT_MOVEMENT, "o6", None, None),  # Alpha's add-on: its only "new" is 86 days earlier
            (MOVEMENT_WITHOUT_WON, None, "m1", None),
            (MOVEMENT_WITHOUT_WON, None, "m2", None),
            (MOVEMENT_WITHOUT_WON, None, "m7", None),  # Delta's deal was lost
        ]
    )
    # o4 and m3 agree (same account, five days, same amount): not an exception.
    assert "o4" not in exceptions["opportunity_id"].to_list()
    summary = {r["case"]: r["rows"] for r in reconciliation_summary(exceptions).to_dicts()}
    assert summary == {AMOUNT_MISMATCH: 1, WON_WITHOUT_MOVEMENT: 1, MOVEMENT_WITHOUT_WON: 3}


def test_reconciliation_window_and_tolerance_are_the_users(data):
    wide = pipeline_arr_reconciliation(data, RevenueFilters(), ReconciliationRules(window_days=90, tolerance=0.05))
    # With 90 days Alpha's add-on finds the earlier "new" movement (an amount mismatch now) and m1 is used.
    assert ("o6", "m1") in set(zip(wide["opportunity_id"], wide["movement_id"], strict=True))
    lenient = pipeline_arr_reconciliation(data, RevenueFilters(), ReconciliationRules(window_days=45, tolerance=0.25))
    assert AMOUNT_MISMATCH not in lenient["case"].to_list()


def test_the_summary_counts_what_matched_first(data):
    from domain.insights.reconciliation import MATCHED

    rows = pipeline_arr_reconciliation(data, RevenueFilters(), include_matched=True)
    exceptions = pipeline_arr_reconciliation(data, RevenueFilters())
    summary = reconciliation_summary(rows)
    assert rows.filter(pl.col("case") != MATCHED).height == exceptions.height
    # The fixture's one deal that agrees with its movement (1,200) comes first, then each kind of exception.
    assert summary.select("case", "rows", "amount").row(0) == (MATCHED, 1, 1200.0)
    assert set(summary["case"]) >= set(reconciliation_summary(exceptions)["case"])


def _typed(data, types: dict[str, str]):
    """The fixture with opportunity types (source_id -> type; others untyped)."""
    from dataclasses import replace

    typed = data.opportunities.with_columns(
        pl.col("source_id").replace_strict(types, default=None, return_dtype=pl.String).alias("opportunity_type")
    )
    return replace(data, opportunities=typed)


def test_a_won_renewal_books_no_movement_and_is_counted_apart_not_as_an_exception(data):
    from domain.insights.reconciliation import NO_MOVEMENT_EXPECTED, opportunity_types, renewal_types

    # Alpha's add-on (o6) has no movement in the window; as a renewal at the same price it needs none.
    typed = _typed(data, {"o6": "Existing Customer - Renewal", "o4": "New Business", "o5": "Upsell"})
    exceptions = pipeline_arr_reconciliation(typed, RevenueFilters())
    assert "o6" not in exceptions["opportunity_id"].to_list()
    everything = pipeline_arr_reconciliation(typed, RevenueFilters(), include_matched=True)
    summary = {r["case"]: r["rows"] for r in reconciliation_summary(everything).to_dicts()}
    assert summary[NO_MOVEMENT_EXPECTED] == 1 and WON_WITHOUT_MOVEMENT not in summary
    # Which types book no movement is the user's choice: with none chosen the renewal is an exception again.
    assert renewal_types(opportunity_types(typed)) == ["Existing Customer - Renewal"]
    strict = pipeline_arr_reconciliation(typed, RevenueFilters(), ReconciliationRules(no_movement_types=()))
    assert ("o6", WON_WITHOUT_MOVEMENT) in set(zip(strict["opportunity_id"], strict["case"], strict=True))
    # And a type the default rule would not guess can be named.
    named = pipeline_arr_reconciliation(typed, RevenueFilters(), ReconciliationRules(no_movement_types=("Upsell",)))
    assert "o5" not in named["opportunity_id"].to_list() and "o6" in named["opportunity_id"].to_list()


def test_a_movement_for_the_same_amount_is_preferred_to_a_closer_one_of_another_size():
    from domain.insights.reconciliation import MATCHED

    data = make_data()  # the hand-checked rows, extended below
    deal = data.opportunities.filter(pl.col("source_id") == "o4")
    close = deal["expected_close"][0]
    amount = deal["amount_reporting"][0]
    account = deal["account_id"][0]
    template = data.movements.filter(pl.col("account_id") == account).head(1)
    extra = pl.concat(
        [
            template.with_columns(
                pl.lit("near").alias("source_id"),
                pl.lit(close).alias("effective_date"),
                pl.lit(amount * 3).alias("arr_delta_reporting"),
                pl.lit("expansion").alias("movement_component"),
            ),
            template.with_columns(
                pl.lit("same").alias("source_id"),
                (pl.lit(close) + pl.duration(days=20)).alias("effective_date"),
                pl.lit(amount).alias("arr_delta_reporting"),
                pl.lit("expansion").alias("movement_component"),
            ),
        ]
    )
    from dataclasses import replace

    data = replace(data, movements=pl.concat([data.movements, extra.select(data.movements.columns)]))
    rows = pipeline_arr_reconciliation(data, RevenueFilters(), include_matched=True)
    matched = rows.filter((pl.col("case") == MATCHED) & (pl.col("opportunity_id") == "o4"))
    assert matched["movement_id"].to_list() in (["same"], ["m3"])  # an equal amount, never the 3x one


def test_the_plan_table_reads_in_words_with_months_and_percent_signs():
    from domain.insights.plan import plan_table

    table = plan_table(plan_vs_actual(make_data(parse_plan(PLAN)), RevenueFilters()), "USD")
    assert table.columns[:2] == ["Month", "Segment"] and "Ending ARR variance %" in table.columns
    assert not [c for c in table.columns if "_" in c]  # no snake_case header
    first = table.row(0, named=True)
    assert first["Month"] == "Jan 2026" and first["Segment"] == "Company"
    assert first["Ending ARR variance %"].endswith("%") and "-0.0" not in first["Ending ARR variance %"]
