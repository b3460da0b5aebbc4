"""A run's life: the run lock (a silent run counts as dead after STALE_AFTER), the heartbeat that tells a crashed
run from a slow one, progress for the pages, and the outcome on the run record."""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta

from sqlalchemy import Engine

from domain.errors import SyncInProgress
from services.alerts import alert_after_run
from storage.processes import owner_dead
from storage.sync_runs import close_running_run, last_sign_of_life, report_progress, running_run, try_start_run
from storage.tables import SyncRun, utcnow

log = logging.getLogger(__name__)

HEARTBEAT_EVERY_SECONDS = 20.0
STALE_AFTER = timedelta(minutes=2)  # six missed heartbeats: the process that ran it died


def start_run(engine: Engine, workspace_id: int, *, trigger: str, dry_run: bool, scope: str | None = None) -> SyncRun:
    """Take the workspace's run lock, or refuse with SyncInProgress naming the run that holds it.

    A "running" sync whose process died (a restart, a killed job) is marked abandoned (`current_run`), so it
    cannot block the workspace.
    """
    for attempt in range(2):
        run = try_start_run(engine, workspace_id, trigger=trigger, dry_run=dry_run, scope=scope)
        if run is not None:
            return run
        other = current_run(engine, workspace_id)
        if other is None and attempt == 0:
            continue  # it finished, or was found dead, meanwhile
        started = f"{other.started_at:%Y-%m-%d %H:%M} UTC" if other else "just now"
        raise SyncInProgress(
            f"A sync of this workspace is already running (run #{other.id if other else '?'}, "
            f"started {started} by {other.trigger if other else 'another process'}).",
            hint="Wait for it to finish; this one was not started and nothing was changed.",
        )
    raise AssertionError("unreachable")


def is_dead(run: SyncRun, now: datetime) -> bool:
    """A running sync whose process is gone: its owner no longer exists on this host, or (any host) it has
    been silent for longer than STALE_AFTER."""
    return owner_dead(run.owner) or now - last_sign_of_life(run) > STALE_AFTER


def current_run(engine: Engine, workspace_id: int) -> SyncRun | None:
    """The workspace's running sync, or None. One whose process died is marked abandoned on the spot (and raises
    the run_failed alert), so a killed run never keeps the workspace's buttons disabled."""
    run = running_run(engine, workspace_id)
    if run is None or not is_dead(run, utcnow()):
        return run
    how = (
        "its process ended"
        if owner_dead(run.owner)
        else f"no sign of life since {last_sign_of_life(run):%Y-%m-%d %H:%M} UTC"
    )
    # The data and a succeeded status commit together (services/sync/load.py), so a run still "running" here
    # committed nothing.
    error = f"The sync stopped without finishing ({how}); nothing it did was kept."
    if close_running_run(engine, run.id, status="abandoned", error=error):
        log.warning("sync run %s of workspace %s abandoned: %s", run.id, workspace_id, how)
        threading.Thread(target=alert_after_run, args=(engine, run.id), daemon=True).start()
    return None


@contextmanager
def heartbeat(engine: Engine, run_id: int, every_seconds: float = HEARTBEAT_EVERY_SECONDS) -> Iterator[None]:
    """Beat while the run works, so a run whose process died can be told from a slow one."""
    stop = threading.Event()

    def beat() -> None:
        while not stop.wait(every_seconds):
            try:
                report_progress(engine, run_id)
            except Exception as exc:  # noqa: BLE001 - one missed beat must not end the heartbeat
                # SQLite refuses a beat while the run's own long write holds the file (seen at a million deals
                # from Salesforce); a thread that died here would leave a live run looking dead two minutes on.
                log.warning("sync run %s: heartbeat missed (%s); trying again in %.0f s", run_id, exc, every_seconds)

    thread = threading.Thread(target=beat, daemon=True, name=f"sync-heartbeat-{run_id}")
    thread.start()
    try:
        yield
    finally:
        stop.set()
