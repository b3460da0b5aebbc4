"""What a role that may not see customer-linked amounts may see of revenue figures, so that no figure, and no
difference between two figures, tells one customer's amount.

Hiding a total over fewer than k accounts is not enough: a period ending in November and one ending in December
are each over many accounts, yet their difference is December alone, which may be one deal. So for masked roles:

- the grid is coarse: periods are whole calendar quarters; there is no owner, pipeline, stage or parent-account
  filter (each can narrow a total to one account), and one total per quarter instead of a split by stage;
- a quarter is *small* when it rests on 1 to k-1 accounts (a quarter with none adds nothing and is safe);
- a total over several quarters is shown only if none of them is small, so the difference of any two visible
  totals is a set of quarters, each resting on at least k accounts or on none;
- ending ARR at a quarter's end is all history up to it, so it is shown only if no quarter up to it is small;
- a segment filter applies only when both the chosen segments and the rest are free of small quarters over the
  whole history shown (suppression of the complement): otherwise "all segments" minus "the segment" would tell it.

k is `Access.min_accounts` (REVENUE_CONNECTOR_MASK_MIN_ACCOUNTS).
"""

from __future__ import annotations

from dataclasses import replace
from datetime import date

import polars as pl

from domain.insights.arr_actuals import arr_by_month
from domain.insights.data import RevenueData, RevenueFilters, month_end, month_start
from domain.insights.weighted_pipeline import open_pipeline_rows
from domain.money import money_sum
from domain.roles import Access

ALL_OPEN_STAGES = "All open stages"


