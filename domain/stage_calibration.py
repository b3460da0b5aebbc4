"""Stage weights checked against what actually closed: per canonical open stage, the share of deals that reached
it and later won, with a confidence interval so a stage seen on 12 deals is not over-read.

The history is the CRM's own record of the stages each deal passed through (Salesforce OpportunityHistory,
HubSpot's dealstage history), mapped onto canonical stages. Rules, in words:
- A deal *reached* a stage when it was ever in that stage or in a later open stage, or it was won (a deal that
  skipped Evaluation on its way to Negotiation still passed the Evaluation bar).
- Only closed deals count (won or lost), and only those closed inside the chosen window: an open deal has not
  told us yet whether it converts, and counting it as lost would bias every rate down.
- The interval is Wilson's score interval at 95%, which behaves on small counts and on rates near 0 or 1 (the
  plain normal interval does not).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import date

import polars as pl

from domain.canonical import CanonicalStage, StageSemantics
from domain.mapping_config import StageMap

Z_95 = 1.959963984540054
MIN_DEALS = 30  # below this many closed deals, a rate is shown but never suggested as the weight

CALIBRATION_COLUMNS = (
    "stage",
    "label",
    "weight",
    "closed_deals",
    "won",
    "historical_rate",
    "low",
    "high",
    "enough_data",
)


def wilson_interval(won: pl.Expr, n: pl.Expr, z: float = Z_95) -> tuple[pl.Expr, pl.Expr]:
    """The Wilson score interval of won / n (null where n is 0)."""
    p = won / n
    centre = (p + z * z / (2 * n)) / (1 + z * z / n)
    half = z * ((p * (1 - p) / n + z * z / (4 * n * n)).sqrt()) / (1 + z * z / n)
    valid = n > 0
    return (
        pl.when(valid).then((centre - half).clip(0.0, 1.0)),
        pl.when(valid).then((centre + half).clip(0.0, 1.0)),
    )


def stage_conversion(
    history: pl.DataFrame,
    deals: pl.DataFrame,
    stages: Iterable[CanonicalStage],
    *,
    closed_from: date | None = None,
    closed_to: date | None = None,
) -> pl.DataFrame:
    """Per open canonical stage (CALIBRATION_COLUMNS): the deals closed in the window that reached it, how many
    of them won, the rate with its interval, and whether there are enough deals to trust it.

    `history`: deal_id, stage (canonical key) — one row per stage a deal entered. `deals`: deal_id, stage (the
    canonical stage it is in now), closed_on (date; null while open).
    """
    stages = sorted(stages, key=lambda s: s.order)
    order = {s.key: s.order for s in stages}
    won_keys = [s.key for s in stages if s.semantics == StageSemantics.WON]
    lost_keys = [s.key for s in stages if s.semantics == StageSemantics.LOST]
    open_stages = pl.DataFrame(
        {
            "stage": [s.key for s in stages if s.semantics == StageSemantics.OPEN],
            "label": [s.label for s in stages if s.semantics == StageSemantics.OPEN],
            "weight": [s.weight for s in stages if s.semantics == StageSemantics.OPEN],
            "stage_order": [s.order for s in stages if s.semantics == StageSemantics.OPEN],
        },
        schema={"stage": pl.String, "label": pl.String, "weight": pl.Float64, "stage_order": pl.Int64},
    )
    closed = deals.filter(pl.col("stage").is_in(won_keys + lost_keys) & pl.col("closed_on").is_not_null())
    if closed_from is not None:
        closed = closed.filter(pl.col("closed_on") >= closed_from)
    if closed_to is not None:
        closed = closed.filter(pl.col("closed_on") <= closed_to)
    # How far along the open stages each deal got (the current stage counts as entered too).
    entered = pl.concat([history.select("deal_id", "stage"), closed.select("deal_id", "stage")])
    furthest = (
        entered.filter(pl.col("stage").is_in(open_stages["stage"].implode()))
        .group_by("deal_id")
        .agg(pl.col("stage").replace_strict(order, return_dtype=pl.Int64).max().alias("furthest"))
    )
    outcomes = closed.select("deal_id", pl.col("stage").is_in(won_keys).alias("is_won")).join(
        furthest, on="deal_id", how="left"
    )
    counts = (
        open_stages.join(outcomes, how="cross")
        .filter(pl.col("is_won") | (pl.col("furthest").fill_null(-1) >= pl.col("stage_order")))
        .group_by("stage")
        .agg(pl.len().alias("closed_deals"), pl.col("is_won").sum().alias("won"))
    )
    table = open_stages.join(counts, on="stage", how="left").with_columns(
        pl.col("closed_deals").fill_null(0).cast(pl.Int64), pl.col("won").fill_null(0).cast(pl.Int64)
    )
    low, high = wilson_interval(pl.col("won"), pl.col("closed_deals"))
    return (
        table.with_columns(
            pl.when(pl.col("closed_deals") > 0).then(pl.col("won") / pl.col("closed_deals")).alias("historical_rate"),
            low.alias("low"),
            high.alias("high"),
            (pl.col("closed_deals") >= MIN_DEALS).alias("enough_data"),
        )
        .sort("stage_order")
        .select(CALIBRATION_COLUMNS)
    )


def deal_key() -> pl.Expr:
    """One deal across sources: its source and its ID there."""
    return pl.concat_str(pl.col("source"), pl.lit(":"), pl.col("source_id")).alias("deal_id")


def canonical_history(history: pl.DataFrame, deals: pl.DataFrame, stage_maps: Sequence[StageMap]) -> pl.DataFrame:
    """The CRM's stage history (source, source_id, stage in the CRM's words) in canonical stages: deal_id, stage.

    A CRM stage maps per pipeline, so each entry takes its deal's pipeline (`deals`: source, source_id, pipeline);
    an entry of a deal no longer live, or of a CRM stage the mapping does not map, says nothing and is dropped.
    """
    maps = pl.DataFrame(
        {
            "pipeline": [m.pipeline_id for m in stage_maps],
            "stage": [m.stage_id for m in stage_maps],
            "canonical": [m.canonical_stage for m in stage_maps],
        },
        schema={"pipeline": pl.String, "stage": pl.String, "canonical": pl.String},
    )
    return (
        history.join(deals.select("source", "source_id", "pipeline"), on=["source", "source_id"], how="inner")
        .join(maps, on=["pipeline", "stage"], how="inner")
        .select(deal_key(), pl.col("canonical").alias("stage"))
        .unique()
    )


def calibration_deals(deals: pl.DataFrame) -> pl.DataFrame:
    """Live deals as the calibration reads them: deal_id, stage (canonical), closed_on. A closed deal's expected
    close is its close date (Salesforce and HubSpot both set it when a deal is won or lost)."""
    return deals.select(deal_key(), "stage", pl.col("expected_close").alias("closed_on"))


def historical_rates(calibration: pl.DataFrame) -> dict[str, float]:
    """Stage -> its historical rate, for the stages with enough closed deals to trust it."""
    trusted = calibration.filter(pl.col("enough_data") & pl.col("historical_rate").is_not_null())
    return dict(zip(trusted["stage"], trusted["historical_rate"], strict=True))
