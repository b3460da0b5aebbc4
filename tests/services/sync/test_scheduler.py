"""The scheduler worker and targeted syncs, on SQLite and PostgreSQL, driven by a controllable clock."""

from datetime import UTC, datetime, timedelta

import polars as pl
import pytest

from cli.worker import tick
from domain.canonical import Domain
from domain.errors import ValidationError
from domain.roles import system_access
from domain.schedule import next_due, schedule
from services.schedules import set_schedule
from services.sync import SyncScope, run_sync
from services.sync.lifecycle import start_run
from storage.db import session_scope
from storage.frames import read_workspace_table
from storage.schedules import get_schedule, latest_worker, worker_alive
from storage.sync_runs import finish_run

T0 = datetime(2026, 12, 4, 10, 7, tzinfo=UTC)


def _every_15(workspace, now=T0):
    _, engine, ws, _ = workspace
    with session_scope(engine) as session:
        return set_schedule(session, ws, schedule("interval", every_minutes=15), access=system_access("t"), now=now)


def _runs(workspace):
    _, engine, ws, _ = workspace
    return read_workspace_table(engine, "runs", ws)


def test_the_worker_fires_on_schedule_and_not_before(workspace):
    settings, engine, ws, _ = workspace
    assert _every_15(workspace) == datetime(2026, 12, 4, 10, 15, tzinfo=UTC)
    assert tick(engine, settings, T0 + timedelta(minutes=7), name="w1") == []  # 10:14
    assert _runs(workspace).is_empty()
    fired = tick(engine, settings, datetime(2026, 12, 4, 10, 15, tzinfo=UTC), name="w1")
    assert [f.workspace_id for f in fired] == [ws] and fired[0].outcome == f"run #{fired[0].run_id} succeeded"
    runs = _runs(workspace)
    assert runs["trigger"].to_list() == ["schedule"] and runs["status"].to_list() == ["succeeded"]
    assert tick(engine, settings, datetime(2026, 12, 4, 10, 29, tzinfo=UTC), name="w1") == []
    with session_scope(engine) as session:
        row = get_schedule(session, ws)
        assert row.next_due_at == datetime(2026, 12, 4, 10, 30, tzinfo=UTC)
        assert row.last_outcome.endswith("succeeded")
        worker = latest_worker(session)
    assert worker.name == "w1" and worker_alive(worker, datetime(2026, 12, 4, 10, 30, tzinfo=UTC))
    assert not worker_alive(worker, datetime(2026, 12, 4, 10, 40, tzinfo=UTC))


def test_a_slot_that_comes_while_a_sync_runs_is_skipped_not_doubled(workspace):
    settings, engine, ws, _ = workspace
    _every_15(workspace)
    running = start_run(engine, ws, trigger="app", dry_run=False)
    fired = tick(engine, settings, datetime(2026, 12, 4, 10, 15, tzinfo=UTC))
    assert (
        fired[0].run_id is None and f"run #{running.id}" in fired[0].outcome and fired[0].outcome.startswith("skipped")
    )
    assert _runs(workspace)["id"].to_list() == [running.id]  # no second run was recorded
    finish_run(engine, running.id, status="succeeded")
    # The skipped slot is not replayed; the next one fires normally.
    assert tick(engine, settings, datetime(2026, 12, 4, 10, 20, tzinfo=UTC)) == []
    assert tick(engine, settings, datetime(2026, 12, 4, 10, 30, tzinfo=UTC))[0].outcome.endswith("succeeded")


def test_slots_missed_while_the_worker_was_down_run_once_on_start(workspace):
    settings, engine, ws, _ = workspace
    _every_15(workspace)
    later = T0 + timedelta(hours=3, minutes=1)  # twelve slots missed
    assert len(tick(engine, settings, later)) == 1
    assert len(tick(engine, settings, later + timedelta(seconds=30))) == 0
    assert _runs(workspace).height == 1
    with session_scope(engine) as session:
        assert get_schedule(session, ws).next_due_at == datetime(2026, 12, 4, 13, 15, tzinfo=UTC)


def test_schedules_are_validated_and_daily_follows_the_local_time_zone():
    with pytest.raises(ValidationError, match="at least 5"):
        schedule("interval", every_minutes=4)
    with pytest.raises(ValidationError, match="25:00"):
        schedule("daily", daily_at="25:00")
    with pytest.raises(ValidationError, match="Mars/Olympus"):
        schedule("daily", daily_at="06:30", timezone="Mars/Olympus")
    berlin = schedule("daily", daily_at="6:30", timezone="Europe/Berlin")
    assert berlin.describe() == "daily at 06:30 (Europe/Berlin)"
    assert next_due(berlin, datetime(2026, 12, 4, 10, 0, tzinfo=UTC)) == datetime(2026, 12, 5, 5, 30, tzinfo=UTC)  # CET
    assert next_due(berlin, datetime(2026, 7, 4, 10, 0, tzinfo=UTC)) == datetime(2026, 7, 5, 4, 30, tzinfo=UTC)  # CEST
    assert next_due(schedule("hourly"), datetime(2026, 12, 4, 10, 0, tzinfo=UTC)) == datetime(
        2026, 12, 4, 11, 0, tzinfo=UTC
    )
    assert next_due(schedule("off"), T0) is None


