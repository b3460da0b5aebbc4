"""Pipeline↔ARR reconciliation: do closed-won deals and ARR movements tell the same story?

A closed-won opportunity should show up as a new, expansion or reactivation movement on the same
canonical account within a window of days around its close date, for about the same amount. The
table lists the exceptions: won deals with no such movement, such movements with no won deal, and
pairs whose amounts differ by more than the tolerance. Won deals of a type that books no movement
(a flat renewal, by default every type whose name says "renew") are counted apart, not as exceptions.
"""

from __future__ import annotations

from dataclasses import dataclass

import polars as pl

from domain.canonical import MovementComponent, StageSemantics
from domain.insights.data import RevenueData, RevenueFilters, month_end, month_start
from domain.money import money_sum

MATCHED = "Matched"
NO_MOVEMENT_EXPECTED = "Renewal, no movement expected"
WON_WITHOUT_MOVEMENT = "Won deal without ARR movement"
MOVEMENT_WITHOUT_WON = "ARR movement without won deal"
AMOUNT_MISMATCH = "Amount mismatch"
EXCEPTIONS = (AMOUNT_MISMATCH, WON_WITHOUT_MOVEMENT, MOVEMENT_WITHOUT_WON)
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
    # CRM opportunity types whose won deals book no ARR movement; None: every type whose name says "renew".
    no_movement_types: tuple[str, ...] | None = None

    def books_movement(self) -> pl.Expr:
        """True for a won deal whose type should book an ARR movement (deals without a type should)."""
        kind = pl.col("opportunity_type")
        quiet = (
            kind.str.to_lowercase().str.contains("renew")
            if self.no_movement_types is None
            else kind.is_in(list(self.no_movement_types))
        )
        return ~quiet.fill_null(False)


def opportunity_types(data: RevenueData) -> list[str]:
    """The opportunity types the live deals carry, sorted (the choices of which ones book no movement)."""
    if "opportunity_type" not in data.opportunities.columns:
        return []
    return sorted(data.opportunities["opportunity_type"].drop_nulls().unique().to_list())


def renewal_types(types: list[str]) -> list[str]:
    """The types the default rule treats as booking no movement (for a settings control's starting choice)."""
    return [t for t in types if "renew" in t.lower()]


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
            pl.col("opportunity_type")
            if "opportunity_type" in data.opportunities.columns
            else pl.lit(None, pl.String).alias("opportunity_type"),
        )
    )
    quiet = won.filter(~rules.books_movement())
    won = won.filter(rules.books_movement())
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
    differs = pl.col("difference").abs() > rules.tolerance * pl.col("opportunity_amount").abs()
    # Pairs whose amounts agree first (a deal and a movement a week apart for the same amount are one booking,
    # more surely than a closer movement of another size), then closest date, then closest amount; each deal and
    # each movement is used at most once.
    ranked = candidates.sort(
        differs, pl.col("days_apart").abs(), pl.col("difference").abs(), "opportunity_id", "movement_id"
    )
    pairs = ranked.unique("opportunity_id", keep="first", maintain_order=True).unique(
        "movement_id", keep="first", maintain_order=True
    )

    mismatched = pairs.filter(differs)
    lonely_won = won.join(pairs.select("opportunity_id"), on="opportunity_id", how="anti")
    lonely_moves = movements.join(pairs.select("movement_id"), on="movement_id", how="anti")
    parts = [
        *([pairs.filter(~differs).with_columns(pl.lit(MATCHED).alias("case"))] if include_matched else []),
        *([quiet.with_columns(pl.lit(NO_MOVEMENT_EXPECTED).alias("case"))] if include_matched else []),
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
    order = {MATCHED: 0, NO_MOVEMENT_EXPECTED: 1, AMOUNT_MISMATCH: 2, WON_WITHOUT_MOVEMENT: 3, MOVEMENT_WITHOUT_WON: 4}
    return (
        rows.group_by("case")
        .agg(
            pl.len().alias("rows"),
            pl.col("account").n_unique().alias("accounts"),
            money_sum(pl.coalesce("opportunity_amount", "movement_amount").abs()).alias("amount"),
        )
        .sort(pl.col("case").replace_strict(order, default=9, return_dtype=pl.Int8), "case")
    )
