"""A workspace's sync schedule: stored with its first slot (the rules of when a slot is due are in the domain)."""

from __future__ import annotations

from datetime import datetime

from sqlmodel import Session

from domain.roles import Access, Permission
from domain.schedule import Schedule, next_due
from storage.schedules import save_schedule


def set_schedule(
    session: Session, workspace_id: int, plan: Schedule, *, access: Access, now: datetime
) -> datetime | None:
    """Store a workspace's schedule with its first slot after `now`; returns that slot (None when off)."""
    access.require(Permission.RUN_SYNC)
    due = next_due(plan, now)
    save_schedule(
        session,
        workspace_id,
        kind=plan.kind.value,
        every_minutes=plan.every_minutes,
        daily_at=plan.daily_at,
        timezone=plan.timezone,
        next_due_at=due,
        actor=access.actor,
    )
    return due
