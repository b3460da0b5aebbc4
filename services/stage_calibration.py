"""Stage weights checked against what actually closed: the calibration table Settings and step 3 show beside the
weights, 'use the historical rate' as a reviewed, audited change of one stage's weight, and the forecast under
both weightings for Revenue. The rules are in domain/stage_calibration.py; this reads what they need."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import UTC, date, datetime

import polars as pl
from sqlalchemy import Engine

from domain.errors import ValidationError
from domain.figures import weighted_open_pipeline, weighted_open_pipeline_at_rates
from domain.insights.weightings import forecast_by_weighting
from domain.roles import Access, Permission
from domain.stage_calibration import MIN_DEALS, calibration_deals, canonical_history, historical_rates, stage_conversion
from storage import audit
from storage.db import session_scope
from storage.insights import live_opportunities
from storage.mappings import latest_mapping
from storage.stage_history import stored_history
from storage.workspaces import load_stage_set, save_stage_set

# The windows a person may choose, by the words the pages show (None: every closed deal).
WINDOWS: dict[str, int | None] = {
    "Last 6 months": 6,
    "Last 12 months": 12,
    "Last 24 months": 24,
    "All history": None,
}
DEFAULT_WINDOW = "Last 12 months"


@dataclass(frozen=True)
class StageCalibration:
    """Per open stage, the share of closed deals that reached it and won (domain CALIBRATION_COLUMNS)."""

    table: pl.DataFrame
    history_entries: int  # entries of stage history stored for the workspace (0: none read yet)
    deals_with_history: int  # live deals the history speaks about (through the mapping)
    window: str
    closed_from: date | None
    closed_to: date

    @property
    def explained(self) -> str:
        """What the rates rest on, in one sentence."""
        since = f"closed from {self.closed_from:%d %b %Y}" if self.closed_from else "closed at any time"
        return (
            f"Deals {since} to {self.closed_to:%d %b %Y}; {self.deals_with_history:,} live deals have stage history. "
            f"A rate rests on the closed deals that reached the stage (or a later one) and is offered as the "
            f"weight only from {MIN_DEALS} such deals; the range is the 95% interval."
        )


def stage_calibration(
    engine: Engine, workspace_id: int, *, window: str = DEFAULT_WINDOW, as_of: date | None = None
) -> StageCalibration:
    """The workspace's stage calibration over `window` (a WINDOWS key) up to `as_of` (today)."""
    if window not in WINDOWS:
        raise ValidationError(f"'{window}' is not a calibration window.", hint=f"Choose one of {', '.join(WINDOWS)}.")
    closed_to = as_of or datetime.now(UTC).date()
    months = WINDOWS[window]
    closed_from = pl.select(pl.lit(closed_to).dt.offset_by(f"-{months}mo")).item() if months else None
    with session_scope(engine) as session:
        stages = load_stage_set(session, workspace_id)
        mapping = latest_mapping(session, workspace_id)
    deals = live_opportunities(engine, workspace_id)
    stored = stored_history(engine, workspace_id)
    history = canonical_history(stored, deals, mapping[1].stages if mapping else ())
    table = stage_conversion(history, calibration_deals(deals), stages, closed_from=closed_from, closed_to=closed_to)
    return StageCalibration(table, stored.height, history["deal_id"].n_unique(), window, closed_from, closed_to)


def use_historical_rate(
    engine: Engine, workspace_id: int, stage_key: str, *, window: str, access: Access, as_of: date | None = None
) -> float:
    """Make one open stage's weight its historical rate (rounded to a whole percent), as a person approved it:
    refused when the rate rests on fewer than MIN_DEALS closed deals. The stage set's change and the approval,
    with the rate, its interval and the deals behind it, are both in the audit log. Returns the new weight."""
    access.require(Permission.EDIT_SETUP)
    calibration = stage_calibration(engine, workspace_id, window=window, as_of=as_of)
    found = calibration.table.filter(pl.col("stage") == stage_key)
    if found.is_empty():
        raise ValidationError(f"'{stage_key}' is not an open stage of this workspace.")
    row = found.row(0, named=True)
    if not row["enough_data"] or row["historical_rate"] is None:
        raise ValidationError(
            f"{row['label']}: only {row['closed_deals']} closed deals reached it in {window.lower()}, fewer than "
            f"{MIN_DEALS}; its rate is not offered as the weight.",
            hint="Choose a longer window, or keep the configured weight.",
        )
    weight = round(float(row["historical_rate"]), 2)
    with session_scope(engine) as session:
        stages = load_stage_set(session, workspace_id)
        updated = [replace(s, weight=weight) if s.key == stage_key else s for s in stages]
        save_stage_set(session, workspace_id, updated, actor=access.actor)
        audit.record(
            session,
            actor=access.actor,
            action="approve",
            entity="historical_stage_rate",
            entity_id=stage_key,
            workspace_id=workspace_id,
            detail={
                "stage": row["label"],
                "weight_before": row["weight"],
                "weight_after": weight,
                "historical_rate": row["historical_rate"],
                "interval": [row["low"], row["high"]],
                "closed_deals": row["closed_deals"],
                "won": row["won"],
                "window": window,
            },
        )
    return weight


