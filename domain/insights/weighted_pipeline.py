"""Probability-weighted pipeline by expected-close month and canonical stage."""

from __future__ import annotations

from dataclasses import replace

import polars as pl

from domain.figures import open_deals
from domain.insights.data import RevenueData, RevenueFilters, month_end, month_start
from domain.insights.forecast import forecast_rows
from domain.money import money_sum


def open_pipeline_rows(data: RevenueData, filters: RevenueFilters) -> pl.DataFrame:
    """Open opportunities that pass the filters: the rows behind the weighted pipeline (drill-down).

    With `filters.as_of`, slipped deals are placed as `filters.slipped_policy` says (forecast.py) and the period
    applies to where the forecast counts a deal (`forecast_close`): a deal that slipped from May is in this month's
    pipeline.
    """
    as_of, policy = filters.as_of, filters.slipped_policy
    if as_of is None:
        rows = filters.pipeline_rows(data.opportunities).filter(open_deals(data.stages))
    else:
        everywhere = replace(filters, start=None, end=None)
        rows = forecast_rows(
            everywhere.pipeline_rows(data.opportunities).filter(open_deals(data.stages)), as_of, policy
        )
        if filters.start:
            rows = rows.filter(pl.col("forecast_close") >= month_start(filters.start))
        if filters.end:
            rows = rows.filter(pl.col("forecast_close") <= month_end(filters.end))
    return rows.sort("expected_close", "weighted_amount", descending=[False, True], nulls_last=True)


def weighted_pipeline_by_month(data: RevenueData, filters: RevenueFilters) -> pl.DataFrame:
    """month, stage, stage_label, stage_order, weighted_amount, amount, deals, accounts — open deals only.

    Closed-won deals are realised ARR, not pipeline, and closed-lost deals weigh nothing; both stay out. With
    `filters.as_of`, by the month the forecast counts each deal at, slipped deals as its policy says ("Slipped"
    apart).
    """
    rows = open_pipeline_rows(data, filters)
    if filters.as_of is not None:
        rows = rows.with_columns(
            pl.col("forecast_close").alias("expected_close"),
            pl.col("forecast_stage").alias("stage"),
            pl.col("forecast_stage_label").alias("stage_label"),
            pl.col("forecast_stage_order").alias("stage_order"),
        )
    return (
        rows.with_columns(pl.col("expected_close").dt.truncate("1mo").alias("month"))
        .group_by("month", "stage", "stage_label", "stage_order")
        .agg(
            money_sum(pl.col("weighted_amount")),
            money_sum(pl.col("amount_reporting")).alias("amount"),
            pl.len().alias("deals"),
            pl.col("account_id").n_unique().alias("accounts"),
        )
        .sort("month", "stage_order")
    )
