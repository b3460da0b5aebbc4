"""Probability-weighted pipeline by expected-close month and canonical stage."""

from __future__ import annotations

import polars as pl

from domain.figures import open_deals
from domain.insights.data import RevenueData, RevenueFilters


def open_pipeline_rows(data: RevenueData, filters: RevenueFilters) -> pl.DataFrame:
    """Open opportunities that pass the filters: the rows behind the weighted pipeline (drill-down)."""
    return (
        filters.pipeline_rows(data.opportunities)
        .filter(open_deals(data.stages))
        .sort("expected_close", "weighted_amount", descending=[False, True], nulls_last=True)
    )


def weighted_pipeline_by_month(data: RevenueData, filters: RevenueFilters) -> pl.DataFrame:
    """month, stage, stage_label, stage_order, weighted_amount, amount, deals, accounts — open deals only.

    Closed-won deals are realised ARR, not pipeline, and closed-lost deals weigh nothing; both stay out.
    """
    return (
        open_pipeline_rows(data, filters)
        .with_columns(pl.col("expected_close").dt.truncate("1mo").alias("month"))
        .group_by("month", "stage", "stage_label", "stage_order")
        .agg(
            pl.col("weighted_amount").sum().round(2),
            pl.col("amount_reporting").sum().round(2).alias("amount"),
            pl.len().alias("deals"),
            pl.col("account_id").n_unique().alias("accounts"),
        )
        .sort("month", "stage_order")
    )
