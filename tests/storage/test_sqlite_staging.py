"""Big SQLite inserts go through an Arrow scratch file and one INSERT … SELECT: the stored rows must be
exactly what executemany stores, a failure must roll back with the rest of the run, and no scratch file
may outlive the transaction."""

from pathlib import Path

import polars as pl
import pytest
from sqlalchemy import text

from domain.config import load_settings
from domain.roles import system_access
from services.sync import run_sync
from storage import sqlite_staging
from storage.frames import read_workspace_table
from tests.conftest import file_workspace


def _install(env, tmp_path: Path, name: str):
    settings = load_settings({**env, "REVENUE_CONNECTOR_DATA": str(tmp_path / name), "REVENUE_CONNECTOR_DEMO": "0"})
    (tmp_path / name).mkdir()
    engine, ws = file_workspace(settings, tmp_path / f"{name}-export")
    return settings, engine, ws


def _by_account_name(install, table: str) -> pl.DataFrame:
    """A canonical table with account IDs (numbered in reconciliation order) replaced by account names."""
    _, engine, ws = install
    names = read_workspace_table(engine, "accounts", ws).select(pl.col("id").alias("account_id"), "name")
    return read_workspace_table(engine, table, ws).join(names, on="account_id", how="left").drop("id", "account_id")


def _scratch_files(settings) -> list[Path]:
    return list(Path(settings.data_dir).glob(".rc-staging-*.db"))


def _types(engine, table: str) -> list[tuple]:
    with engine.connect() as connection:
        return connection.execute(
            text(
                f"SELECT typeof(expected_close), typeof(source_modified_at), typeof(is_deleted), typeof(amount) "
                f"FROM {table} ORDER BY source_id LIMIT 3"
                if table == "opportunity"
                else f"SELECT typeof(effective_date), typeof(source_modified_at), typeof(is_deleted), typeof(arr_delta) "
                f"FROM {table} ORDER BY source_id LIMIT 3"
            )
        ).fetchall()


def test_a_staged_insert_stores_exactly_what_executemany_stores(env, tmp_path, monkeypatch):
    if not sqlite_staging.can_stage("x.db", sqlite_staging.STAGED_FROM_ROWS):
        pytest.skip("adbc-driver-sqlite is not installed")
    monkeypatch.setattr(sqlite_staging, "STAGED_FROM_ROWS", 10**9)
    plain = _install(env, tmp_path, "plain")
    run_sync(plain[1], plain[0], plain[2], trigger="test", access=system_access("t"))
    monkeypatch.setattr(sqlite_staging, "STAGED_FROM_ROWS", 1)
    staged = _install(env, tmp_path, "staged")
    run_sync(staged[1], staged[0], staged[2], trigger="test", access=system_access("t"))
    for table, sql_table in (("opportunities", "opportunity"), ("arr_movements", "arr_movement")):
        expected, got = (_by_account_name(install, table) for install in (plain, staged))
        assert expected.height > 100 and got.sort("source_id").equals(expected.sort("source_id")), table
        assert _types(staged[1], sql_table) == _types(plain[1], sql_table)
    assert _scratch_files(staged[0]) == []


def test_a_failure_after_a_staged_insert_rolls_it_back_and_leaves_no_scratch_file(env, tmp_path, monkeypatch):
    if not sqlite_staging.can_stage("x.db", sqlite_staging.STAGED_FROM_ROWS):
        pytest.skip("adbc-driver-sqlite is not installed")
    monkeypatch.setattr(sqlite_staging, "STAGED_FROM_ROWS", 1)
    settings, engine, ws = _install(env, tmp_path, "staged")
    # Opportunities are staged first; the ARR movements insert then fails, so the whole run must roll back.
    with engine.begin() as connection:
        connection.execute(
            text("CREATE TRIGGER fail_arr BEFORE INSERT ON arr_movement BEGIN SELECT RAISE(ABORT, 'disk full'); END")
        )
    with pytest.raises(Exception, match="disk full"):
        run_sync(engine, settings, ws, trigger="test", access=system_access("t"))
    assert read_workspace_table(engine, "opportunities", ws).is_empty()
    assert _scratch_files(settings) == []
    with engine.begin() as connection:
        connection.execute(text("DROP TRIGGER fail_arr"))
    run_sync(engine, settings, ws, trigger="test", access=system_access("t"))
    assert read_workspace_table(engine, "opportunities", ws).height > 100 and _scratch_files(settings) == []


def test_old_scratch_files_left_by_a_killed_process_are_removed_and_recent_ones_kept(tmp_path):
    import os
    import time

    old, recent = tmp_path / ".rc-staging-old.db", tmp_path / ".rc-staging-new.db"
    old.write_bytes(b"x")
    recent.write_bytes(b"x")
    os.utime(old, (time.time() - 7 * 3600, time.time() - 7 * 3600))
    assert sqlite_staging.remove_leftovers(tmp_path) == 1
    assert not old.exists() and recent.exists()


def test_a_scratch_file_of_a_dead_process_goes_at_once_and_a_live_ones_stays(tmp_path):
    import os
    import subprocess
    import sys

    finished = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True)
    dead_pid = int(finished.stdout)
    dead = tmp_path / f".rc-staging-{dead_pid}-abc.db"
    mine = tmp_path / f".rc-staging-{os.getpid()}-def.db"
    dead.write_bytes(b"x")
    mine.write_bytes(b"x")
    assert sqlite_staging.remove_leftovers(tmp_path) == 1
    assert not dead.exists() and mine.exists()
