"""Schema versioning and bad databases, on SQLite and PostgreSQL."""

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import text
from sqlmodel import SQLModel

from domain.config import load_settings
from domain.errors import SchemaOutdated, SchemaTooNew, StorageUnavailable, UnknownDatabase
from services.startup import start
from storage import tables  # noqa: F401
from storage.db import _alembic_config, head_revision, make_engine, open_database, schema_status, upgrade


def test_fresh_database_is_created_at_the_current_schema(settings):
    engine = open_database(settings)
    status = schema_status(engine)
    assert status.current == head_revision() and status.up_to_date


def test_migrations_match_the_table_definitions(settings):
    engine = open_database(settings)
    with engine.connect() as connection:
        diff = compare_metadata(MigrationContext.configure(connection), SQLModel.metadata)
    assert diff == [], "tables changed without a migration in storage/migrations/versions"


def test_older_schema_is_refused_until_upgraded_and_keeps_its_data(settings):
    engine = make_engine(settings.database_url)
    command.upgrade(_alembic_config(engine), "0001")
    with engine.begin() as connection:
        connection.execute(
            text(
                "INSERT INTO workspace (name, is_demo, reporting_currency, created_at) "
                "VALUES ('Acme FP&A', false, 'EUR', CURRENT_TIMESTAMP)"
            )
        )
    engine.dispose()

    with pytest.raises(SchemaOutdated) as refused:
        open_database(settings)
    assert refused.value.current == "0001" and refused.value.required == head_revision()
    assert "python -m core db upgrade" in refused.value.hint

    backup = upgrade(settings)
    if settings.uses_sqlite:
        assert backup is not None and backup.exists()
    engine = open_database(settings)
    with engine.connect() as connection:
        assert connection.execute(text("SELECT name, reporting_currency FROM workspace")).all() == [
            ("Acme FP&A", "EUR")
        ]
        assert connection.execute(text("SELECT count(*) FROM source_cursor")).scalar_one() == 0


def test_a_database_from_a_newer_release_is_not_touched(settings):
    open_database(settings).dispose()
    engine = make_engine(settings.database_url)
    with engine.begin() as connection:
        connection.execute(text("UPDATE alembic_version SET version_num = '9999'"))
    with pytest.raises(SchemaTooNew):
        open_database(settings)
    with pytest.raises(SchemaTooNew):
        upgrade(settings)
    with engine.connect() as connection:
        assert connection.execute(text("SELECT version_num FROM alembic_version")).scalar_one() == "9999"


def test_foreign_tables_without_a_version_are_refused(settings):
    engine = make_engine(settings.database_url)
    with engine.begin() as connection:
        connection.execute(text("CREATE TABLE invoices (id integer primary key, total numeric)"))
        connection.execute(text("INSERT INTO invoices VALUES (1, 99.5)"))
    with pytest.raises(UnknownDatabase, match="no Revenue Connector schema version"):
        open_database(settings)
    with engine.connect() as connection:
        assert connection.execute(text("SELECT count(*) FROM invoices")).scalar_one() == 1


def test_a_damaged_sqlite_file_is_reported_and_left_as_it_was(env):
    settings = load_settings(env)
    start(settings).dispose()
    db_file = settings.data_dir / "revenue.db"
    db_file.write_bytes(b"this is not a database" * 100)
    before = db_file.read_bytes()
    with pytest.raises(StorageUnavailable, match="damaged or is not a SQLite database"):
        start(settings)
    assert db_file.read_bytes() == before


def test_an_unreachable_server_names_the_host_and_hides_the_password(env):
    settings = load_settings({**env, "DATABASE_URL": "postgresql+psycopg://finance:s3cret@127.0.0.1:9/revenue"})
    with pytest.raises(StorageUnavailable) as error:
        start(settings)
    assert "127.0.0.1:9" in str(error.value) and "s3cret" not in str(error.value)


def test_start_creates_the_demo_once_and_reopens_cleanly(settings):
    from storage.connections import list_connections
    from storage.db import session_scope
    from storage.mappings import latest_mapping
    from storage.workspaces import list_workspaces

    for _ in range(2):
        engine = start(settings)
        with session_scope(engine) as session:
            # The walk-through demo, and the one whose ARR comes from contracts (routed and mapped, steps 1-3).
            assert [w.name for w in list_workspaces(session)] == ["Demo", "Demo · ARR from contracts"]
    with session_scope(engine) as session:
        (connection,) = list_connections(session, 1)
        (contracts,) = list_connections(session, 2)
        mapping = latest_mapping(session, 2)
    assert connection.kind == "salesforce" and connection.last_test_ok
    assert "Connected to Demo Revenue Inc." in connection.last_test_message
    assert contracts.last_test_ok and mapping is not None
    assert [(o.object_name, o.arr_from) for o in mapping[1].objects] == [
        ("Opportunity", "movements"),
        ("Contract", "contracts"),
    ]
    assert connection.secrets_encrypted and "TOKEN" not in connection.secrets_encrypted + connection.settings_json


def test_no_demo_when_switched_off(env):
    from storage.db import session_scope
    from storage.workspaces import list_workspaces

    engine = start(load_settings({**env, "REVENUE_CONNECTOR_DEMO": "0"}))
    with session_scope(engine) as session:
        assert list_workspaces(session) == []
