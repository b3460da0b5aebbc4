"""Sync schedules: off, every N minutes, hourly, or daily at a local time — and when each is next due.

The times come from APScheduler's triggers (interval and cron, with time zones and DST), so this module
only decides what a schedule means; `cli.worker` decides when to act on it. Every function takes `now`
explicitly, so the worker can be driven by a controllable clock in tests.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from enum import StrEnum
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from apscheduler.triggers.base import BaseTrigger
from apscheduler.triggers.cron import CronTrigger
from apscheduler.triggers.interval import IntervalTrigger

from domain.errors import ValidationError

MIN_EVERY_MINUTES = 5  # more often than this spends API allowance faster than finance data changes
# Intervals are counted from a fixed anchor, so "every 15 minutes" fires at :00, :15, :30, :45.
_INTERVAL_ANCHOR = datetime(2026, 1, 1, tzinfo=UTC)


class ScheduleKind(StrEnum):
    OFF = "off"
    EVERY_MINUTES = "interval"
    HOURLY = "hourly"
    DAILY = "daily"

    @property
    def label(self) -> str:
        return {"off": "Off", "interval": "Every N minutes", "hourly": "Hourly", "daily": "Daily at a time"}[self.value]


@dataclass(frozen=True)
class Schedule:
    """What a user chose; validated on construction by `schedule()`."""

    kind: ScheduleKind
    every_minutes: int | None = None
    daily_at: str | None = None  # "HH:MM"
    timezone: str = "UTC"

    def describe(self) -> str:
        """The schedule in words: 'every 15 minutes', 'daily at 06:30 (Europe/Berlin)'."""
        if self.kind is ScheduleKind.OFF:
            return "off"
        if self.kind is ScheduleKind.EVERY_MINUTES:
            return f"every {self.every_minutes} minutes"
        if self.kind is ScheduleKind.HOURLY:
            return "hourly, on the hour"
        return f"daily at {self.daily_at} ({self.timezone})"


def schedule(
    kind: str, *, every_minutes: int | None = None, daily_at: str | None = None, timezone: str = "UTC"
) -> Schedule:
    """Build a schedule from user input; raises ValidationError naming the field that is wrong."""
    try:
        chosen = ScheduleKind(kind)
    except ValueError:
        raise ValidationError(f"Schedule '{kind}' is not one of: {', '.join(k.value for k in ScheduleKind)}.") from None
    try:
        ZoneInfo(timezone)
    except (ZoneInfoNotFoundError, ValueError):
        raise ValidationError(
            f"Time zone '{timezone}' is not known.", hint="Use an IANA name such as Europe/Berlin."
        ) from None
    if chosen is ScheduleKind.EVERY_MINUTES:
        if every_minutes is None or int(every_minutes) < MIN_EVERY_MINUTES:
            raise ValidationError(f"Every N minutes: N must be at least {MIN_EVERY_MINUTES} (got {every_minutes}).")
        return Schedule(chosen, every_minutes=int(every_minutes), timezone=timezone)
    if chosen is ScheduleKind.DAILY:
        match = re.fullmatch(r"([01]?\d|2[0-3]):([0-5]\d)", (daily_at or "").strip())
        if not match:
            raise ValidationError(f"Daily at: '{daily_at}' is not a time of day (HH:MM, 00:00 to 23:59).")
        return Schedule(chosen, daily_at=f"{int(match[1]):02d}:{match[2]}", timezone=timezone)
    return Schedule(chosen, timezone=timezone)


def trigger_for(plan: Schedule) -> BaseTrigger | None:
    """The APScheduler trigger that fires this schedule; None when it is off."""
    zone = ZoneInfo(plan.timezone)
    if plan.kind is ScheduleKind.EVERY_MINUTES:
        return IntervalTrigger(minutes=plan.every_minutes, start_date=_INTERVAL_ANCHOR, timezone=zone)
    if plan.kind is ScheduleKind.HOURLY:
        return CronTrigger(minute=0, timezone=zone)
    if plan.kind is ScheduleKind.DAILY and plan.daily_at:
        hour, minute = plan.daily_at.split(":")
        return CronTrigger(hour=int(hour), minute=int(minute), timezone=zone)
    return None


def next_due(plan: Schedule, now: datetime) -> datetime | None:
    """The first slot strictly after `now` (UTC), or None when the schedule is off."""
    trigger = trigger_for(plan)
    if trigger is None:
        return None
    # A slot exactly at `now` is the one being fired now; the next one is after it.
    fire = trigger.get_next_fire_time(None, now + timedelta(microseconds=1))
    return fire.astimezone(UTC) if fire else None


def is_due(next_due_at: datetime | None, now: datetime) -> bool:
    """A slot is due once its time has come; one in the past (the worker was down) is due exactly once."""
    return next_due_at is not None and next_due_at <= now