@dataclass(frozen=True)
class ForecastWeightings:
    """The open pipeline per stage under both weightings, in the page's words, and the two totals (None for roles
    that may not see amounts: a stage's total can rest on one customer's deal)."""

    table: pl.DataFrame
    configured: float | None
    historical: float | None


def forecast_weightings(
    engine: Engine, workspace_id: int, access: Access, *, window: str = DEFAULT_WINDOW, reporting: str
) -> ForecastWeightings:
    """The forecast under the configured weights and under historical rates, per stage and in total."""
    calibration = stage_calibration(engine, workspace_id, window=window)
    with session_scope(engine) as session:
        stages = load_stage_set(session, workspace_id)
    deals = live_opportunities(engine, workspace_id)
    frame = forecast_by_weighting(deals, stages, calibration.table, reporting)
    configured: float | None = weighted_open_pipeline(deals, stages)
    historical: float | None = weighted_open_pipeline_at_rates(
        deals, stages, historical_rates(calibration.table), reporting
    )
    if not access.sees_amounts:
        frame = frame.drop("open_amount", "weighted_configured", "weighted_historical")
        configured = historical = None
    table = (
        frame.drop("stage", "closed_deals")
        .with_columns(
            _percent(pl.col("weight")).alias("weight"),
            _percent(pl.col("historical_rate")).fill_null("— (too few deals)").alias("historical_rate"),
        )
        .rename(
            {
                "label": "Stage",
                "open_deals": "Open deals",
                "open_amount": f"Open amount ({reporting})",
                "weight": "Configured weight",
                "weighted_configured": f"Weighted, configured ({reporting})",
                "historical_rate": "Historical rate",
                "weighted_historical": f"Weighted, historical ({reporting})",
                "overridden_deals": "Deals with own probability",
            },
            strict=False,
        )
    )
    return ForecastWeightings(table, configured, historical)


def _percent(value: pl.Expr) -> pl.Expr:
    return pl.when(value.is_not_null()).then((value * 100).round(0).cast(pl.Int64).cast(pl.String) + "%")


def calibration_rows(calibration: StageCalibration) -> pl.DataFrame:
    """The calibration as Settings and step 3 show it: each open stage's weight beside its historical rate, the
    95% range, the deals behind it, and what a person may do with it."""
    table = calibration.table
    differs = (pl.col("historical_rate") - pl.col("weight")).abs() >= 0.005
    return table.select(
        pl.col("label").alias("Stage"),
        _percent(pl.col("weight")).alias("Configured weight"),
        _percent(pl.col("historical_rate")).fill_null("—").alias("Historical rate"),
        pl.when(pl.col("low").is_not_null())
        .then(_percent(pl.col("low")) + " – " + _percent(pl.col("high")))
        .otherwise(pl.lit("—"))
        .alias("95% range"),
        pl.col("closed_deals").alias("Closed deals that reached it"),
        pl.col("won").alias("Of them won"),
        pl.when(pl.col("closed_deals") == 0)
        .then(pl.lit("No closed deal yet"))
        .when(~pl.col("enough_data"))
        .then(pl.format("Too few deals to suggest ({} of {})", pl.col("closed_deals"), pl.lit(MIN_DEALS)))
        .when(differs)
        .then(pl.format("Suggest {}", _percent(pl.col("historical_rate"))))
        .otherwise(pl.lit("Weight matches history"))
        .alias("Suggestion"),
    )


def suggested_stages(calibration: StageCalibration) -> list[tuple[str, str]]:
    """(stage key, 'Proposal: 60% → 45%') for the stages whose trusted rate differs from the weight."""
    rows = calibration.table.filter(
        pl.col("enough_data") & ((pl.col("historical_rate") - pl.col("weight")).abs() >= 0.005)
    )
    return [
        (r["stage"], f"{r['label']}: {r['weight']:.0%} → {round(r['historical_rate'], 2):.0%}") for r in rows.to_dicts()
    ]
