"""The workspace's business figures as one table (the Exports page and the CLI export it): each defined once, in
domain/figures.py, with ending ARR valued as the Revenue page values it."""

from __future__ import annotations

from datetime import date

import polars as pl

from domain.canonical import MovementComponent
from domain.figures import (
    CLOSED_WON_BOOKINGS,
    WEIGHTED_OPEN_PIPELINE,
    arr_figure,
    arr_figures,
    open_deals,
    pipeline_figures,
    won_deals,
)
from domain.insights.arr_actuals import ending_arr_by
from domain.insights.data import RevenueData

ENDING_ARR = "ending ARR"
FIGURES_SCHEMA = {"figure": pl.String, "value": pl.Float64, "accounts": pl.Int64, "as_of": pl.Date}


def business_figures(data: RevenueData, as_of: date) -> pl.DataFrame:
    """figure, value (reporting currency), accounts (how many accounts it sums over), as_of."""
    deals, movements = data.opportunities, data.movements.filter(pl.col("effective_date") <= as_of)
    pipeline = pipeline_figures(deals, data.stages)
    arr = arr_figures(movements)
    ending = ending_arr_by(movements, data, as_of, [])
    moved = movements.filter(pl.col("account_id").is_not_null())
    rows = [
        (
            WEIGHTED_OPEN_PIPELINE,
            pipeline[WEIGHTED_OPEN_PIPELINE],
            deals.filter(open_deals(data.stages))["account_id"].n_unique(),
        ),
        (
            CLOSED_WON_BOOKINGS,
            pipeline[CLOSED_WON_BOOKINGS],
            deals.filter(won_deals(data.stages))["account_id"].n_unique(),
        ),
    ]
    rows += [
        (
            arr_figure(c),
            arr[arr_figure(c)],
            moved.filter(pl.col("movement_component") == c.value)["account_id"].n_unique(),
        )
        for c in MovementComponent
    ]
    rows.append(
        (ENDING_ARR, float(ending["ending_arr"][0] or 0.0) if ending.height else 0.0, moved["account_id"].n_unique())
    )
    return pl.DataFrame([(*r, as_of) for r in rows], schema=FIGURES_SCHEMA, orient="row").with_columns(
        pl.col("value").round(2)
    )
