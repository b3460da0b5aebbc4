"""Exports of every workspace table as CSV or Parquet, the same for the Exports page and the CLI."""

from __future__ import annotations

import io
from dataclasses import dataclass

import polars as pl

from storage.frames import WORKSPACE_TABLES


@dataclass(frozen=True)
class ExportTable:
    name: str
    title: str
    description: str


EXPORT_TABLES: tuple[ExportTable, ...] = (
    ExportTable("opportunities", "Opportunities", "Canonical pipeline with stage, weight and provenance."),
    ExportTable("arr_movements", "ARR movements", "Signed ARR changes by component, with provenance."),
    ExportTable("accounts", "Accounts", "Canonical accounts."),
    ExportTable("crosswalk", "Account crosswalk", "CRM account IDs and the canonical account each maps to."),
    ExportTable("stage_mappings", "Stage mappings", "CRM stages mapped onto canonical stages with weights."),
    ExportTable("field_mappings", "Field mappings", "CRM fields mapped onto canonical fields."),
    ExportTable("quarantine", "Quarantine", "Rows that did not roll up, with reason and offending value."),
    ExportTable("runs", "Sync runs", "Every sync with rows read, added, changed, quarantined."),
    ExportTable("audit", "Audit log", "Who changed or approved what, and when."),
)
assert {t.name for t in EXPORT_TABLES} == set(WORKSPACE_TABLES), "every stored table has an export"


def to_csv_bytes(frame: pl.DataFrame) -> bytes:
    """UTF-8 CSV with a header row, dates in ISO 8601."""
    return frame.write_csv().encode("utf-8")


def to_parquet_bytes(frame: pl.DataFrame) -> bytes:
    buffer = io.BytesIO()
    frame.write_parquet(buffer)
    return buffer.getvalue()
