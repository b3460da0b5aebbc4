"""Exports of a workspace's tables, masked by the signed-in role as in the app."""

from __future__ import annotations

import argparse
from pathlib import Path

from cli.opening import cli_access, open_app, workspace_named
from domain.errors import ValidationError
from services.exports import EXPORT_TABLES, export_frame, write_export
from storage.db import session_scope


def _cmd_export(args: argparse.Namespace) -> int:
    settings, engine = open_app()
    access = cli_access(engine, settings)
    with session_scope(engine) as session:
        workspace = workspace_named(session, args.workspace)
    frame = export_frame(engine, args.table, workspace.id, access)
    out = Path(args.out)
    chosen = args.format or {".csv": "csv", ".parquet": "parquet"}.get(out.suffix.lower())
    if chosen is None:
        raise ValidationError(
            f"--out {out.name}: exports are CSV or Parquet; name the file .csv or .parquet, or add --format."
        )
    write_export(frame, out, parquet=chosen == "parquet", reporting_currency=workspace.reporting_currency)
    print(f"{args.table}: {len(frame):,} rows -> {out}" + ("" if access.sees_amounts else " (amounts masked)"))
    return 0


def register(commands: argparse._SubParsersAction) -> None:
    """Add the export command(s)."""
    export = commands.add_parser("export", help="export one table of a workspace")
    export.add_argument("table", choices=[t.name for t in EXPORT_TABLES])
    export.add_argument("--workspace", required=True)
    export.add_argument("--out", required=True)
    export.add_argument("--format", choices=["csv", "parquet"], default=None, help="default: from the file name")
    export.set_defaults(run=_cmd_export)
