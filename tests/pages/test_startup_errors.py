"""What a user sees when the database is older, damaged or unreachable: a message, never a traceback."""

from alembic import command
from streamlit.testing.v1 import AppTest

from domain.config import load_settings
from storage.db import _alembic_config, head_revision, make_engine, schema_status
from tests.pages.conftest import APP


def test_an_older_database_offers_an_upgrade_that_keeps_the_data(env):
    settings = load_settings(env)
    engine = make_engine(settings.database_url)
    command.upgrade(_alembic_config(engine), "0001")
    engine.dispose()

    at = AppTest.from_file(str(APP), default_timeout=60).run()
    assert not at.exception
    assert "schema version 0001" in at.error[0].value
    at.button(key="startup_upgrade").click().run()
    assert not at.exception
    assert any("Database upgraded" in s.value for s in at.success)
    assert at.title[0].value == "1 · Connect"
    engine = make_engine(settings.database_url)
    assert schema_status(engine).current == head_revision()
    assert list(settings.data_dir.glob("revenue.db.0001.*.bak"))


def test_a_damaged_database_file_is_explained(env):
    settings = load_settings(env)
    settings.data_dir.joinpath("revenue.db").write_bytes(b"garbage" * 500)
    at = AppTest.from_file(str(APP), default_timeout=60).run()
    assert not at.exception
    assert "damaged or is not a SQLite database" in at.error[0].value
    assert any("has not been changed" in c.value for c in at.caption)


def test_an_unreachable_database_server_is_explained(monkeypatch):
    monkeypatch.setenv("DATABASE_URL", "postgresql+psycopg://finance:s3cret@127.0.0.1:9/revenue")
    at = AppTest.from_file(str(APP), default_timeout=60).run()
    assert not at.exception
    assert "Cannot open the database at" in at.error[0].value and "s3cret" not in at.error[0].value


def test_a_missing_data_folder_is_explained_and_not_created(monkeypatch, tmp_path):
    missing = tmp_path / "mounted-disk" / "revenue"
    monkeypatch.setenv("REVENUE_CONNECTOR_DATA", str(missing))
    at = AppTest.from_file(str(APP), default_timeout=60).run()
    assert not at.exception
    assert f"The data folder {missing} does not exist." in at.error[0].value
    assert not missing.exists()