def quarter_start(day: date) -> date:
    return date(day.year, 3 * ((day.month - 1) // 3) + 1, 1)


def quarter_last_month(day: date) -> date:
    """The first day of the last month of `day`'s quarter (periods are kept as month starts)."""
    first = quarter_start(day)
    return date(first.year, first.month + 2, 1)


def quarter_starts(months: list[date]) -> list[date]:
    """The quarters `months` touch, as their first days."""
    return sorted({quarter_start(m) for m in months})


def quarter_label(first_day: date) -> str:
    return f"Q{(first_day.month - 1) // 3 + 1} {first_day.year}"


def small(accounts: pl.Expr, k: int) -> pl.Expr:
    """A group that rests on some accounts, but fewer than k."""
    return (accounts > 0) & (accounts < k)


def coarse_filters(filters: RevenueFilters, data: RevenueData, access: Access) -> tuple[RevenueFilters, list[str]]:
    """The filters a masked role's figures are computed with, and what was set aside (in words)."""
    if access.sees_amounts:
        return filters, []
    notes: list[str] = []
    if filters.owners or filters.pipelines or filters.stages or filters.account_groups:
        notes.append("Owner, pipeline, stage and parent-account filters do not apply to your role.")
    coarse = replace(
        filters,
        start=quarter_start(filters.start) if filters.start else None,
        end=quarter_last_month(filters.end) if filters.end else None,
        owners=(),
        pipelines=(),
        stages=(),
        account_groups=(),
    )
    if coarse.segments and not _segment_choice_safe(data, coarse, access.min_accounts):
        notes.append(
            "The segment filter does not apply: the chosen segments or the others rest on fewer than "
            f"{access.min_accounts} accounts in some quarter, so comparing totals would tell a customer's amount."
        )
        coarse = replace(coarse, segments=())
    return coarse, notes


def _segment_choice_safe(data: RevenueData, filters: RevenueFilters, k: int) -> bool:
    chosen = list(filters.segments)
    sides = [pl.col("segment").is_in(chosen), ~pl.col("segment").is_in(chosen) | pl.col("segment").is_null()]
    for side in sides:
        rows = open_pipeline_rows(data, replace(filters, segments=())).filter(side)
        deals = _quarterly_accounts(rows, "forecast_close" if "forecast_close" in rows.columns else "expected_close")
        moves = _quarterly_accounts(data.movements.filter(side), "effective_date")
        if deals.filter(small(pl.col("accounts"), k)).height or moves.filter(small(pl.col("accounts"), k)).height:
            return False
    return True


def _quarterly_accounts(rows: pl.DataFrame, on: str) -> pl.DataFrame:
    return (
        rows.filter(pl.col(on).is_not_null())
        .group_by(pl.col(on).dt.truncate("1q").alias("month"))
        .agg(pl.col("account_id").n_unique().alias("accounts"))
    )


def quarterly_pipeline(data: RevenueData, filters: RevenueFilters, k: int) -> pl.DataFrame:
    """Weighted open pipeline per quarter of expected close, in the shape of `weighted_pipeline_by_month` (month =
    the quarter's first day, one "stage" for all open stages); a small quarter's amounts are null."""
    rows = open_pipeline_rows(data, filters)
    when = "forecast_close" if "forecast_close" in rows.columns else "expected_close"  # where slipped deals count
    out = (
        rows.group_by(pl.col(when).dt.truncate("1q").alias("month"))
        .agg(
            money_sum(pl.col("weighted_amount")),
            money_sum(pl.col("amount_reporting")).alias("amount"),
            pl.len().alias("deals"),
            pl.col("account_id").n_unique().alias("accounts"),
        )
        .with_columns(
            pl.lit("open").alias("stage"), pl.lit(ALL_OPEN_STAGES).alias("stage_label"), pl.lit(0).alias("stage_order")
        )
        .select("month", "stage", "stage_label", "stage_order", "weighted_amount", "amount", "deals", "accounts")
        .sort("month")
    )
    hidden = small(pl.col("accounts"), k)
    return out.with_columns(
        pl.when(hidden).then(None).otherwise(pl.col(c)).alias(c) for c in ("weighted_amount", "amount")
    )


def quarterly_arr(data: RevenueData, filters: RevenueFilters, k: int) -> pl.DataFrame:
    """Net new ARR per quarter and ending ARR at each quarter's end, in the shape of `arr_by_month` (accounts =
    accounts whose ARR moved in the quarter). Net new is null for a small quarter, ending ARR from the first small
    quarter on (it holds all history)."""
    monthly = arr_by_month(data, replace(filters, start=None, end=None))
    schema = {"month": pl.Date, "net_new_arr": pl.Float64, "ending_arr": pl.Float64, "accounts": pl.UInt32}
    if monthly.is_empty():
        return pl.DataFrame(schema=schema)
    movers = _quarterly_accounts(filters.movement_rows(data.movements), "effective_date")
    quarters = (
        monthly.group_by(pl.col("month").dt.truncate("1q").alias("quarter"))
        .agg(money_sum(pl.col("net_new_arr")), pl.col("ending_arr").sort_by("month").last())
        .join(movers.rename({"month": "quarter"}), on="quarter", how="left")
        .sort("quarter")
        .with_columns(pl.col("accounts").fill_null(0).cast(pl.UInt32))
    )
    hidden = small(pl.col("accounts"), k)
    out = quarters.with_columns(
        pl.when(hidden).then(None).otherwise(pl.col("net_new_arr")).alias("net_new_arr"),
        pl.when(hidden.cast(pl.Int32).cum_max() > 0).then(None).otherwise(pl.col("ending_arr")).alias("ending_arr"),
    ).rename({"quarter": "month"})
    if filters.start:
        out = out.filter(pl.col("month") >= quarter_start(month_start(filters.start)))
    if filters.end:
        out = out.filter(pl.col("month") <= quarter_start(month_start(filters.end)))
    return out.select(list(schema))


def period_total(quarters: pl.DataFrame, value: str) -> float | None:
    """The sum over the period's quarters, or None when any of them is hidden."""
    if quarters[value].null_count():
        return None
    return round(float(quarters[value].sum()), 2)


def masked_bridge(
    bridge: pl.DataFrame, data: RevenueData, filters: RevenueFilters, start: date, end: date, k: int
) -> pl.DataFrame:
    """The ARR bridge for a masked role: a movement type's amount only if no quarter of the bridge period holds it
    for 1 to k-1 accounts; opening and closing ARR only if no quarter up to them is small; the FX effect (the rest)
    only when every other step is shown."""
    movements = filters.movement_rows(data.movements).filter(pl.col("effective_date").is_not_null())
    per_component = (
        movements.filter(pl.col("effective_date").is_between(month_start(start), month_end(end)))
        .group_by(pl.col("effective_date").dt.truncate("1q").alias("quarter"), "movement_component")
        .agg(pl.col("account_id").n_unique().alias("accounts"))
        .filter(small(pl.col("accounts"), k))
    )
    hidden_components = set(per_component["movement_component"].to_list())
    history = _quarterly_accounts(movements, "effective_date")
    unsafe_history = history.filter(small(pl.col("accounts"), k))
    opening_hidden = unsafe_history.filter(pl.col("month") < quarter_start(start)).height > 0
    closing_hidden = unsafe_history.filter(pl.col("month") <= quarter_start(end)).height > 0
    hide = (
        pl.col("component").is_in(sorted(hidden_components))
        | ((pl.col("component") == "opening") & pl.lit(opening_hidden))
        | ((pl.col("component") == "closing") & pl.lit(closing_hidden))
        | ((pl.col("component") == "fx_effect") & pl.lit(bool(hidden_components) or opening_hidden or closing_hidden))
    )
    return bridge.with_columns(
        pl.when(hide).then(None).otherwise(pl.col(c)).alias(c) for c in ("amount", "bar_start", "bar_end")
    )
