"""Exports of every workspace table as CSV or Parquet, the same for the Exports page and the CLI.

`export_frame` is the one reader behind both, so masking for the reader's role cannot be skipped.
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import polars as pl
from sqlalchemy import Engine

from domain.insights.business_figures import business_figures
from domain.insights.data import RevenueFilters
from domain.insights.reconciliation import pipeline_arr_reconciliation
from domain.mapping_config import amount_source_fields
from domain.money import money_text
from domain.roles import Access, mask_amounts, mask_small_groups
from domain.spreadsheet_safe import neutralise_formulas, spreadsheet_csv
from services.revenue import load_revenue_data
from services.stage_calibration import stage_calibration
from storage.db import session_scope
from storage.frames import WORKSPACE_TABLES, read_workspace_table
from storage.mappings import latest_mapping


@dataclass(frozen=True)
class ExportTable:
    name: str
    title: str
    description: str


STORED_TABLES: tuple[ExportTable, ...] = (
    ExportTable("opportunities", "Opportunities", "Canonical pipeline with stage, weight and provenance."),
    ExportTable("arr_movements", "ARR movements", "Signed ARR changes by component, with provenance."),
    ExportTable("accounts", "Accounts", "Canonical accounts."),
    ExportTable("crosswalk", "Account crosswalk", "CRM account IDs and the canonical account each maps to."),
    ExportTable("stage_mappings", "Stage mappings", "CRM stages mapped onto canonical stages with weights."),
    ExportTable("field_mappings", "Field mappings", "CRM fields mapped onto canonical fields."),
    ExportTable("stage_history", "Stage history", "Every stage each CRM deal entered, as the CRM recorded it."),
    ExportTable("quarantine", "Quarantine", "Rows that did not roll up, with reason and offending value."),
    ExportTable("runs", "Sync runs", "Every sync with rows read, added, changed, quarantined."),
    ExportTable("audit", "Audit log", "Who changed or approved what, and when."),
    ExportTable("plan", "Plan", "The ARR plan uploaded on the Revenue page, by month and segment."),
    ExportTable("alerts", "Alerts", "What fired after which sync run, and when it was seen."),
)
assert {t.name for t in STORED_TABLES} == set(WORKSPACE_TABLES), "every stored table has an export"
# Computed on export from the stored tables, with the Revenue page's default rules.
RECONCILIATION = ExportTable(
    "reconciliation",
    "Pipeline ↔ ARR reconciliation",
    "Won deals without an ARR movement, movements without a won deal, amount mismatches.",
)
FIGURES = ExportTable(
    "figures",
    "Business figures",
    "Weighted open pipeline, closed-won bookings, ARR per component and ending ARR today, each "
    "defined once (domain/figures.py) and the same as the sync summary and Revenue show.",
)
CALIBRATION = ExportTable(
    "stage_calibration",
    "Stage calibration",
    "Per open stage: the configured weight beside the share of closed deals that reached it and won over the "
    "last 12 months, with the deals behind it and the 95% interval.",
)
COMPUTED_TABLES: tuple[ExportTable, ...] = (FIGURES, RECONCILIATION, CALIBRATION)
EXPORT_TABLES: tuple[ExportTable, ...] = (*STORED_TABLES, *COMPUTED_TABLES)


def export_frame(engine: Engine, table: str, workspace_id: int, access: Access) -> pl.DataFrame:
    """One table of a workspace as the reader may see it (customer-linked amounts masked by role)."""
    if table == RECONCILIATION.name:
        frame = pipeline_arr_reconciliation(load_revenue_data(engine, workspace_id), RevenueFilters())
        return mask_amounts(frame, access)
    if table == FIGURES.name:
        # Totals: shown to masked roles only over enough accounts, like every total in the app.
        return mask_small_groups(
            business_figures(load_revenue_data(engine, workspace_id), date.today()), access, ["value"]
        )
    if table == CALIBRATION.name:
        return stage_calibration(engine, workspace_id).table  # counts and rates: no amount in it
    frame = read_workspace_table(engine, table, workspace_id)
    if access.sees_amounts:
        return frame
    with session_scope(engine) as session:
        mapping = latest_mapping(session, workspace_id)
    return mask_amounts(frame, access, amount_fields=amount_source_fields(mapping[1] if mapping else None))


def to_csv_bytes(frame: pl.DataFrame, reporting_currency: str) -> bytes:
    """UTF-8 CSV with a header row, dates in ISO 8601, money as exact decimals at each currency's minor unit, text
    that a spreadsheet would run as a formula neutralised."""
    return spreadsheet_csv(money_text(frame, reporting_currency)).encode("utf-8")


def to_parquet_bytes(frame: pl.DataFrame) -> bytes:
    buffer = io.BytesIO()
    frame.write_parquet(buffer)
    return buffer.getvalue()


def write_export(frame: pl.DataFrame, out: Path, *, parquet: bool, reporting_currency: str) -> None:
    """Write straight to a temporary file beside `out`, then rename: no second copy in memory, never half a file."""
    tmp = out.with_name(out.name + ".tmp")
    if parquet:
        frame.write_parquet(tmp)
    else:
        neutralise_formulas(money_text(frame, reporting_currency)).write_csv(tmp)
    tmp.replace(out)
