"""Account groups: a parent account with the regional and legal entities linked under it (step 4, or the CRM's
own parent account), so pipeline and ARR roll up to the parent.

An account's group is its top-most parent (itself when it has none; see `data.account_groups`). Weighted pipeline and ending ARR per group
come from the same definitions as the page's totals (`open_pipeline_rows`, `ending_arr_by`).
"""

from __future__ import annotations

from datetime import date

import polars as pl

from domain.insights.arr_actuals import ending_arr_by
from domain.insights.data import RevenueData, RevenueFilters, month_end
from domain.insights.weighted_pipeline import open_pipeline_rows
from domain.money import money_sum

ROLLUP_SCHEMA = {
    "account_group": pl.String,
    "accounts": pl.UInt32,
    "entities": pl.String,
    "open_pipeline": pl.Float64,
    "weighted_pipeline": pl.Float64,
    "ending_arr": pl.Float64,
}


def account_group_rollup(data: RevenueData, filters: RevenueFilters, as_of: date) -> pl.DataFrame:
    """account_group, accounts, entities, open_pipeline, weighted_pipeline, ending_arr (at the end of `as_of`'s
    month): one row per group that has linked entities, largest ending ARR first."""
    deals = open_pipeline_rows(data, filters).filter(pl.col("account_id").is_not_null())
    movements = filters.movement_rows(data.movements).filter(
        pl.col("effective_date").is_not_null() & pl.col("account_id").is_not_null()
    )
    members = (
        pl.concat(
            [
                deals.select("account_group", "account_id", "account"),
                movements.select("account_group", "account_id", "account"),
            ]
        )
        .unique()
        .group_by("account_group")
        .agg(
            pl.col("account_id").n_unique().cast(pl.UInt32).alias("accounts"),
            pl.col("account").sort().str.join(", ").alias("entities"),
        )
        .filter(pl.col("accounts") >= 2)
    )
    if members.is_empty():
        return pl.DataFrame(schema=ROLLUP_SCHEMA)
    pipeline = deals.group_by("account_group").agg(
        money_sum(pl.col("amount_reporting")).alias("open_pipeline"),
        money_sum(pl.col("weighted_amount")).alias("weighted_pipeline"),
    )
    arr = ending_arr_by(movements, data, month_end(as_of), ["account_group"])
    return (
        members.join(pipeline, on="account_group", how="left")
        .join(arr, on="account_group", how="left")
        .with_columns(pl.col("open_pipeline", "weighted_pipeline", "ending_arr").fill_null(0.0))
        .select(list(ROLLUP_SCHEMA))
        .cast(pl.Schema(ROLLUP_SCHEMA))
        .sort(["ending_arr", "weighted_pipeline", "account_group"], descending=[True, True, False])
    )
