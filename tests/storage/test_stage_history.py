"""Stored stage history on SQLite and PostgreSQL: a re-read entry is stored once, a whole read replaces the
source's history, and an entry no column can hold is left out instead of failing the run's write."""

from datetime import UTC, datetime, timedelta

import polars as pl

from connectors.base import STAGE_HISTORY_SCHEMA
from services.startup import start
from storage.db import session_scope
from storage.stage_history import stored_history
from storage.unit_of_work import UnitOfWork
from storage.workspaces import create_workspace


def _entries(rows: list[tuple[str, str, datetime]]) -> pl.DataFrame:
    return pl.DataFrame(rows, schema=STAGE_HISTORY_SCHEMA, orient="row")


def test_history_is_idempotent_whole_reads_replace_and_unstorable_entries_are_left_out(settings):
    engine = start(settings)
    with session_scope(engine) as session:
        ws = create_workspace(session, "Acme", actor="t").id
    at = datetime(2026, 3, 1, 9, 30, tzinfo=UTC)
    first = _entries(
        [
            ("006A", "Discovery", at),
            ("006A", "Discovery", at),  # the same entry twice in one read
            ("006B", "見込み客", at),  # a stage in Japanese is a stage like any other
            ("006C", "x" * 5_000, at),  # no stage column holds it, and no mapping could name it
            ("006D", "Bad\x00Stage", at),
            ("0" * 65, "Discovery", at),
        ]
    )
    with UnitOfWork(engine) as uow:
        uow.stage_history.add(ws, "sf", first, run_id=None, whole=True)
        uow.commit()
    stored = stored_history(engine, ws)
    assert sorted(stored.select("source_id", "stage").rows()) == [("006A", "Discovery"), ("006B", "見込み客")]
    with UnitOfWork(engine) as uow:
        assert uow.stage_history.newest(ws, "sf") == at
        later = _entries([("006A", "Discovery", at), ("006A", "Proposal", datetime(2026, 4, 1, tzinfo=UTC))])
        uow.stage_history.add(ws, "sf", later, run_id=None, whole=False)
        uow.commit()
    assert stored_history(engine, ws).height == 3  # the re-read entry once, the new one added
    with UnitOfWork(engine) as uow:
        # Where the next incremental read starts: the newest entry stored, not the newest of the last read.
        assert uow.stage_history.newest(ws, "sf") == datetime(2026, 4, 1, tzinfo=UTC)
        uow.stage_history.add(ws, "sf", _entries([("006A", "Discovery", at)]), run_id=None, whole=False)
        assert uow.stage_history.newest(ws, "sf") == datetime(2026, 4, 1, tzinfo=UTC)
        uow.stage_history.add(ws, "sf", _entries([("006E", "Closed Won", at)]), run_id=None, whole=True)
        uow.commit()
    assert stored_history(engine, ws)["source_id"].to_list() == ["006E"]
    with UnitOfWork(engine) as uow:
        assert uow.stage_history.newest(ws, "sf") == at  # a whole read replaced the history, and its mark
        assert uow.stage_history.newest(ws, "hubspot") is None
        uow.stage_history.add(ws, "sf", _entries([]), run_id=None, whole=True)
        assert uow.stage_history.newest(ws, "sf") is None  # a whole read of nothing: read it all next time
        uow.commit()
    engine.dispose()


def test_a_whole_read_of_many_deals_is_stored_exactly_through_the_bulk_path(settings):
    """Past 20,000 entries SQLite stages them through an Arrow file and PostgreSQL takes them by COPY: every entry
    comes back with its stage, deal and instant, and a later partial re-read still adds only what is new."""
    engine = start(settings)
    with session_scope(engine) as session:
        ws = create_workspace(session, "Acme", actor="t").id
    start_at = datetime(2025, 1, 1, tzinfo=UTC)
    stages = ["Prospecting", "Négociation", "見込み客", 'Proposal "B", v2']
    rows = [
        (f"006{deal:015d}", stages[step], start_at + timedelta(days=deal % 300, hours=step, microseconds=deal))
        for deal in range(6_000)
        for step in range(len(stages))
    ]
    with UnitOfWork(engine) as uow:
        assert uow.stage_history.add(ws, "sf", _entries(rows), run_id=None, whole=True) == 24_000
        uow.commit()
    stored = stored_history(engine, ws)
    expected = _entries(rows).sort("source_id", "entered_at")
    assert stored.select(expected.columns).sort("source_id", "entered_at").equals(expected)
    assert (stored["source"] == "sf").all()
    with UnitOfWork(engine) as uow:
        again = rows[:10] + [("006NEW", "Prospecting", start_at)]
        assert uow.stage_history.add(ws, "sf", _entries(again), run_id=None, whole=False) == 11
        uow.commit()
    assert stored_history(engine, ws).height == 24_001
    engine.dispose()


def test_the_migration_marks_where_each_source_s_history_ends(settings):
    from alembic import command
    from sqlalchemy import text

    from tests.storage.older_schema import workspace_at_revision

    engine, config = workspace_at_revision(settings, "0020")
    with engine.begin() as connection:
        for source_id, at in (("006A", "2026-03-01 09:30:00"), ("006A", "2026-05-02 10:00:00"), ("006B", "2025-01-01")):
            connection.execute(
                text(
                    "INSERT INTO stage_history (workspace_id, source, source_id, stage, entered_at) "
                    "VALUES (1, 'sf', :id, 'Discovery', :at)"
                ),
                {"id": source_id, "at": at},
            )
    command.upgrade(config, "head")
    with UnitOfWork(engine) as uow:
        assert uow.stage_history.newest(1, "sf") == datetime(2026, 5, 2, 10, tzinfo=UTC)
    engine.dispose()
