"""What a sync run reads from and writes to the database, each write inside the caller's transaction."""

from __future__ import annotations

import io
import json
from datetime import datetime

import polars as pl
from sqlalchemy import delete, insert, select, update
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col
from sqlmodel import select as sm_select

from core.canonical import Domain
from core.errors import NotFound, RevenueConnectorError
from storage.db import session_scope
from storage.frames import read_workspace_table, table_schema
from storage.tables import ArrMovement, Opportunity, QuarantinedRow, RunSnapshot, SourceCursor, SyncRun, utcnow

CANONICAL_TABLE = {Domain.PIPELINE: "opportunities", Domain.ARR_ACTUALS: "arr_movements"}
_MODEL = {Domain.PIPELINE: Opportunity, Domain.ARR_ACTUALS: ArrMovement}


class SyncInProgress(RevenueConnectorError):
    """Another sync of the same workspace is running; this one was refused before it touched anything."""


def start_run(engine, workspace_id: int, *, trigger: str, dry_run: bool) -> SyncRun:
    """Record a running sync, or refuse if one is already running (the database enforces it)."""
    try:
        with session_scope(engine) as session:
            run = SyncRun(workspace_id=workspace_id, trigger=trigger, dry_run=dry_run, status="running")
            session.add(run)
            session.flush()
            return run
    except IntegrityError as exc:
        with session_scope(engine) as session:
            other = session.exec(sm_select(SyncRun).where(SyncRun.workspace_id == workspace_id,
                                                          SyncRun.status == "running")).first()
        started = f"{other.started_at:%Y-%m-%d %H:%M} UTC" if other else "just now"
        raise SyncInProgress(f"A sync of this workspace is already running (run #{other.id if other else '?'}, "
                             f"started {started} by {other.trigger if other else 'another process'}).",
                             hint="Wait for it to finish; this one was not started and nothing was changed.") from exc


def finish_run(engine, run_id: int, **fields) -> None:
    """Close a run record (status, counts, error) in its own transaction."""
    with session_scope(engine) as session:
        run = session.get(SyncRun, run_id)
        for key, value in fields.items():
            setattr(run, key, value)
        run.finished_at = utcnow()
        session.add(run)


def cursor_for(session: Session, workspace_id: int, connection_id: int, object_name: str) -> datetime | None:
    row = session.exec(sm_select(SourceCursor).where(
        SourceCursor.workspace_id == workspace_id, SourceCursor.connection_id == connection_id,
        SourceCursor.object_name == object_name)).first()
    return datetime.fromisoformat(row.cursor_value) if row and row.cursor_value else None


def save_cursor(session: Session, workspace_id: int, connection_id: int, object_name: str, value: datetime,
                run_id: int) -> None:
    row = session.exec(sm_select(SourceCursor).where(
        SourceCursor.workspace_id == workspace_id, SourceCursor.connection_id == connection_id,
        SourceCursor.object_name == object_name)).first() or SourceCursor(
        workspace_id=workspace_id, connection_id=connection_id, object_name=object_name, cursor_field="modified")
    row.cursor_value, row.run_id, row.updated_at = value.isoformat(), run_id, utcnow()
    session.add(row)


def open_quarantine_payloads(session: Session, workspace_id: int, source: str, object_name: str) -> list[dict]:
    """Raw rows still in quarantine for one source object, so the next run re-processes them."""
    rows = session.exec(sm_select(QuarantinedRow.source_id, QuarantinedRow.payload_json).where(
        QuarantinedRow.workspace_id == workspace_id, QuarantinedRow.source == source,
        QuarantinedRow.source_object == object_name, col(QuarantinedRow.released_run_id).is_(None))).all()
    seen: dict[str, dict] = {}
    for source_id, payload in rows:
        if payload and source_id not in seen:
            seen[source_id] = json.loads(payload)
    return list(seen.values())


def current_rows(engine, workspace_id: int, domain: Domain) -> pl.DataFrame:
    return read_workspace_table(engine, CANONICAL_TABLE[domain], workspace_id)


