"""Weighted pipeline, ARR by month and the ARR bridge on the hand-checked dataset (conftest.py)."""

from datetime import date

import polars as pl

from domain.insights.arr_actuals import arr_bridge, arr_by_month
from domain.insights.data import UNASSIGNED, RevenueFilters
from domain.insights.weighted_pipeline import weighted_pipeline_by_month


def test_weighted_pipeline_counts_open_deals_only_by_close_month_and_stage(data):
    frame = weighted_pipeline_by_month(data, RevenueFilters())
    got = {(r["month"], r["stage"]): r["weighted_amount"] for r in frame.to_dicts()}
    # o1 1000 × 0.6, o2 500 × 0.8, o3 2000 × 0.1; won (o4–o6) and lost (o7) deals are not pipeline.
    assert got == {
        (date(2026, 2, 1), "proposal"): 600.0,
        (date(2026, 2, 1), "negotiation"): 400.0,
        (date(2026, 3, 1), "prospecting"): 200.0,
    }
    assert frame["stage_label"].to_list() == ["Proposal", "Negotiation", "Prospecting"]


def test_pipeline_filters_narrow_by_owner_segment_pipeline_stage_and_period(data):
    def total(**kw):
        return weighted_pipeline_by_month(data, RevenueFilters(**kw))["weighted_amount"].sum()

    assert total(owners=("ann",)) == 800.0
    assert total(segments=("SMB",)) == 400.0
    assert total(pipelines=("Renewals",)) == 200.0
    assert total(stages=("proposal", "prospecting")) == 800.0
    assert total(start=date(2026, 3, 1)) == 200.0
    assert total(end=date(2026, 2, 1)) == 1000.0


def test_accounts_take_the_segment_of_their_deals_and_ones_without_are_unassigned(data):
    segments = dict(data.movements.select("account", "segment").unique().iter_rows())
    assert segments == {"Alpha": "Enterprise", "Bravo": "SMB", "Charlie": "SMB", "Delta": UNASSIGNED}


def test_ending_arr_is_valued_at_the_month_end_rate_and_net_new_at_the_movement_rate(data):
    frame = arr_by_month(data, RevenueFilters())
    assert frame.select("month", "net_new_arr", "ending_arr").rows() == [
        (date(2025, 12, 1), 3200.0, 3200.0),  # 1000 USD + 2000 EUR × 1.10
        (date(2026, 1, 1), 1600.0, 4800.0),  # + 1200 + 400
        (date(2026, 2, 1), 600.0, 5400.0),  # + 700 − 100
        (date(2026, 3, 1), -1200.0, 4400.0),  # − 1200; EUR now 1.20: 2000 USD + 2400
    ]
    assert frame["accounts"].to_list() == [2, 4, 4, 4]
    smb = arr_by_month(data, RevenueFilters(segments=("SMB",), start=date(2026, 1, 1), end=date(2026, 2, 1)))
    assert smb.select("month", "ending_arr").rows() == [(date(2026, 1, 1), 3400.0), (date(2026, 2, 1), 4100.0)]


def test_the_bridge_adds_up_from_opening_to_closing_with_an_fx_effect(data):
    bridge = arr_bridge(data, RevenueFilters(), date(2026, 1, 1), date(2026, 3, 1))
    amounts = dict(bridge.select("component", "amount").iter_rows())
    assert amounts == {
        "opening": 3200.0,
        "new": 1600.0,
        "expansion": 700.0,
        "reactivation": 0.0,
        "contraction": -100.0,
        "churn": -1200.0,
        "fx_effect": 200.0,
        "closing": 4400.0,
    }
    steps = bridge.filter(pl.col("kind") != "total")["amount"].sum()
    assert amounts["opening"] + steps == amounts["closing"]
    assert bridge["step"].to_list() == [
        "Opening ARR",
        "New",
        "Expansion",
        "Reactivation",
        "Contraction",
        "Churn",
        "FX effect",
        "Closing ARR",
    ]
    # Waterfall bars: each step starts where the previous one ended.
    assert bridge.select("bar_start", "bar_end").rows()[1:3] == [(3200.0, 4800.0), (4800.0, 5500.0)]
    assert bridge.filter(pl.col("component") == "closing").select("bar_start", "bar_end").row(0) == (0.0, 4400.0)


def test_without_converted_amounts_the_bridge_has_no_fx_bar(data):
    usd_only = RevenueFilters(segments=("Enterprise",))
    bridge = arr_bridge(data, usd_only, date(2026, 1, 1), date(2026, 3, 1))
    assert "fx_effect" in bridge["component"].to_list()  # the workspace converts some amounts…
    assert bridge.filter(pl.col("component") == "fx_effect")["amount"].item() == 0.0  # …but not Alpha's
    assert bridge.filter(pl.col("component") == "closing")["amount"].item() == 900.0


def test_a_customer_new_and_churned_in_one_month_counts_in_both_bars_unless_the_policy_nets_them_out(data):
    from dataclasses import replace

    # Echo signs on 3 March for 500 and leaves on 28 March: it never held ARR at a month end.
    echo = data.movements.filter(pl.col("source_id") == "m7").with_columns(
        pl.lit("e1").alias("source_id"),
        pl.lit(99, pl.Int64).alias("account_id"),
        pl.lit(date(2026, 3, 3)).alias("effective_date"),
    )
    echo = pl.concat(
        [
            echo.with_columns(pl.lit(500.0).alias("arr_delta"), pl.lit(500.0).alias("arr_delta_reporting")),
            echo.with_columns(
                pl.lit("e2").alias("source_id"),
                pl.lit(date(2026, 3, 28)).alias("effective_date"),
                pl.lit("churn").alias("movement_component"),
                pl.lit(-500.0).alias("arr_delta"),
                pl.lit(-500.0).alias("arr_delta_reporting"),
            ),
        ]
    )
    data = replace(data, movements=pl.concat([data.movements, echo]))
    both = dict(
        arr_bridge(data, RevenueFilters(), date(2026, 1, 1), date(2026, 3, 1)).select("component", "amount").iter_rows()
    )
    net = dict(
        arr_bridge(data, RevenueFilters(net_same_month_churn=True), date(2026, 1, 1), date(2026, 3, 1))
        .select("component", "amount")
        .iter_rows()
    )
    assert (both["new"], both["churn"]) == (2100.0, -1700.0)
    assert (net["new"], net["churn"]) == (1600.0, -1200.0)
    # Opening, closing and the FX effect do not move: the customer's movements add up to nothing.
    assert {k: both[k] for k in ("opening", "fx_effect", "closing")} == {
        k: net[k] for k in ("opening", "fx_effect", "closing")
    }
