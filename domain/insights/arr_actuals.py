"""ARR actuals: ending ARR and net new ARR by month, and the ARR bridge of a period.

Movements are converted at the rate of their effective date (that is what the sync stored). Ending
ARR is valued at the rate in force at the end of each month, so the bridge from one month-end to
another adds up: opening + new + expansion + reactivation + contraction + churn + FX effect = closing.
"""

from __future__ import annotations

from datetime import date

import polars as pl

from domain.canonical import MOVEMENT_SIGN, MovementComponent
from domain.insights.data import RevenueData, RevenueFilters, first_date, last_date, month_end, month_start
from domain.money import THOUSANDTHS, money_sum

COMPONENT_LABELS: dict[str, str] = {c.value: c.value.capitalize() for c in MovementComponent}
BRIDGE_COLUMNS = ("step", "component", "amount", "kind", "bar_start", "bar_end", "accounts", "order")


def _month_grid(movements: pl.DataFrame) -> pl.Series:
    first, last = first_date(movements["effective_date"]), last_date(movements["effective_date"])
    assert first is not None and last is not None, "callers pass movements with dates"
    return pl.date_range(month_start(first), month_start(last), "1mo", eager=True).alias("month")


def _rates_at(frame: pl.DataFrame, data: RevenueData, on: str) -> pl.DataFrame:
    """Add `rate`: the reporting currency is 1, another currency takes its latest rate on or before `on`."""
    rates = data.fx_rates.sort("valid_from")
    joined = frame.sort(on).join_asof(
        rates, left_on=on, right_on="valid_from", by="currency", strategy="backward", check_sortedness=False
    )
    return joined.with_columns(
        pl.when(pl.col("currency") == data.reporting_currency).then(1.0).otherwise(pl.col("rate")).alias("rate")
    )


def arr_by_month(data: RevenueData, filters: RevenueFilters) -> pl.DataFrame:
    """month, net_new_arr, ending_arr, accounts (that ever moved ARR up to the month), one row per month.

    The months run from the first movement (ending ARR needs all history) to the latest one, and are
    then cut to the period: months after the latest movement have no actuals yet.
    """
    movements = filters.movement_rows(data.movements).filter(pl.col("effective_date").is_not_null())
    schema = {"month": pl.Date, "net_new_arr": pl.Float64, "ending_arr": pl.Float64, "accounts": pl.UInt32}
    if movements.is_empty():
        return pl.DataFrame(schema=schema)
    months = _month_grid(movements).to_frame()
    dated = movements.with_columns(
        pl.col("effective_date").dt.truncate("1mo").alias("month"),
        pl.col("currency").fill_null(data.reporting_currency),
    )
    net_new = dated.group_by("month").agg(money_sum(pl.col("arr_delta_reporting")).alias("net_new_arr"))
    firsts = dated.group_by("account_id").agg(pl.col("month").min()).group_by("month").len("new_accounts")
    native = dated.group_by("currency", "month").agg(money_sum(pl.col("arr_delta")).alias("delta"))
    grid = months.join(native.select("currency").unique(), how="cross").join(
        native, on=["currency", "month"], how="left"
    )
    grid = grid.sort("currency", "month").with_columns(
        pl.col("delta").fill_null(0.0).cum_sum().over("currency").alias("native_arr"),
        pl.col("month").dt.month_end().alias("month_end"),
    )
    ending = (
        _rates_at(grid, data, "month_end")
        .group_by("month")
        .agg((pl.col("native_arr") * pl.col("rate")).sum().alias("ending_arr"))
    )
    out = (
        months.join(net_new, on="month", how="left")
        .join(ending, on="month", how="left")
        .join(firsts, on="month", how="left")
        .sort("month")
        .with_columns(
            pl.col("net_new_arr").fill_null(0.0).round(2),
            pl.col("ending_arr").round(2),
            pl.col("new_accounts").fill_null(0).cum_sum().cast(pl.UInt32).alias("accounts"),
        )
        .select(list(schema))
    )
    if filters.start:
        out = out.filter(pl.col("month") >= month_start(filters.start))
    if filters.end:
        out = out.filter(pl.col("month") <= month_start(filters.end))
    return out


def ending_arr_by(movements: pl.DataFrame, data: RevenueData, day: date, by: list[str]) -> pl.DataFrame:
    """`by` columns and ending_arr: ARR at the end of `day`, each currency valued at the rate in force that day."""
    native = (
        movements.filter(pl.col("effective_date") <= day)
        .group_by(*by, pl.col("currency").fill_null(data.reporting_currency))
        .agg(money_sum(pl.col("arr_delta")))
    )
    valued = _rates_at(native.with_columns(pl.lit(day).alias("on")), data, "on")
    return (
        valued.group_by(*by).agg((pl.col("arr_delta") * pl.col("rate")).sum().round(2).alias("ending_arr"))
        if by
        else valued.select((pl.col("arr_delta") * pl.col("rate")).sum().alias("ending_arr"))
    )


