"""A run's life: the run lock (a silent run counts as dead after STALE_AFTER), the heartbeat that tells a crashed
run from a slow one, progress for the pages, and the outcome on the run record."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta

from sqlalchemy import Engine

from domain.errors import SyncInProgress
from storage.sync_runs import finish_run, last_sign_of_life, report_progress, running_run, try_start_run
from storage.tables import SyncRun, utcnow

HEARTBEAT_EVERY_SECONDS = 20.0
STALE_AFTER = timedelta(minutes=2)  # six missed heartbeats: the process that ran it died


def start_run(engine: Engine, workspace_id: int, *, trigger: str, dry_run: bool, scope: str | None = None) -> SyncRun:
    """Take the workspace's run lock, or refuse with SyncInProgress naming the run that holds it.

    A "running" sync whose heartbeat stopped more than STALE_AFTER ago died with its process (a restart, a
    killed job): it is marked abandoned, so it cannot block the workspace forever.
    """
    for attempt in range(2):
        run = try_start_run(engine, workspace_id, trigger=trigger, dry_run=dry_run, scope=scope)
        if run is not None:
            return run
        other = running_run(engine, workspace_id)
        if other is not None and attempt == 0 and utcnow() - last_sign_of_life(other) > STALE_AFTER:
            finish_run(
                engine,
                other.id,
                status="abandoned",
                error=f"No sign of life since {last_sign_of_life(other):%Y-%m-%d %H:%M} UTC; its process "
                "stopped. Nothing it had not committed was kept.",
            )
            continue
        started = f"{other.started_at:%Y-%m-%d %H:%M} UTC" if other else "just now"
        raise SyncInProgress(
            f"A sync of this workspace is already running (run #{other.id if other else '?'}, "
            f"started {started} by {other.trigger if other else 'another process'}).",
            hint="Wait for it to finish; this one was not started and nothing was changed.",
        )
    raise AssertionError("unreachable")


@contextmanager
def heartbeat(engine: Engine, run_id: int, every_seconds: float = HEARTBEAT_EVERY_SECONDS) -> Iterator[None]:
    """Beat while the run works, so a run whose process died can be told from a slow one."""
    stop = threading.Event()

    def beat() -> None:
        while not stop.wait(every_seconds):
            report_progress(engine, run_id)

    thread = threading.Thread(target=beat, daemon=True, name=f"sync-heartbeat-{run_id}")
    thread.start()
    try:
        yield
    finally:
        stop.set()