def apply_changes(session: Session, workspace_id: int, domain: Domain, run_id: int, *, upserts: pl.DataFrame,
                  tombstone_ids: list[str]) -> None:
    """Replace changed rows, add new ones and mark deleted ones, in the caller's transaction."""
    table = _MODEL[domain].__table__  # type: ignore[attr-defined]
    ids = upserts["source_id"].to_list()
    for start in range(0, len(ids), 5000):
        session.execute(delete(table).where(table.c.workspace_id == workspace_id,
                                            table.c.source_id.in_(ids[start:start + 5000])))
    if upserts.height:
        columns = [c.name for c in table.columns if c.name != "id"]
        rows = upserts.with_columns(pl.lit(workspace_id).alias("workspace_id"), pl.lit(run_id).alias("run_id"),
                                    pl.lit(False).alias("is_deleted")).select(columns)
        for start in range(0, rows.height, 5000):
            session.execute(insert(table), rows.slice(start, 5000).to_dicts())
    for start in range(0, len(tombstone_ids), 5000):
        session.execute(update(table).where(table.c.workspace_id == workspace_id,
                                            table.c.source_id.in_(tombstone_ids[start:start + 5000]))
                        .values(is_deleted=True, run_id=run_id))


def replace_quarantine(session: Session, workspace_id: int, run_id: int, objects: list[tuple[str, str]],
                       quarantine: pl.DataFrame) -> None:
    """Release the open quarantine of the objects this run read, and record what it quarantined now."""
    for source, object_name in objects:
        session.execute(update(QuarantinedRow.__table__).where(  # type: ignore[attr-defined]
            QuarantinedRow.workspace_id == workspace_id, QuarantinedRow.source == source,
            QuarantinedRow.source_object == object_name, col(QuarantinedRow.released_run_id).is_(None),
        ).values(released_run_id=run_id))
    if quarantine.height:
        rows = quarantine.with_columns(pl.lit(workspace_id).alias("workspace_id"), pl.lit(run_id).alias("run_id"),
                                       pl.lit(utcnow()).alias("created_at")).to_dicts()
        session.execute(insert(QuarantinedRow.__table__), rows)  # type: ignore[attr-defined]


def save_snapshot(session: Session, workspace_id: int, run_id: int) -> None:
    """Store every canonical row as it stands after this run (read inside the same transaction)."""
    for domain, name in CANONICAL_TABLE.items():
        table = _MODEL[domain].__table__  # type: ignore[attr-defined]
        schema = table_schema(name)
        frame = pl.read_database(select(table).where(table.c.workspace_id == workspace_id),
                                 session.connection(), schema_overrides=schema)
        buffer = io.BytesIO()
        (frame.cast(schema) if frame.is_empty() else frame).write_parquet(buffer)
        session.add(RunSnapshot(run_id=run_id, workspace_id=workspace_id, domain=domain.value, rows=frame.height,
                                data=buffer.getvalue()))


def restore_snapshot(session: Session, workspace_id: int, run_id: int) -> dict[Domain, int]:
    """Make the canonical tables exactly what run `run_id` left behind."""
    snapshots = session.exec(sm_select(RunSnapshot).where(RunSnapshot.run_id == run_id,
                                                          RunSnapshot.workspace_id == workspace_id)).all()
    if len(snapshots) != len(CANONICAL_TABLE):
        raise NotFound(f"Run #{run_id} has no stored result to roll back to.",
                       hint="Only completed, non-dry runs keep their result.")
    restored = {}
    for snapshot in snapshots:
        domain = Domain(snapshot.domain)
        table = _MODEL[domain].__table__  # type: ignore[attr-defined]
        session.execute(delete(table).where(table.c.workspace_id == workspace_id))
        frame = pl.read_parquet(io.BytesIO(snapshot.data))
        for start in range(0, frame.height, 5000):
            session.execute(insert(table), frame.slice(start, 5000).to_dicts())
        restored[domain] = frame.height
    return restored
