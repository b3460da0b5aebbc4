"""A sync killed with kill -9 (a real process, a real signal): the workspace is free at once, an alert says so,
and the run's status tells whether its data landed (issue 18)."""

import os
import subprocess
import sys
import time

import polars as pl

from domain.config import PROJECT_ROOT
from services.sync.lifecycle import current_run
from storage.alerts import list_alerts
from storage.db import session_scope
from storage.frames import read_workspace_table
from storage.sync_runs import latest_finished_run

# Runs a sync in its own process and kills that process with SIGKILL when the sync reports `KILL_AT`.
SYNC_THEN_DIE = """
import os, signal, sys
from domain.config import load_settings
from domain.roles import system_access
from services.sync import run_sync
from storage.db import make_engine

settings = load_settings()
engine = make_engine(settings.database_url)
kill_at = os.environ["KILL_AT"]

def progress(fraction, text):
    if text.startswith(kill_at):
        os.kill(os.getpid(), signal.SIGKILL)

run_sync(engine, settings, int(sys.argv[1]), trigger="test", access=system_access("t"), full=True, progress=progress)
"""


def _killed_sync(db_env, ws: int, kill_at: str) -> int:
    env = {**os.environ, **db_env, "REVENUE_CONNECTOR_DEMO": "0", "KILL_AT": kill_at, "PYTHONPATH": str(PROJECT_ROOT)}
    done = subprocess.run([sys.executable, "-c", SYNC_THEN_DIE, str(ws)], env=env, cwd=PROJECT_ROOT, timeout=120)
    return done.returncode


def _alerts(engine, ws, run_id, wait=5.0):
    deadline = time.monotonic() + wait
    while time.monotonic() < deadline:
        with session_scope(engine) as session:
            rules = [a.rule for a in list_alerts(session, ws, limit=10) if a.run_id == run_id]
        if rules:
            return rules
        time.sleep(0.1)
    return []


def test_a_run_killed_before_its_commit_frees_the_workspace_at_once_and_alerts(workspace, db_env):
    settings, engine, ws, _ = workspace
    assert _killed_sync(db_env, ws, "Writing canonical data") == -9
    dead = latest_finished_run(engine, ws)
    assert dead is None  # still "running" as far as the database knows
    began = time.monotonic()
    assert current_run(engine, ws) is None  # seen dead at once: its process is gone
    assert time.monotonic() - began < 2
    run = latest_finished_run(engine, ws)
    assert run.status == "abandoned" and "its process ended" in run.error and "nothing it did was kept" in run.error
    assert read_workspace_table(engine, "opportunities", ws).is_empty()
    assert _alerts(engine, ws, run.id) == ["run_failed"]


def test_a_run_killed_just_after_its_commit_says_succeeded(workspace, db_env):
    settings, engine, ws, _ = workspace
    assert _killed_sync(db_env, ws, "Done") == -9
    assert current_run(engine, ws) is None
    run = latest_finished_run(engine, ws)
    assert run.status == "succeeded" and run.rows_added > 0 and run.error is None
    live = read_workspace_table(engine, "opportunities", ws).filter(~pl.col("is_deleted"))
    arr = read_workspace_table(engine, "arr_movements", ws).filter(~pl.col("is_deleted"))
    assert live.height + arr.height == run.rows_added  # every row the run says it added is live
