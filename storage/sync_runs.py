"""Sync run records: the run lock (at most one running sync per workspace, held by the database), progress and
heartbeat, and the outcome. Each call is its own small transaction, so a run's record is visible while it works
(when a silent run counts as dead is decided in services/sync/lifecycle.py)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Engine, func
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col
from sqlmodel import select as sm_select

from storage.db import fetch, session_scope
from storage.processes import this_process
from storage.tables import SyncRun, utcnow


def try_start_run(
    engine: Engine, workspace_id: int, *, trigger: str, dry_run: bool, scope: str | None = None
) -> SyncRun | None:
    """Record a running sync; None when another run of the workspace already holds the lock."""
    try:
        with session_scope(engine) as session:
            run = SyncRun(
                workspace_id=workspace_id,
                trigger=trigger,
                dry_run=dry_run,
                status="running",
                scope=scope,
                heartbeat_at=utcnow(),
                progress=0.0,
                progress_text="Starting…",
                owner=this_process(),
            )
            session.add(run)
            session.flush()
            return run
    except IntegrityError:
        return None


def running_run(engine: Engine, workspace_id: int) -> SyncRun | None:
    with session_scope(engine) as session:
        return session.exec(
            sm_select(SyncRun).where(SyncRun.workspace_id == workspace_id, SyncRun.status == "running")
        ).first()


def running_runs(engine: Engine) -> list[SyncRun]:
    """Every run still marked running, in any workspace."""
    with session_scope(engine) as session:
        return list(session.exec(sm_select(SyncRun).where(SyncRun.status == "running")))


def latest_finished_run(engine: Engine, workspace_id: int) -> SyncRun | None:
    """The newest sync or dry run that finished (succeeded, failed or abandoned); rollbacks excluded."""
    with session_scope(engine) as session:
        return session.exec(
            sm_select(SyncRun)
            .where(
                SyncRun.workspace_id == workspace_id,
                SyncRun.status != "running",
                SyncRun.trigger != "rollback",
            )
            .order_by(col(SyncRun.id).desc())
        ).first()


def dry_run_since_last_sync(session: Session, workspace_id: int) -> SyncRun | None:
    """The newest dry run that succeeded after the last successful sync (what a sync would do now), if any."""
    last_sync = session.exec(
        sm_select(func.max(SyncRun.id)).where(
            SyncRun.workspace_id == workspace_id,
            SyncRun.status == "succeeded",
            col(SyncRun.dry_run).is_(False),
            SyncRun.trigger != "rollback",
        )
    ).one()
    return session.exec(
        sm_select(SyncRun)
        .where(
            SyncRun.workspace_id == workspace_id,
            SyncRun.status == "succeeded",
            col(SyncRun.dry_run).is_(True),
            SyncRun.id > (last_sync or 0),
        )
        .order_by(col(SyncRun.id).desc())
    ).first()


def get_run(engine: Engine, run_id: int) -> SyncRun | None:
    with session_scope(engine) as session:
        return session.get(SyncRun, run_id)


def last_sign_of_life(run: SyncRun) -> datetime:
    """When a running sync last beat (its start, before the first beat)."""
    return run.heartbeat_at or run.started_at


def report_progress(engine: Engine, run_id: int, fraction: float | None = None, text: str | None = None) -> None:
    """Record progress and a heartbeat for a running sync (its own small transaction)."""
    with session_scope(engine) as session:
        run = session.get(SyncRun, run_id)
        if run is None or run.status != "running":
            return
        run.heartbeat_at = utcnow()
        if fraction is not None:
            run.progress, run.progress_text = fraction, text
        session.add(run)


def finish_run(engine: Engine, run_id: int, **fields: Any) -> None:
    """Close a run record (status, counts, error) in its own transaction."""
    with session_scope(engine) as session:
        finish_run_in(session, run_id, **fields)


def finish_run_in(session: Session, run_id: int, **fields: Any) -> None:
    """Close a run record inside the caller's transaction: a run's data and its "succeeded" commit together."""
    run = fetch(session, SyncRun, run_id)
    for key, value in fields.items():
        setattr(run, key, value)
    run.finished_at = utcnow()
    session.add(run)


def close_running_run(engine: Engine, run_id: int, **fields: Any) -> bool:
    """Close a run that is still running (failed, abandoned); False when it already has an outcome, which a
    run's own committed "succeeded" always wins over."""
    with session_scope(engine) as session:
        run = session.get(SyncRun, run_id)
        if run is None or run.status != "running":
            return False
        finish_run_in(session, run_id, **fields)
        return True
