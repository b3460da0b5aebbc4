"""ARR movements derived from contracts (subscriptions, closed-won opportunities with a term), for CRMs that keep
no ARR-movement object.

The rules, in words (README "ARR from contracts"):
- A contract counts in a month when it is active on that month's last day, so ARR per month is a month-end
  snapshot: a contract from 10 Mar counts from March; one that ends on 31 Dec counts in December, one that ends on
  15 Dec counts last in November. A renewal that starts the day after the previous contract ends is therefore
  continuous (no churn, no new), whether the end falls on a month end or mid-month; overlapping contracts add.
  A contract that starts and ends within one month never counts (it is not recurring revenue).
- Each account's ARR changes only in months where one of its contracts starts or stops counting, so the engine
  works on those events (two per contract), never on a contract x month grid: a running sum per account gives
  the level before and after each change.
- A change is classified with the account's total across all its contracts: up from nothing is new (or a
  reactivation when the account had ARR before, within the reactivation window when one is set), down to
  nothing is churn, otherwise expansion or contraction. Amounts stay in each contract's own currency (the sync
  values them like any movement); the account's total for classifying is each contract's annual amount in the
  reporting currency, given by the caller.
- Every movement lists the contracts that caused it.

All arithmetic on money is in integer thousandths, so a renewal at the same price nets to exactly zero.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import polars as pl

from domain.canonical import MovementComponent
from domain.money import THOUSANDTHS, from_thousandths

CONTRACT_COLUMNS = pl.Schema(
    {
        "contract_id": pl.String,
        "account_id": pl.Int64,
        "start_date": pl.Date,
        "end_date": pl.Date,  # inclusive; null: open-ended (counts until it is ended)
        "annual_amount": pl.Float64,  # recurring amount per year, in `currency`
        "currency": pl.String,
        "annual_amount_reporting": pl.Float64,  # the same in the reporting currency (for classifying only)
    }
)
MOVEMENT_COLUMNS = pl.Schema(
    {
        "source_id": pl.String(),
        "account_id": pl.Int64(),
        "effective_date": pl.Date(),
        "movement_component": pl.String(),
        "arr_delta": pl.Float64(),
        "currency": pl.String(),
        "contracts": pl.List(pl.String),
    }
)


@dataclass(frozen=True)
class ContractTerms:
    """How a source states its contracts: the end as a date or as a term in months, and the amount per year or
    per month (a monthly amount is multiplied by 12)."""

    amount_per: str = "year"  # "year" | "month"

    @property
    def to_annual(self) -> int:
        return 12 if self.amount_per == "month" else 1


def end_from_term(start: pl.Expr, term_months: pl.Expr) -> pl.Expr:
    """The inclusive end date of a term of N months from `start`: a 12-month term from 1 Jan ends on 31 Dec."""
    return start.dt.offset_by(pl.format("{}mo", term_months.cast(pl.Int64))).dt.offset_by("-1d")


def _month_start(day: pl.Expr) -> pl.Expr:
    return day.dt.truncate("1mo")


def _counted_months(contracts: pl.LazyFrame) -> pl.LazyFrame:
    """First and last month each contract counts in (month-end snapshots); contracts that never count drop out."""
    last_day_of_end_month = pl.col("end_date").dt.month_end()
    return contracts.with_columns(
        _month_start(pl.col("start_date")).alias("first_month"),
        pl.when(pl.col("end_date").is_null())
        .then(None)
        .when(pl.col("end_date") == last_day_of_end_month)
        .then(_month_start(pl.col("end_date")))
        .otherwise(_month_start(pl.col("end_date")).dt.offset_by("-1mo"))
        .alias("last_month"),
    ).filter(pl.col("last_month").is_null() | (pl.col("last_month") >= pl.col("first_month")))


def _events(counted: pl.LazyFrame) -> pl.LazyFrame:
    """Two events per contract: it starts counting (+amount) and, when it ends, stops counting the month after."""
    native = (pl.col("annual_amount") * THOUSANDTHS).round(0).cast(pl.Int64)
    reporting = (pl.col("annual_amount_reporting") * THOUSANDTHS).round(0).cast(pl.Int64)
    starts = counted.select(
        "contract_id",
        "account_id",
        "currency",
        pl.col("first_month").alias("month"),
        pl.col("start_date").alias("event_date"),
        native.alias("native"),
        reporting.alias("reporting"),
    )
    stops = counted.filter(pl.col("last_month").is_not_null()).select(
        "contract_id",
        "account_id",
        "currency",
        pl.col("last_month").dt.offset_by("1mo").alias("month"),
        pl.col("end_date").dt.offset_by("1d").alias("event_date"),
        (-native).alias("native"),
        (-reporting).alias("reporting"),
    )
    return pl.concat([starts, stops])


def derive_movements(
    contracts: pl.DataFrame, *, reactivation_window_days: int | None = None, until: date | None = None
) -> pl.DataFrame:
    """ARR movements (MOVEMENT_COLUMNS) from contracts (CONTRACT_COLUMNS), per account, currency and month.

    `until`: changes after this date are left out (a contract's end in the future is not churn yet).
    `reactivation_window_days`: a return to ARR within this many days of churning is a reactivation, after it a
    new customer again (None: a return is always a reactivation, as ChartMogul counts).
    """
    if contracts.is_empty():
        return pl.DataFrame(schema=MOVEMENT_COLUMNS)
    events = _events(_counted_months(contracts.lazy().select(list(CONTRACT_COLUMNS))))
    if until is not None:
        events = events.filter(pl.col("event_date") <= until)
    # The account's total ARR (reporting currency) before and after each month it changes.
    account = (
        events.group_by("account_id", "month")
        .agg(pl.col("reporting").sum().alias("change"))
        .sort("account_id", "month")
        .with_columns(pl.col("change").cum_sum().over("account_id").alias("after"))
        .with_columns((pl.col("after") - pl.col("change")).alias("before"))
        .with_columns(
            # The account had ARR at some earlier month end: a return is a reactivation, not a new customer.
            (pl.col("before") > 0).cast(pl.Int32).cum_sum().over("account_id").gt(0).alias("_ever"),
            pl.when((pl.col("after") <= 0) & (pl.col("before") > 0))
            .then(pl.col("month"))
            .otherwise(None)
            .forward_fill()
            .over("account_id")
            .alias("_churned_in"),
        )
        .with_columns(
            pl.col("_ever").shift(1, fill_value=False).over("account_id").alias("had_arr"),
            pl.col("_churned_in").shift(1).over("account_id").alias("last_churn"),
        )
        .select("account_id", "month", "before", "after", "had_arr", "last_churn")
    )
    # Each currency's own change that month, with the contracts behind it.
    streams = events.group_by("account_id", "currency", "month").agg(
        pl.col("native").sum().alias("delta"),
        pl.col("event_date").min().alias("effective_date"),
        pl.col("contract_id").unique().sort().alias("contracts"),
    )
    joined = streams.filter(pl.col("delta") != 0).join(account, on=["account_id", "month"], how="left")
    returning = pl.col("had_arr")
    if reactivation_window_days is not None:
        returning = returning & (
            (pl.col("effective_date") - pl.col("last_churn")).dt.total_days() <= reactivation_window_days
        )
    component = (
        pl.when((pl.col("delta") > 0) & (pl.col("before") <= 0))
        .then(
            pl.when(returning)
            .then(pl.lit(MovementComponent.REACTIVATION.value))
            .otherwise(pl.lit(MovementComponent.NEW.value))
        )
        .when(pl.col("delta") > 0)
        .then(pl.lit(MovementComponent.EXPANSION.value))
        .when(pl.col("after") <= 0)
        .then(pl.lit(MovementComponent.CHURN.value))
        .otherwise(pl.lit(MovementComponent.CONTRACTION.value))
    )
    return (
        joined.with_columns(component.alias("movement_component"))
        .select(
            pl.format(
                "contracts:{}:{}:{}", pl.col("account_id"), pl.col("currency"), pl.col("month").dt.strftime("%Y-%m")
            ).alias("source_id"),
            "account_id",
            "effective_date",
            "movement_component",
            from_thousandths(pl.col("delta")).alias("arr_delta"),
            "currency",
            "contracts",
        )
        .sort("account_id", "effective_date", "currency")
        .collect()
        .cast(MOVEMENT_COLUMNS)
    )


def arr_by_month(contracts: pl.DataFrame, months: list[date]) -> pl.DataFrame:
    """Each account's ARR (reporting currency) at the end of each given month: a check of the derivation (the
    movements of an account up to a month sum to its ARR that month)."""
    counted = _counted_months(contracts.lazy().select(list(CONTRACT_COLUMNS))).collect()
    grid = pl.DataFrame({"month": months}, schema={"month": pl.Date})
    active = counted.join(grid, how="cross").filter(
        (pl.col("first_month") <= pl.col("month"))
        & (pl.col("last_month").is_null() | (pl.col("last_month") >= pl.col("month")))
    )
    return active.group_by("account_id", "month").agg(pl.col("annual_amount_reporting").sum().alias("arr"))