def _ending_arr_on(movements: pl.DataFrame, data: RevenueData, day: date) -> float:
    ending = ending_arr_by(movements, data, day, [])
    return float(ending["ending_arr"][0] or 0.0) if ending.height else 0.0


def came_and_went_within_a_month() -> pl.Expr:
    """True for the movements of a customer who is new and churns in the same calendar month, and whose movements
    that month add up to nothing (the customer never held ARR at a month end): what the policy nets out."""
    month = [pl.col("account_id"), pl.col("effective_date").dt.truncate("1mo")]
    component = pl.col("movement_component")
    thousandths = (pl.col("arr_delta_reporting") * THOUSANDTHS).round(0).cast(pl.Int64)
    return (
        (component == MovementComponent.NEW.value).any().over(month)
        & (component == MovementComponent.CHURN.value).any().over(month)
        & (thousandths.sum().over(month) == 0)
    )


def arr_bridge(data: RevenueData, filters: RevenueFilters, start: date, end: date) -> pl.DataFrame:
    """The ARR bridge from the start of `start`'s month to the end of `end`'s month.

    Rows in bridge order: Opening ARR, New, Expansion, Reactivation, Contraction, Churn, FX effect
    (only when some amount was converted), Closing ARR. `bar_start`/`bar_end` place each bar of the
    waterfall; the steps add up to the closing figure exactly.
    """
    movements = filters.movement_rows(data.movements).filter(pl.col("effective_date").is_not_null())
    first_day, last_day = month_start(start), month_end(end)
    opening = _ending_arr_on(movements, data, date.fromordinal(first_day.toordinal() - 1))
    closing = _ending_arr_on(movements, data, last_day)
    in_period = movements.filter(pl.col("effective_date").is_between(first_day, last_day))
    if filters.net_same_month_churn:
        in_period = in_period.filter(~came_and_went_within_a_month())
    sums = in_period.group_by("movement_component").agg(
        money_sum(pl.col("arr_delta_reporting")).alias("amount"), pl.col("account_id").n_unique().alias("accounts")
    )
    by_component = {r["movement_component"]: r for r in sums.to_dicts()}
    all_accounts = movements.filter(pl.col("effective_date") <= last_day)["account_id"].n_unique()
    rows = [("Opening ARR", "opening", round(opening, 2), "total", all_accounts)]
    for component in MovementComponent:
        found = by_component.get(component.value, {"amount": 0.0, "accounts": 0})
        kind = "increase" if MOVEMENT_SIGN[component] > 0 else "decrease"
        rows.append(
            (
                COMPONENT_LABELS[component.value],
                component.value,
                round(found["amount"] or 0.0, 2),
                kind,
                found["accounts"],
            )
        )
    fx_effect = round(closing - opening - sum(r[2] for r in rows[1:]), 2) + 0.0  # + 0.0: never "-0"
    if data.converted or abs(fx_effect) >= 0.01:
        rows.append(("FX effect", "fx_effect", fx_effect, "fx", all_accounts))
    rows.append(("Closing ARR", "closing", round(closing, 2), "total", all_accounts))
    frame = pl.DataFrame(
        rows,
        schema={
            "step": pl.String,
            "component": pl.String,
            "amount": pl.Float64,
            "kind": pl.String,
            "accounts": pl.Int64,
        },
        orient="row",
    )
    running = pl.col("amount").cum_sum()
    return (
        frame.with_row_index("order")
        .with_columns(
            pl.when(pl.col("kind") == "total").then(0.0).otherwise(running - pl.col("amount")).alias("bar_start"),
            pl.when(pl.col("kind") == "total").then(pl.col("amount")).otherwise(running).alias("bar_end"),
        )
        .select(list(BRIDGE_COLUMNS))
        .with_columns(pl.col("bar_start").round(2), pl.col("bar_end").round(2))
    )


def bridge_rows(data: RevenueData, filters: RevenueFilters, start: date, end: date) -> pl.DataFrame:
    """The movements behind a bridge (drill-down), newest first."""
    return (
        filters.movement_rows(data.movements)
        .filter(pl.col("effective_date").is_between(month_start(start), month_end(end)))
        .sort("effective_date", descending=True)
    )
