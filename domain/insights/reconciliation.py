"""Pipeline↔ARR reconciliation: do closed-won deals and ARR movements tell the same story?

A closed-won opportunity should show up as a new, expansion or reactivation movement on the same
canonical account within a window of days around its close date, for about the same amount. The
table lists the exceptions: won deals with no such movement, such movements with no won deal, and
pairs whose amounts differ by more than the tolerance.
"""

from __future__ import annotations

from dataclasses import dataclass

import polars as pl

from domain.canonical import MovementComponent, StageSemantics
from domain.insights.data import RevenueData, RevenueFilters, month_end, month_start
from domain.money import money_sum

MATCHED = "Matched"
WON_WITHOUT_MOVEMENT = "Won deal without ARR movement"
MOVEMENT_WITHOUT_WON = "ARR movement without won deal"
AMOUNT_MISMATCH = "Amount mismatch"
# Movements a won deal books; contraction and churn come from other events.
BOOKED_COMPONENTS = (
    MovementComponent.NEW.value,
    MovementComponent.EXPANSION.value,
    MovementComponent.REACTIVATION.value,
)
RECONCILIATION_SCHEMA: dict[str, pl.DataType] = {
    "case": pl.String(),
    "account": pl.String(),
    "opportunity": pl.String(),
    "opportunity_id": pl.String(),
    "expected_close": pl.Date(),
    "opportunity_amount": pl.Float64(),
    "movement_id": pl.String(),
    "movement_component": pl.String(),
    "effective_date": pl.Date(),
    "movement_amount": pl.Float64(),
    "difference": pl.Float64(),
    "days_apart": pl.Int64(),
}


@dataclass(frozen=True)
class ReconciliationRules:
    window_days: int = 45  # a movement this many days before or after the close date still matches
    tolerance: float = 0.05  # amounts within 5 % of the deal amount agree


def pipeline_arr_reconciliation(
    data: RevenueData,
    filters: RevenueFilters,
    rules: ReconciliationRules = ReconciliationRules(),
    *,
    include_matched: bool = False,
) -> pl.DataFrame:
    """The exceptions, one row each, sorted by case and account (see module docstring); with `include_matched`, the
    pairs that agree too (case MATCHED), so a summary can say how much did reconcile."""
    won = (
        filters.pipeline_rows(data.opportunities)
        .filter((pl.col("stage_semantics") == StageSemantics.WON.value) & pl.col("expected_close").is_not_null())
        .select(
            "account_id",
            "account",
            pl.col("opportunity"),
            pl.col("source_id").alias("opportunity_id"),
            "expected_close",
            pl.col("amount_reporting").alias("opportunity_amount"),
        )
    )
    movements = filters.movement_rows(data.movements).filter(
        pl.col("movement_component").is_in(BOOKED_COMPONENTS) & pl.col("effective_date").is_not_null()
    )
    if filters.start:
        movements = movements.filter(pl.col("effective_date") >= month_start(filters.start))
    if filters.end:
        movements = movements.filter(pl.col("effective_date") <= month_end(filters.end))
    movements = movements.select(
        "account_id",
        pl.col("account").alias("movement_account"),
        pl.col("source_id").alias("movement_id"),
        "movement_component",
        "effective_date",
        pl.col("arr_delta_reporting").alias("movement_amount"),
    )

    candidates = (
        won.join(movements, on="account_id", how="inner")
        .with_columns((pl.col("effective_date") - pl.col("expected_close")).dt.total_days().alias("days_apart"))
        .filter(pl.col("days_apart").abs() <= rules.window_days)
        .with_columns((pl.col("movement_amount") - pl.col("opportunity_amount")).round(2).alias("difference"))
    )
    # Closest date first, then closest amount; each deal and each movement is used at most once.
    ranked = candidates.sort(pl.col("days_apart").abs(), pl.col("difference").abs(), "opportunity_id", "movement_id")
    pairs = ranked.unique("opportunity_id", keep="first", maintain_order=True).unique(
        "movement_id", keep="first", maintain_order=True
    )

    differs = pl.col("difference").abs() > rules.tolerance * pl.col("opportunity_amount").abs()
    mismatched = pairs.filter(differs)
    lonely_won = won.join(pairs.select("opportunity_id"), on="opportunity_id", how="anti")
    lonely_moves = movements.join(pairs.select("movement_id"), on="movement_id", how="anti")
    parts = [
        *([pairs.filter(~differs).with_columns(pl.lit(MATCHED).alias("case"))] if include_matched else []),
        mismatched.with_columns(pl.lit(AMOUNT_MISMATCH).alias("case")),
        lonely_won.with_columns(pl.lit(WON_WITHOUT_MOVEMENT).alias("case")),
        lonely_moves.with_columns(
            pl.lit(MOVEMENT_WITHOUT_WON).alias("case"), pl.col("movement_account").alias("account")
        ),
    ]
    return (
        pl.concat(
            [
                p.select(
                    [
                        pl.col(c) if c in p.columns else pl.lit(None, t).alias(c)
                        for c, t in RECONCILIATION_SCHEMA.items()
                    ]
                )
                for p in parts
            ]
        )
        .cast(pl.Schema(RECONCILIATION_SCHEMA))
        .sort("case", "account", "expected_close", "effective_date", nulls_last=True)
    )


def reconciliation_summary(rows: pl.DataFrame) -> pl.DataFrame:
    """case, rows, accounts, amount at stake (deal amount, or movement amount when there is no deal): matched pairs
    first (when `rows` holds them), then each kind of exception."""
    order = {MATCHED: 0, AMOUNT_MISMATCH: 1, WON_WITHOUT_MOVEMENT: 2, MOVEMENT_WITHOUT_WON: 3}
    return (
        rows.group_by("case")
        .agg(
            pl.len().alias("rows"),
            pl.col("account").n_unique().alias("accounts"),
            money_sum(pl.coalesce("opportunity_amount", "movement_amount").abs()).alias("amount"),
        )
        .sort(pl.col("case").replace_strict(order, default=9, return_dtype=pl.Int8), "case")
    )
