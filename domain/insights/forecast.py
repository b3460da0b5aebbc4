"""Slipped deals: open deals whose expected close is already past, and how the forecast treats them.

CRMs keep deals open long after their close date passed (nobody updated them). Counted at their old month they
inflate months that are over; dropped silently they vanish from the pipeline. A workspace chooses
(`SlippedPolicy`): show them apart in the current month (the default, its own bar and figure), roll them into the
current month as ordinary pipeline, or leave them out of the forecast. Whatever the choice, they are counted in
`domain.figures.SLIPPED_WEIGHTED_PIPELINE` and listed by owner in Pipelines.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date
from enum import StrEnum

import polars as pl

from domain.canonical import CanonicalStage
from domain.figures import close_passed, open_deals
from domain.money import money_sum

SLIPPED_STAGE = "slipped"
SLIPPED_LABEL = "Slipped (close date passed)"


class SlippedPolicy(StrEnum):
    APART = "apart"
    CURRENT_MONTH = "current_month"
    EXCLUDE = "exclude"

    @property
    def label(self) -> str:
        return {
            "apart": "Show apart in the current month (own bar and figure)",
            "current_month": "Roll into the current month as ordinary pipeline",
            "exclude": "Leave out of the forecast",
        }[self.value]


def forecast_rows(open_rows: pl.DataFrame, as_of: date, policy: SlippedPolicy) -> pl.DataFrame:
    """Open deals as the forecast places them. Adds `slipped`, `forecast_close` (the current month's first day for a
    slipped deal) and the stage the chart groups by (`forecast_stage`, `forecast_stage_label`,
    `forecast_stage_order`: "Slipped" for slipped deals shown apart); the deal's own stage is kept."""
    current_month = as_of.replace(day=1)
    slipped = close_passed(as_of)
    apart = pl.col("slipped") & pl.lit(policy == SlippedPolicy.APART)
    rows = open_rows.with_columns(
        slipped.alias("slipped"),
        pl.when(slipped).then(pl.lit(current_month)).otherwise(pl.col("expected_close")).alias("forecast_close"),
    ).with_columns(
        pl.when(apart).then(pl.lit(SLIPPED_STAGE)).otherwise(pl.col("stage")).alias("forecast_stage"),
        pl.when(apart).then(pl.lit(SLIPPED_LABEL)).otherwise(pl.col("stage_label")).alias("forecast_stage_label"),
        pl.when(apart).then(pl.lit(-1)).otherwise(pl.col("stage_order")).alias("forecast_stage_order"),
    )
    return rows.filter(~pl.col("slipped")) if policy == SlippedPolicy.EXCLUDE else rows


def slipped_by_owner(opportunities: pl.DataFrame, stages: Iterable[CanonicalStage], as_of: date) -> pl.DataFrame:
    """owner, deals, accounts, weighted_amount, oldest_close — the open deals whose close date passed, per owner,
    the owner with the most weighted pipeline at stake first (for whoever chases them)."""
    return (
        opportunities.filter(open_deals(stages) & close_passed(as_of))
        .group_by(pl.col("owner").fill_null("(no owner)"))
        .agg(
            pl.len().alias("deals"),
            pl.col("account_id").n_unique().alias("accounts"),
            money_sum(pl.col("weighted_amount")),
            pl.col("expected_close").min().alias("oldest_close"),
        )
        .sort("weighted_amount", "owner", descending=[True, False])
    )
