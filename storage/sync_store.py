"""What a sync run reads from and writes to the database, each write inside the caller's transaction."""

from __future__ import annotations

import gc
import json
from collections.abc import Iterator
from datetime import datetime, timedelta

import polars as pl
from sqlalchemy import String, any_, delete, func, insert, literal, select, update
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col
from sqlmodel import select as sm_select

from domain.canonical import Domain
from domain.errors import NotFound, RevenueConnectorError
from storage import sqlite_staging
from storage.db import session_scope
from storage.frames import table_schema
from storage.tables import (
    ArrMovement,
    ArrMovementHistory,
    Opportunity,
    OpportunityHistory,
    QuarantinedRow,
    SourceCursor,
    SyncRun,
    utcnow,
)

CANONICAL_TABLE = {Domain.PIPELINE: "opportunities", Domain.ARR_ACTUALS: "arr_movements"}
_MODEL = {Domain.PIPELINE: Opportunity, Domain.ARR_ACTUALS: ArrMovement}
_HISTORY = {Domain.PIPELINE: OpportunityHistory, Domain.ARR_ACTUALS: ArrMovementHistory}


class SyncInProgress(RevenueConnectorError):
    """Another sync of the same workspace is running; this one was refused before it touched anything."""


def _among(column, ids: list[str], dialect: str) -> Iterator:
    """WHERE-clauses that together select rows whose `column` is in `ids`, however many there are.

    SQLite and PostgreSQL get ONE bound parameter (a JSON array / a text array), so ten thousand IDs cost
    no statement compilation; other databases get IN-lists of 5,000.
    """
    if not ids:
        return
    if dialect == "sqlite":
        yield column.in_(select(func.json_each(json.dumps(ids)).table_valued("value").c.value))
    elif dialect == "postgresql":
        yield column == any_(literal(ids, type_=ARRAY(String)))
    else:
        for start in range(0, len(ids), 5000):
            yield column.in_(ids[start:start + 5000])


STALE_AFTER = timedelta(minutes=2)  # a running sync beats every 20 s; silence this long means its process died


def start_run(engine, workspace_id: int, *, trigger: str, dry_run: bool, scope: str | None = None) -> SyncRun:
    """Record a running sync, or refuse if one is already running (the database enforces it).

    A "running" sync whose heartbeat stopped more than STALE_AFTER ago died with its process (a
    restart, a killed job): it is marked abandoned, so it cannot block the workspace forever.
    """
    for attempt in range(2):
        try:
            with session_scope(engine) as session:
                run = SyncRun(workspace_id=workspace_id, trigger=trigger, dry_run=dry_run, status="running", scope=scope,
                              heartbeat_at=utcnow(), progress=0.0, progress_text="Starting…")
                session.add(run)
                session.flush()
                return run
        except IntegrityError as exc:
            other = running_run(engine, workspace_id)
            if other is not None and attempt == 0 and utcnow() - (other.heartbeat_at or other.started_at) > STALE_AFTER:
                finish_run(engine, other.id, status="abandoned",
                           error=f"No sign of life since {(other.heartbeat_at or other.started_at):%Y-%m-%d %H:%M} UTC; "
                                 "its process stopped. Nothing it had not committed was kept.")
                continue
            started = f"{other.started_at:%Y-%m-%d %H:%M} UTC" if other else "just now"
            raise SyncInProgress(f"A sync of this workspace is already running (run #{other.id if other else '?'}, "
                                 f"started {started} by {other.trigger if other else 'another process'}).",
                                 hint="Wait for it to finish; this one was not started and nothing was changed.") from exc
    raise AssertionError("unreachable")


def running_run(engine, workspace_id: int) -> SyncRun | None:
    with session_scope(engine) as session:
        return session.exec(sm_select(SyncRun).where(SyncRun.workspace_id == workspace_id,
                                                     SyncRun.status == "running")).first()


def latest_finished_run(engine, workspace_id: int) -> SyncRun | None:
    """The newest sync or dry run that finished (succeeded, failed or abandoned); rollbacks excluded."""
    with session_scope(engine) as session:
        return session.exec(sm_select(SyncRun).where(
            SyncRun.workspace_id == workspace_id, SyncRun.status != "running", SyncRun.trigger != "rollback",
        ).order_by(col(SyncRun.id).desc())).first()


def get_run(engine, run_id: int) -> SyncRun | None:
    with session_scope(engine) as session:
        return session.get(SyncRun, run_id)


