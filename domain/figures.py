"""Every business figure, defined once. The sync's before/after figures (dry runs too), the Pipelines page, the
CLI, alerts, Revenue and exports all call these, so one label never shows two numbers.

- **Weighted open pipeline**: the weighted amount (amount in the reporting currency x its stage's weight) of deals
  in an *open* stage. A closed-won deal is a booking, not pipeline; a closed-lost one weighs nothing.
- **Slipped weighted pipeline**: the part of the weighted open pipeline whose expected close is already past (as of
  a date): deals nobody moved or closed. How the forecast places them is a workspace choice (insights/forecast.py).
- **Weighted open pipeline at historical rates**: the same deals, each weighted by the share of deals that
  reached its stage and later won (domain/stage_calibration.py) where enough closed deals tell it, by its
  configured weight otherwise; a deal's own probability override is honoured under both weightings.
- **Closed-won bookings**: the amount (reporting currency) of deals in the won stage, reported on its own.
- **ARR by component**: the signed ARR change (reporting currency) of each movement component.
- **Ending ARR** is a valuation at a date (each currency at that date's rate): `domain.insights.arr_actuals`.

The functions take rows or rows already summed by stage / component: the figures are sums, so either gives
the same number (storage sums in SQL; the sync sums the rows it is about to write).
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date

import polars as pl

from domain.canonical import CanonicalStage, MovementComponent, StageSemantics
from domain.money import exact, money_sum, round_money

WEIGHTED_OPEN_PIPELINE = "weighted open pipeline"
SLIPPED_WEIGHTED_PIPELINE = "slipped weighted pipeline"
CLOSED_WON_BOOKINGS = "closed-won bookings"
HISTORICAL_WEIGHTED_PIPELINE = "weighted open pipeline at historical rates"


def figure_label(figure: str) -> str:
    """A figure's name as a table row shows it ('Weighted open pipeline', 'ARR expansion')."""
    return figure[:1].upper() + figure[1:]


def arr_figure(component: MovementComponent) -> str:
    """The name of one ARR component's figure, e.g. 'ARR expansion'."""
    return f"ARR {component.value}"


def stage_keys(stages: Iterable[CanonicalStage], semantics: StageSemantics) -> list[str]:
    """The keys of the canonical stages with this meaning (open, won or lost)."""
    return [s.key for s in stages if s.semantics == semantics]


def open_deals(stages: Iterable[CanonicalStage]) -> pl.Expr:
    """True for a deal in an open stage: the deals behind the weighted pipeline."""
    return pl.col("stage").is_in(stage_keys(stages, StageSemantics.OPEN))


def won_deals(stages: Iterable[CanonicalStage]) -> pl.Expr:
    """True for a deal in the won stage: the deals behind closed-won bookings."""
    return pl.col("stage").is_in(stage_keys(stages, StageSemantics.WON))


def weighted_open_pipeline(deals: pl.DataFrame, stages: Iterable[CanonicalStage]) -> float:
    """Σ weighted_amount over deals in an open stage (`deals`: stage, weighted_amount)."""
    return _total(deals.filter(open_deals(stages)), "weighted_amount")


def weighted_at_rates(rates: dict[str, float], reporting: str) -> pl.Expr:
    """A deal's weighted amount at historical rates (`rates`: stage -> rate, only the trusted ones): its own
    override's weighted amount when it has one, the amount x its stage's rate, or its configured weighted amount
    where its stage has no trusted rate."""
    rate = pl.col("stage").replace_strict(rates, default=None, return_dtype=pl.Float64)
    at_rate = round_money(exact(pl.col("amount_reporting")) * exact(rate), pl.lit(reporting), [reporting])
    overridden = pl.col("probability_override").is_not_null()
    return pl.when(~overridden & rate.is_not_null()).then(at_rate).otherwise(pl.col("weighted_amount"))


def weighted_open_pipeline_at_rates(
    deals: pl.DataFrame, stages: Iterable[CanonicalStage], rates: dict[str, float], reporting: str
) -> float:
    """Σ weighted amount at historical rates over deals in an open stage (`deals`: stage, amount_reporting,
    weighted_amount, probability_override)."""
    open_rows = deals.filter(open_deals(stages)).with_columns(weighted_at_rates(rates, reporting).alias("_at_rates"))
    return _total(open_rows, "_at_rates")


def close_passed(as_of: date) -> pl.Expr:
    """True for a deal whose expected close is before `as_of`: open and so, slipped."""
    return (pl.col("expected_close") < as_of).fill_null(False)


def slipped_weighted_pipeline(deals: pl.DataFrame, stages: Iterable[CanonicalStage], as_of: date) -> float:
    """Σ weighted_amount over open deals whose expected close is before `as_of`."""
    return _total(deals.filter(open_deals(stages) & close_passed(as_of)), "weighted_amount")


def closed_won_bookings(deals: pl.DataFrame, stages: Iterable[CanonicalStage]) -> float:
    """Σ amount_reporting over deals in the won stage (`deals`: stage, amount_reporting)."""
    return _total(deals.filter(won_deals(stages)), "amount_reporting")


def pipeline_figures(deals: pl.DataFrame, stages: Iterable[CanonicalStage]) -> dict[str, float]:
    """Weighted open pipeline and closed-won bookings of these deals."""
    stages = tuple(stages)
    return {
        WEIGHTED_OPEN_PIPELINE: weighted_open_pipeline(deals, stages),
        CLOSED_WON_BOOKINGS: closed_won_bookings(deals, stages),
    }


def arr_figures(movements: pl.DataFrame) -> dict[str, float]:
    """ARR change per movement component (`movements`: movement_component, arr_delta_reporting)."""
    sums = dict(movements.group_by("movement_component").agg(money_sum(pl.col("arr_delta_reporting"))).iter_rows())
    return {arr_figure(c): float(sums.get(c.value) or 0.0) + 0.0 for c in MovementComponent}


def _total(rows: pl.DataFrame, column: str) -> float:
    """The exact total of a money column (0.0, never -0.0, when there are no rows)."""
    return float(rows.select(money_sum(pl.col(column))).item() or 0.0) + 0.0
