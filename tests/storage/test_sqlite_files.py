"""The SQLite file: private to its user, shared by app, worker and CLI without "database is locked"."""

import stat

import pytest
from sqlalchemy import text

from domain.config import load_settings
from services.startup import start
from storage.db import make_engine
from storage.review import DatabaseAnswerCache
from storage.tables import LlmAnswer


@pytest.fixture
def sqlite_settings(tmp_path):
    (tmp_path / "data").mkdir(mode=0o755)
    return load_settings({"REVENUE_CONNECTOR_DATA": str(tmp_path / "data"), "REVENUE_CONNECTOR_DEMO": "0"})


def _mode(path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_the_database_file_is_readable_by_its_owner_only(sqlite_settings, tmp_path):
    engine = start(sqlite_settings)
    database = tmp_path / "data" / "revenue.db"
    assert _mode(database) == 0o600
    assert all(_mode(p) == 0o600 for p in (tmp_path / "data").glob("revenue.db*"))
    engine.dispose()


def test_an_existing_world_readable_database_is_made_private(sqlite_settings, tmp_path):
    start(sqlite_settings).dispose()
    database = tmp_path / "data" / "revenue.db"
    database.chmod(0o644)
    start(sqlite_settings).dispose()
    assert _mode(database) == 0o600


def test_the_default_data_folder_is_created_private(tmp_path, monkeypatch):
    from domain import config

    monkeypatch.setattr(config, "DEFAULT_DATA_DIR", tmp_path / "default-data")
    settings = config.load_settings({"REVENUE_CONNECTOR_DEMO": "0"})
    config.ensure_data_dir(settings)
    assert _mode(tmp_path / "default-data") == 0o700


def test_sqlite_runs_in_wal_mode(sqlite_settings, tmp_path):
    engine = start(sqlite_settings)
    with engine.connect() as connection:
        assert connection.execute(text("PRAGMA journal_mode")).scalar() == "wal"
    engine.dispose()


def test_a_busy_database_never_aborts_the_llm_cache(sqlite_settings):
    engine = start(sqlite_settings)
    cache = DatabaseAnswerCache(engine)
    other = make_engine(str(engine.url))
    with other.connect() as writer:  # another writer holds the lock, as a suggestion run's own session does
        writer.exec_driver_sql("BEGIN IMMEDIATE")
        writer.execute(
            text("INSERT INTO llm_answer (key, model, answer, created_at) VALUES ('other', 'm', 'x', '2026-01-01')")
        )
        cache.put("k1", "model", "answer one")  # waits a moment, keeps the answer in memory
        assert cache.get("k1") == "answer one"
        writer.exec_driver_sql("COMMIT")
    cache.put("k2", "model", "answer two")  # the database is free again: both land
    from sqlmodel import Session

    with Session(engine) as session:
        assert session.get(LlmAnswer, "k1").answer == "answer one"
        assert session.get(LlmAnswer, "k2").answer == "answer two"
    other.dispose()
    engine.dispose()
