"""The scheduler worker: `python -m core worker`, a long-running process beside the app.

APScheduler runs `tick` every 30 seconds (never two at once). A tick records a heartbeat and fires every
schedule whose slot has come, through the same sync engine and run lock as the app and the CLI:

- a sync of the workspace already running (from anywhere) is never doubled: the slot is skipped and recorded;
- slots missed while the worker was down fire once on start, then the schedule moves to its next future slot.

`tick` takes the time as an argument, so tests drive the worker with a controllable clock instead of sleeping.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import Engine

from domain.config import Settings
from domain.errors import RevenueConnectorError, SyncInProgress
from domain.roles import system_access
from domain.schedule import next_due, schedule
from services.sync import run_sync
from services.sync.lifecycle import current_run
from storage.db import session_scope
from storage.processes import this_process
from storage.schedules import beat, due_schedules, mark_fired
from storage.sync_runs import running_runs

log = logging.getLogger(__name__)

TICK_SECONDS = 30


@dataclass(frozen=True)
class Fired:
    workspace_id: int
    outcome: str  # "run #12 succeeded", "skipped: run #11 was still running", "run #13 failed: …"
    run_id: int | None = None


def worker_name() -> str:
    return this_process()


def tick(engine: Engine, settings: Settings, now: datetime, *, name: str | None = None) -> list[Fired]:
    """Beat, close runs whose process died (so their alert goes out even if nobody opens a page), then fire every
    due schedule once. Returns what happened, one entry per schedule fired."""
    for run in running_runs(engine):
        current_run(engine, run.workspace_id)
    with session_scope(engine) as session:
        beat(session, name or worker_name(), now)
        due = [
            (
                s.id,
                s.workspace_id,
                schedule(s.kind, every_minutes=s.every_minutes, daily_at=s.daily_at, timezone=s.timezone),
            )
            for s in due_schedules(session, now)
        ]
    fired = []
    for schedule_id, workspace_id, plan in due:
        run_id = None
        try:
            summary = run_sync(engine, settings, workspace_id, trigger="schedule", access=system_access("scheduler"))
            run_id, outcome = summary.run_id, f"run #{summary.run_id} succeeded"
        except SyncInProgress as exc:
            outcome = f"skipped: {exc.user_message}"
        except RevenueConnectorError as exc:
            outcome = f"failed: {exc.user_message}"
        except Exception as exc:  # noqa: BLE001 - one workspace's failure must not stop the others' schedules
            log.exception("scheduled sync of workspace %s failed", workspace_id)
            outcome = f"failed: {type(exc).__name__}: {exc}"
        # The next slot after now: slots missed while the worker was down are not run one by one.
        with session_scope(engine) as session:
            mark_fired(session, schedule_id, fired_at=now, next_due_at=next_due(plan, now), outcome=outcome)
        log.info("workspace %s: %s", workspace_id, outcome)
        fired.append(Fired(workspace_id, outcome, run_id))
    return fired


def _beat(engine: Engine, name: str) -> None:
    with session_scope(engine) as session:
        beat(session, name)


def run_worker(engine: Engine, settings: Settings, *, tick_seconds: float = TICK_SECONDS) -> None:
    """Block, ticking on APScheduler until interrupted (Ctrl-C, SIGTERM)."""
    from apscheduler.schedulers.blocking import BlockingScheduler

    name = worker_name()
    scheduler = BlockingScheduler(timezone=UTC)
    scheduler.add_job(
        lambda: tick(engine, settings, datetime.now(UTC), name=name),
        "interval",
        seconds=tick_seconds,
        next_run_time=datetime.now(UTC),
        max_instances=1,
        coalesce=True,
        id="tick",
    )
    # Its own job, so a long sync inside a tick does not make the worker look dead to the app.
    scheduler.add_job(
        lambda: _beat(engine, name), "interval", seconds=tick_seconds, max_instances=1, coalesce=True, id="heartbeat"
    )
    log.warning("scheduler worker %s started; checking schedules every %s s", name, tick_seconds)
    try:
        scheduler.start()
    except (KeyboardInterrupt, SystemExit):
        log.warning("scheduler worker %s stopped", name)
