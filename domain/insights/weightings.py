"""The forecast under two weightings, side by side: the configured stage weights, and the historical rates the
CRM's own stage history gives (domain/stage_calibration.py). The totals are the figures of domain/figures.py
(weighted open pipeline, and at historical rates); this splits them by stage so a reader sees which stage's
weight moves the forecast."""

from __future__ import annotations

from collections.abc import Iterable

import polars as pl

from domain.canonical import CanonicalStage, StageSemantics
from domain.figures import open_deals, weighted_at_rates
from domain.money import money_sum
from domain.stage_calibration import historical_rates

WEIGHTING_COLUMNS = (
    "stage",
    "label",
    "open_deals",
    "open_amount",
    "weight",
    "weighted_configured",
    "historical_rate",
    "closed_deals",
    "weighted_historical",
    "overridden_deals",
)


def forecast_by_weighting(
    opportunities: pl.DataFrame, stages: Iterable[CanonicalStage], calibration: pl.DataFrame, reporting: str
) -> pl.DataFrame:
    """Per open stage (WEIGHTING_COLUMNS): its open deals and amount, the weighted pipeline under the configured
    weight and under the historical rate (null rate: too few closed deals, the configured weight stands), and how
    many deals carry their own probability override (honoured under both)."""
    stages = [s for s in stages if s.semantics == StageSemantics.OPEN]
    rates = historical_rates(calibration)
    frame = pl.DataFrame(
        {
            "stage": [s.key for s in stages],
            "label": [s.label for s in stages],
            "weight": [s.weight for s in stages],
            "order": [s.order for s in stages],
        },
        schema={"stage": pl.String, "label": pl.String, "weight": pl.Float64, "order": pl.Int64},
    )
    sums = (
        opportunities.filter(open_deals(stages))
        .with_columns(weighted_at_rates(rates, reporting).alias("_at_rates"))
        .group_by("stage")
        .agg(
            pl.len().alias("open_deals"),
            money_sum(pl.col("amount_reporting")).alias("open_amount"),
            money_sum(pl.col("weighted_amount")).alias("weighted_configured"),
            money_sum(pl.col("_at_rates")).alias("weighted_historical"),
            pl.col("probability_override").is_not_null().sum().alias("overridden_deals"),
        )
    )
    shown = calibration.select(
        "stage", pl.when(pl.col("enough_data")).then(pl.col("historical_rate")).alias("historical_rate"), "closed_deals"
    )
    return (
        frame.join(sums, on="stage", how="left")
        .join(shown, on="stage", how="left")
        .with_columns(
            pl.col("open_deals", "overridden_deals", "closed_deals").fill_null(0).cast(pl.Int64),
            pl.col("open_amount", "weighted_configured", "weighted_historical").fill_null(0.0),
        )
        .sort("order")
        .select(WEIGHTING_COLUMNS)
    )