def report_progress(engine, run_id: int, fraction: float | None = None, text: str | None = None) -> None:
    """Record progress and a heartbeat for a running sync (its own small transaction)."""
    with session_scope(engine) as session:
        run = session.get(SyncRun, run_id)
        if run is None or run.status != "running":
            return
        run.heartbeat_at = utcnow()
        if fraction is not None:
            run.progress, run.progress_text = fraction, text
        session.add(run)


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


def stored_rows(engine, workspace_id: int, domain: Domain, source_ids: list[str] | None = None, *,
                columns: list[str] | None = None) -> pl.DataFrame:
    """Current canonical rows of a domain: all of them, or only those with the given record IDs.

    `columns` reads only those columns (a comparison needs the values, not the bookkeeping).
    """
    table = _MODEL[domain].__table__  # type: ignore[attr-defined]
    full_schema = table_schema(CANONICAL_TABLE[domain])
    names = list(dict.fromkeys(columns)) if columns else list(full_schema)
    schema = {name: full_schema[name] for name in names}
    chosen = [table.c[name] for name in names]
    parts = []
    with engine.connect() as connection:
        if source_ids is None:
            parts.append(pl.read_database(select(*chosen).where(table.c.workspace_id == workspace_id),
                                          connection, schema_overrides=schema, infer_schema_length=None))
        for among in _among(table.c.source_id, source_ids or [], engine.dialect.name):
            statement = select(*chosen).where(table.c.workspace_id == workspace_id, among)
            parts.append(pl.read_database(statement, connection, schema_overrides=schema))
    frames = [p.cast(schema) if p.is_empty() else p for p in parts]
    return pl.concat(frames, how="vertical_relaxed") if frames else pl.DataFrame(schema=schema)


def live_ids(engine, workspace_id: int, domain: Domain) -> set[str]:
    table = _MODEL[domain].__table__  # type: ignore[attr-defined]
    with engine.connect() as connection:
        return set(connection.execute(select(table.c.source_id).where(
            table.c.workspace_id == workspace_id, table.c.is_deleted.is_(False))).scalars())


def canonical_totals(engine, workspace_id: int, domain: Domain) -> pl.DataFrame:
    """Weighted pipeline, or ARR per movement component, over the live rows (one SQL aggregate)."""
    table = _MODEL[domain].__table__  # type: ignore[attr-defined]
    live = (table.c.workspace_id == workspace_id) & table.c.is_deleted.is_(False)
    if domain == Domain.PIPELINE:
        statement = select(func.coalesce(func.sum(table.c.weighted_amount), 0.0).label("weighted_amount")).where(live)
        schema = {"weighted_amount": pl.Float64}
    else:
        statement = select(table.c.movement_component, func.sum(table.c.arr_delta_reporting).label("arr_delta_reporting")
                           ).where(live).group_by(table.c.movement_component)
        schema = {"movement_component": pl.String, "arr_delta_reporting": pl.Float64}
    with engine.connect() as connection:
        return pl.read_database(statement, connection, schema_overrides=schema).cast(schema)


def bulk_insert(session: Session, table, frame: pl.DataFrame) -> None:
    """Insert a frame's rows into `table` inside the session's transaction, fast.

    PostgreSQL takes them through COPY; SQLite, formatted exactly as SQLAlchemy stores dates, datetimes
    and booleans there, through an Arrow scratch file and one INSERT … SELECT for big frames
    (storage/sqlite_staging.py) or executemany of plain tuples. Other databases use a generic insert.
    SQLAlchemy's per-row parameter processing was three quarters of a million-row sync.
    """
    if frame.is_empty():
        return
    connection = session.connection()
    dialect = connection.dialect.name
    columns = frame.columns
    if dialect == "sqlite":
        formatted = frame.with_columns(
            [pl.col(c).dt.convert_time_zone("UTC").dt.strftime("%Y-%m-%d %H:%M:%S.%6f")
             for c, t in frame.schema.items() if isinstance(t, pl.Datetime)]
            + [pl.col(c).dt.strftime("%Y-%m-%d") for c, t in frame.schema.items() if isinstance(t, pl.Date)]
            + [pl.col(c).cast(pl.Int8) for c, t in frame.schema.items() if isinstance(t, pl.Boolean)])
        database = connection.engine.url.database
        if sqlite_staging.can_stage(database, formatted.height):
            sqlite_staging.staged_insert(connection.connection.dbapi_connection, database, table.name, formatted)
            return
        statement = f'INSERT INTO {table.name} ({", ".join(columns)}) VALUES ({", ".join("?" * len(columns))})'
        # Millions of short-lived row tuples only make the cycle collector rescan the heap; nothing
        # here forms cycles, so it pauses for the insert (a third of its time at a million rows).
        collecting = gc.isenabled()
        gc.disable()
        try:
            connection.connection.dbapi_connection.cursor().executemany(statement, formatted.iter_rows())
        finally:
            if collecting:
                gc.enable()
    elif dialect == "postgresql":
        cursor = connection.connection.dbapi_connection.cursor()
        with cursor.copy(f'COPY {table.name} ({", ".join(columns)}) FROM STDIN') as copy:
            for row in frame.iter_rows():
                copy.write_row(row)
    else:
        for start in range(0, frame.height, 5000):
            session.execute(insert(table), frame.slice(start, 5000).to_dicts())


