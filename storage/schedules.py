"""Sync schedules and scheduler-worker heartbeats in the database (the worker, the app and the CLI share them)."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlmodel import Session, col, select

from storage import audit
from storage.db import fetch
from storage.tables import SyncSchedule, WorkerHeartbeat, utcnow

WORKER_ALIVE_WITHIN = timedelta(minutes=2)  # the worker beats every 30 s; two minutes of silence means it stopped


def get_schedule(session: Session, workspace_id: int) -> SyncSchedule | None:
    return session.exec(select(SyncSchedule).where(SyncSchedule.workspace_id == workspace_id)).first()


def save_schedule(
    session: Session,
    workspace_id: int,
    *,
    kind: str,
    every_minutes: int | None,
    daily_at: str | None,
    timezone: str,
    next_due_at: datetime | None,
    actor: str,
) -> SyncSchedule:
    """Create or replace a workspace's schedule (already validated by domain.schedule); audited."""
    row = get_schedule(session, workspace_id) or SyncSchedule(workspace_id=workspace_id, updated_by=actor)
    row.kind, row.every_minutes, row.daily_at, row.timezone = kind, every_minutes, daily_at, timezone
    row.next_due_at, row.updated_by, row.updated_at = next_due_at, actor, utcnow()
    session.add(row)
    session.flush()
    audit.record(
        session,
        actor=actor,
        action="schedule",
        entity="workspace",
        entity_id=workspace_id,
        workspace_id=workspace_id,
        detail={"kind": kind, "every_minutes": every_minutes, "daily_at": daily_at, "timezone": timezone},
    )
    return row


def due_schedules(session: Session, now: datetime) -> list[SyncSchedule]:
    """Schedules whose next slot has come, oldest first."""
    return list(
        session.exec(
            select(SyncSchedule)
            .where(
                SyncSchedule.kind != "off",
                col(SyncSchedule.next_due_at).is_not(None),
                col(SyncSchedule.next_due_at) <= now,
            )
            .order_by(col(SyncSchedule.next_due_at))
        ).all()
    )


def mark_fired(
    session: Session, schedule_id: int, *, fired_at: datetime, next_due_at: datetime | None, outcome: str
) -> None:
    row = fetch(session, SyncSchedule, schedule_id)
    row.last_fired_at, row.next_due_at, row.last_outcome = fired_at, next_due_at, outcome
    session.add(row)


def beat(session: Session, name: str, now: datetime | None = None) -> None:
    """Record that the worker `name` (host:pid) is alive."""
    now = now or utcnow()
    row = session.exec(select(WorkerHeartbeat).where(WorkerHeartbeat.name == name)).first()
    if row is None:
        row = WorkerHeartbeat(name=name, started_at=now)
    row.beat_at = now
    session.add(row)


def latest_worker(session: Session) -> WorkerHeartbeat | None:
    """The worker that beat most recently, alive or not."""
    return session.exec(select(WorkerHeartbeat).order_by(col(WorkerHeartbeat.beat_at).desc())).first()


def worker_alive(worker: WorkerHeartbeat | None, now: datetime | None = None) -> bool:
    return worker is not None and (now or utcnow()) - worker.beat_at <= WORKER_ALIVE_WITHIN
