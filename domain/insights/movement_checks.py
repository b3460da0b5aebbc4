"""Movements checked against what each customer's ARR history says they must be (the movement policy).

A CRM's movement type is typed by a person; the history decides what it can be. With the defaults (ChartMogul's,
see ../shared/reference/arr-movement-semantics.md): *new* only for a customer with no ARR so far; *reactivation*
only for one whose ARR went back to zero before; *expansion* and *contraction* only while the customer has ARR;
*churn* takes the customer to zero, not below and not part of the way. A movement that contradicts its history is
listed as an exception with the rule it breaks and what it should be; it is still counted as typed, so the bridge
matches the CRM until someone fixes the record. Same-day movements count in their source order.
"""

from __future__ import annotations

import polars as pl

from domain.canonical import MovementComponent

NEW_WITH_ARR = "New for a customer that already has ARR"
RETURN_TYPED_NEW = "New for a customer that churned before (a reactivation)"
REACTIVATION_WITH_ARR = "Reactivation for a customer that still has ARR"
CHANGE_WITHOUT_ARR = "Expansion or contraction for a customer without ARR"
CHURN_NOT_TO_ZERO = "Churn that does not take the customer to zero"
CHECK_COLUMNS = ("account", "effective_date", "movement_component", "arr_delta", "arr_before", "problem", "should_be")


def movement_exceptions(movements: pl.DataFrame) -> pl.DataFrame:
    """One row per movement that contradicts its customer's history (`movements`: account_id, account,
    effective_date, movement_component, arr_delta in the record's currency, source_id), oldest first."""
    ordered = (
        movements.filter(pl.col("account_id").is_not_null() & pl.col("effective_date").is_not_null())
        .sort("account_id", "effective_date", "source_id")
        .with_columns(
            (pl.col("arr_delta").cum_sum().over("account_id") - pl.col("arr_delta")).round(2).alias("arr_before"),
            # Did this customer ever have ARR before this movement?
            (pl.col("arr_delta").cum_sum().over("account_id") - pl.col("arr_delta") > 0)
            .cast(pl.Int8)
            .cum_max()
            .over("account_id")
            .alias("_had"),
        )
        .with_columns(
            pl.col("_had").shift(1).over("account_id").fill_null(0).alias("had_arr_before"),
            (pl.col("arr_before") + pl.col("arr_delta")).round(2).alias("arr_after"),
        )
    )
    component = pl.col("movement_component")
    active = pl.col("arr_before") > 0
    returning = ~active & (pl.col("had_arr_before") > 0)
    problem = (
        pl.when((component == MovementComponent.NEW.value) & active)
        .then(pl.lit(NEW_WITH_ARR))
        .when((component == MovementComponent.NEW.value) & returning)
        .then(pl.lit(RETURN_TYPED_NEW))
        .when((component == MovementComponent.REACTIVATION.value) & active)
        .then(pl.lit(REACTIVATION_WITH_ARR))
        .when(component.is_in([MovementComponent.EXPANSION.value, MovementComponent.CONTRACTION.value]) & ~active)
        .then(pl.lit(CHANGE_WITHOUT_ARR))
        .when((component == MovementComponent.CHURN.value) & (pl.col("arr_after") != 0))
        .then(pl.lit(CHURN_NOT_TO_ZERO))
    )
    should_be = (
        pl.when(problem == NEW_WITH_ARR)
        .then(pl.lit("expansion"))
        .when(problem == RETURN_TYPED_NEW)
        .then(pl.lit("reactivation"))
        .when(problem == REACTIVATION_WITH_ARR)
        .then(pl.lit("expansion"))
        .when(problem == CHANGE_WITHOUT_ARR)
        .then(pl.when(returning).then(pl.lit("reactivation")).otherwise(pl.lit("new")))
        .when(problem == CHURN_NOT_TO_ZERO)
        .then(pl.when(pl.col("arr_after") > 0).then(pl.lit("contraction")).otherwise(pl.lit("churn of the ARR held")))
    )
    return (
        ordered.with_columns(problem.alias("problem"), should_be.alias("should_be"))
        .filter(pl.col("problem").is_not_null())
        .select(list(CHECK_COLUMNS))
        .sort("effective_date", "account")
    )
