"""A run's heartbeat outlives a beat the database refuses: SQLite answers "database is locked" while another
writer holds the file longer than the busy timeout (a run's own long write does), and the next beat must land."""

import sqlite3
import time

from sqlmodel import select

from domain.config import load_settings
from services.sync.lifecycle import heartbeat, start_run
from storage import db
from storage.db import open_database, session_scope
from storage.tables import SyncRun
from storage.workspaces import create_workspace


def _heartbeat_at(engine, run_id: int):
    with session_scope(engine) as session:
        return session.exec(select(SyncRun.heartbeat_at).where(SyncRun.id == run_id)).one()


def test_the_heartbeat_keeps_beating_after_the_database_refused_a_beat(env, monkeypatch):
    monkeypatch.setattr(db, "SQLITE_BUSY_SECONDS", 0.1)  # the busy timeout, so a refusal takes 0.1 s, not 30
    settings = load_settings({**env, "REVENUE_CONNECTOR_DEMO": "0"})
    engine = open_database(settings)
    with session_scope(engine) as session:
        workspace_id = create_workspace(session, "Acme", actor="t").id
    run = start_run(engine, workspace_id, trigger="test", dry_run=False)
    before = _heartbeat_at(engine, run.id)

    other_writer = sqlite3.connect(engine.url.database, isolation_level=None)
    with heartbeat(engine, run.id, every_seconds=0.05):
        other_writer.execute("BEGIN IMMEDIATE")  # holds the write lock: every beat now is refused
        time.sleep(0.5)
        other_writer.execute("ROLLBACK")
        assert _heartbeat_at(engine, run.id) == before
        deadline = time.monotonic() + 5
        while _heartbeat_at(engine, run.id) == before and time.monotonic() < deadline:
            time.sleep(0.05)
    other_writer.close()
    assert _heartbeat_at(engine, run.id) > before
    engine.dispose()
