"""CSV in, CSV out: the `python -m core suggest …` commands and the evaluation harness share these readers."""

from __future__ import annotations

from pathlib import Path

import polars as pl

from domain.errors import ValidationError
from domain.suggestions.fields import SourceField, suggest_fields
from domain.suggestions.model import DEFAULT_THRESHOLDS, BandThresholds, Suggestion
from domain.suggestions.stages import CrmStage, suggest_stages

FIELD_COLUMNS = ("system", "object", "name", "label", "type", "samples")
STAGE_COLUMNS = ("system", "pipeline", "stage_id", "label", "probability", "is_closed", "is_won")
ACCOUNT_COLUMNS = ("account_id", "name", "website", "billing_country")


def read_table(path: Path | str, required: tuple[str, ...]) -> pl.DataFrame:
    """A CSV as text columns; a missing file or column is a ValidationError naming it."""
    path = Path(path)
    if not path.is_file():
        raise ValidationError(f"{path}: no such file.")
    try:
        frame = pl.read_csv(path, infer_schema=False)
    except pl.exceptions.PolarsError as exc:
        raise ValidationError(f"{path}: not a readable CSV ({str(exc).splitlines()[0]}).") from exc
    missing = [c for c in required if c not in frame.columns]
    if missing:
        raise ValidationError(f"{path}: missing column(s) {', '.join(missing)} (expected {', '.join(required)}).")
    return frame


def source_fields(frame: pl.DataFrame) -> list[SourceField]:
    return [
        SourceField(
            system=(r["system"] or "").strip().lower(),
            object_name=r["object"] or "",
            name=r["name"] or "",
            label=r["label"] or r["name"] or "",
            type=r["type"] or "string",
            samples=tuple(s for s in (r["samples"] or "").split("|") if s),
        )
        for r in frame.iter_rows(named=True)
    ]


def field_suggestions(frame: pl.DataFrame, thresholds: BandThresholds = DEFAULT_THRESHOLDS) -> list[Suggestion]:
    """Suggestions for every object in a fields table, objects in order of first appearance."""
    fields = source_fields(frame)
    by_object: dict[tuple[str, str], list[SourceField]] = {}
    for field in fields:
        by_object.setdefault((field.system, field.object_name), []).append(field)
    return [s for group in by_object.values() for s in suggest_fields(group, thresholds=thresholds)]


def _flag(value: str | None) -> bool | None:
    if value is None or not value.strip():
        return None
    return value.strip().lower() in {"true", "1", "yes", "y", "t"}


def _probability(value: str | None) -> float | None:
    if value is None or not value.strip():
        return None
    try:
        return float(value)
    except ValueError as exc:
        raise ValidationError(f"probability '{value}' is not a number.") from exc


def crm_stages(frame: pl.DataFrame) -> list[CrmStage]:
    return [
        CrmStage(
            system=(r["system"] or "").lower(),
            pipeline_id=r["pipeline"] or "default",
            stage_id=r["stage_id"] or "",
            label=r["label"] or r["stage_id"] or "",
            probability=_probability(r["probability"]),
            is_closed=_flag(r["is_closed"]),
            is_won=_flag(r["is_won"]),
            sort_order=i,
        )
        for i, r in enumerate(frame.iter_rows(named=True))
    ]


def stage_suggestions(frame: pl.DataFrame, thresholds: BandThresholds = DEFAULT_THRESHOLDS) -> list[Suggestion]:
    return suggest_stages(crm_stages(frame), thresholds=thresholds)


def account_records(frame: pl.DataFrame) -> pl.DataFrame:
    return frame.select(pl.col("account_id").alias("id"), "name", "website", pl.col("billing_country").alias("country"))


def fields_output(suggestions: list[Suggestion]) -> pl.DataFrame:
    return pl.DataFrame(
        {
            "object": [s.group for s in suggestions],
            "name": [s.subject for s in suggestions],
            "suggested": [s.target for s in suggestions],
            "score": [s.score for s in suggestions],
            "band": [s.band.value for s in suggestions],
            "reason": [s.reason for s in suggestions],
        },
        schema={
            "object": pl.String,
            "name": pl.String,
            "suggested": pl.String,
            "score": pl.Float64,
            "band": pl.String,
            "reason": pl.String,
        },
    )


def stages_output(suggestions: list[Suggestion]) -> pl.DataFrame:
    return pl.DataFrame(
        {
            "pipeline": [s.group for s in suggestions],
            "stage_id": [s.subject for s in suggestions],
            "suggested": [s.target for s in suggestions],
            "weight": [s.weight for s in suggestions],
            "score": [s.score for s in suggestions],
            "band": [s.band.value for s in suggestions],
            "reason": [s.reason for s in suggestions],
        },
        schema={
            "pipeline": pl.String,
            "stage_id": pl.String,
            "suggested": pl.String,
            "weight": pl.Float64,
            "score": pl.Float64,
            "band": pl.String,
            "reason": pl.String,
        },
    )


def accounts_output(pairs: pl.DataFrame, *, include_related: bool = False) -> pl.DataFrame:
    """Suggested pairs as written by `suggest accounts`: same-company pairs (they are the duplicates), with the
    related ones (regional or legal entities of one group, parent named) only when asked for."""
    columns = ["account_id_a", "account_id_b", "score", "band", "reason"]
    if include_related:
        return pairs.select(columns + ["relation", "parent_id"])
    # The columns stay those scripts already read; every row is a same-company pair.
    return pairs.filter(pl.col("relation") == "same").select(columns)