def _archive(session: Session, workspace_id: int, domain: Domain, run_id: int, source_ids: list[str]) -> None:
    """Copy the current versions of these records into history, closed by `run_id` (O(changes))."""
    table = _MODEL[domain].__table__  # type: ignore[attr-defined]
    history = _HISTORY[domain].__table__  # type: ignore[attr-defined]
    columns = [c.name for c in table.columns]
    for among in _among(table.c.source_id, source_ids, session.connection().dialect.name):
        chosen = select(*[table.c[c] for c in columns], literal(run_id).label("closed_by_run")).where(
            table.c.workspace_id == workspace_id, among)
        session.execute(insert(history).from_select([*columns, "closed_by_run"], chosen))


def apply_changes(session: Session, workspace_id: int, domain: Domain, run_id: int, *, upserts: pl.DataFrame,
                  replaced_ids: list[str], tombstone_ids: list[str]) -> None:
    """Archive the versions being replaced, then replace changed rows, add new ones and mark deleted ones.

    `replaced_ids` are the stored records the upserts supersede; new records need no archive or delete,
    which is what keeps a first full load of a million rows from touching the history at all.
    """
    table = _MODEL[domain].__table__  # type: ignore[attr-defined]
    ids = replaced_ids
    _archive(session, workspace_id, domain, run_id, ids + tombstone_ids)
    dialect = session.connection().dialect.name
    for among in _among(table.c.source_id, ids, dialect):
        session.execute(delete(table).where(table.c.workspace_id == workspace_id, among))
    if upserts.height:
        columns = [c.name for c in table.columns if c.name != "id"]
        rows = upserts.with_columns(pl.lit(workspace_id).alias("workspace_id"), pl.lit(run_id).alias("run_id"),
                                    pl.lit(False).alias("is_deleted")).select(columns)
        bulk_insert(session, table, rows)
    for among in _among(table.c.source_id, tombstone_ids, dialect):
        session.execute(update(table).where(table.c.workspace_id == workspace_id, among)
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


def restore_as_of(session: Session, workspace_id: int, run_id: int, rollback_run_id: int) -> dict[Domain, int]:
    """Make the canonical tables exactly what they were when run `run_id` finished.

    The version of a record at run R is the history row with run_id <= R < closed_by_run, else the current
    row if it was last written at or before R; records first written after R disappear. Everything the
    rollback replaces is archived too, so a rollback can itself be rolled back.
    """
    if session.get(SyncRun, run_id) is None or session.get(SyncRun, run_id).workspace_id != workspace_id:
        raise NotFound(f"Run #{run_id} does not exist in this workspace.")
    restored = {}
    for domain, name in CANONICAL_TABLE.items():
        table = _MODEL[domain].__table__  # type: ignore[attr-defined]
        history = _HISTORY[domain].__table__  # type: ignore[attr-defined]
        schema = table_schema(name)
        connection = session.connection()
        current = pl.read_database(select(table).where(table.c.workspace_id == workspace_id), connection,
                                   schema_overrides=schema).cast(schema)
        earlier = pl.read_database(
            select(*[history.c[c] for c in schema]).where(history.c.workspace_id == workspace_id,
                                                          history.c.run_id <= run_id, history.c.closed_by_run > run_id),
            connection, schema_overrides=schema).cast(schema)
        keep = current.filter((pl.col("run_id") <= run_id) & ~pl.col("source_id").is_in(earlier["source_id"].implode()))
        replaced = current.filter(~pl.col("id").is_in(keep["id"].implode()))["source_id"].to_list()
        _archive(session, workspace_id, domain, rollback_run_id, replaced)
        for among in _among(table.c.source_id, replaced, connection.dialect.name):
            session.execute(delete(table).where(table.c.workspace_id == workspace_id, among))
        bulk_insert(session, table, earlier)
        restored[domain] = keep.height + earlier.height
    return restored