def _edit(folder, name, id_column, changes: dict[str, tuple[str, str]]):
    """Change one column of some records in the export file, as a CRM edit would (modification time bumped)."""
    path = folder / f"{name}.csv"
    frame = pl.read_csv(path, infer_schema_length=0)
    for record_id, (column, value) in changes.items():
        edited = pl.col(id_column) == record_id
        frame = frame.with_columns(
            pl.when(edited).then(pl.lit(value)).otherwise(pl.col(column)).alias(column),
            pl.when(edited)
            .then(pl.lit("2026-12-01T09:00:00.000+0000"))
            .otherwise(pl.col("LastModifiedDate"))
            .alias("LastModifiedDate"),
        )
    frame.write_csv(path)


def test_sync_now_for_one_object_touches_only_that_object(workspace):
    settings, engine, ws, folder = workspace
    run_sync(engine, settings, ws, trigger="test", access=system_access("t"))
    opportunity = read_workspace_table(engine, "opportunities", ws)["source_id"][0]
    movement = read_workspace_table(engine, "arr_movements", ws).filter(pl.col("arr_delta") > 0)["source_id"][0]
    _edit(folder, "opportunities", "Id", {opportunity: ("Amount", "123456.0")})
    _edit(folder, "arr_movements", "Id", {movement: ("ARRChange", "999.0")})
    summary = run_sync(
        engine, settings, ws, trigger="test", access=system_access("t"), scope=SyncScope(object_name="opportunities")
    )
    assert set(summary.domains) == {Domain.PIPELINE} and summary.domains[Domain.PIPELINE].changed == 1
    opportunities = read_workspace_table(engine, "opportunities", ws)
    assert opportunities.filter(pl.col("source_id") == opportunity)["amount"].item() == 123456.0
    movements = read_workspace_table(engine, "arr_movements", ws)
    assert movements.filter(pl.col("source_id") == movement)["arr_delta"].item() != 999.0  # not read, not changed
    assert _runs(workspace)["scope"].to_list() == [None, "object opportunities"]
    # Everything else of the workspace, quarantine included, is as the first run left it.
    assert (
        read_workspace_table(engine, "quarantine", ws)
        .filter(pl.col("domain") == "arr_actuals")["released_run_id"]
        .is_null()
        .all()
    )
    with pytest.raises(ValidationError, match="Nothing routed matches object Contract"):
        run_sync(
            engine, settings, ws, trigger="test", access=system_access("t"), scope=SyncScope(object_name="Contract")
        )


def test_sync_now_for_one_account_re_reads_only_that_accounts_records(workspace):
    settings, engine, ws, folder = workspace
    run_sync(engine, settings, ws, trigger="test", access=system_access("t"))
    opportunities = read_workspace_table(engine, "opportunities", ws)
    by_account = opportunities.group_by("account_id").agg(pl.col("source_id").first()).sort("account_id")
    (target, target_opp), (_other, other_opp) = by_account.row(0), by_account.row(1)
    _edit(folder, "opportunities", "Id", {target_opp: ("Amount", "4242.0"), other_opp: ("Amount", "4343.0")})
    summary = run_sync(
        engine, settings, ws, trigger="test", access=system_access("t"), scope=SyncScope(account_id=target)
    )
    assert summary.domains[Domain.PIPELINE].changed == 1 and summary.domains[Domain.PIPELINE].added == 0
    after = read_workspace_table(engine, "opportunities", ws)
    assert after.filter(pl.col("source_id") == target_opp)["amount"].item() == 4242.0
    assert after.filter(pl.col("source_id") == other_opp)["amount"].item() != 4343.0
    assert after.height == opportunities.height
    quarantine = read_workspace_table(engine, "quarantine", ws)
    assert quarantine["released_run_id"].is_null().all()  # an account run leaves the quarantine alone


def test_each_run_records_the_lag_from_crm_change_to_landing(workspace):
    settings, engine, ws, _ = workspace
    run_sync(engine, settings, ws, trigger="test", access=system_access("t"))
    run = _runs(workspace).row(0, named=True)
    opportunities = read_workspace_table(engine, "opportunities", ws)
    oldest = opportunities["source_modified_at"].min()
    assert 0 < run["lag_median_seconds"] <= run["lag_max_seconds"]
    assert run["lag_max_seconds"] >= (run["finished_at"] - oldest).total_seconds() - 5


def test_the_worker_closes_a_run_whose_process_died_and_alerts_even_with_nothing_due(workspace):
    import socket
    import subprocess
    import sys
    import time

    from storage.alerts import list_alerts
    from storage.sync_runs import get_run
    from storage.tables import SyncRun

    settings, engine, ws, _ = workspace
    dead_pid = int(subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True).stdout)
    running = start_run(engine, ws, trigger="app", dry_run=False)
    with session_scope(engine) as session:  # as if a process that has since been killed had started it
        row = session.get(SyncRun, running.id)
        row.owner = f"{socket.gethostname()}:{dead_pid}"
        session.add(row)
    assert tick(engine, settings, datetime(2026, 12, 4, 10, 15, tzinfo=UTC)) == []  # no schedule is due
    assert get_run(engine, running.id).status == "abandoned"
    deadline = time.monotonic() + 5
    rules: list[str] = []
    while not rules and time.monotonic() < deadline:
        with session_scope(engine) as session:
            rules = [a.rule for a in list_alerts(session, ws) if a.run_id == running.id]
        time.sleep(0.05)
    assert rules == ["run_failed"]
