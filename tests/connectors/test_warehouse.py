"""Warehouse source: named SQL queries against a SQLAlchemy URL (SQLite here, any dialect in use)."""

import polars as pl
import pytest
from sqlalchemy import create_engine, text

from connectors.warehouse import WarehouseSource
from domain.errors import CredentialsError, SourceUnavailable


@pytest.fixture
def warehouse_url(tmp_path):
    url = f"sqlite:///{tmp_path / 'warehouse.db'}"
    with create_engine(url).begin() as connection:
        connection.execute(
            text("CREATE TABLE arr_events (id TEXT, account TEXT, delta NUMERIC, kind TEXT, updated_at TEXT)")
        )
        connection.execute(
            text(
                "INSERT INTO arr_events VALUES ('e1','001A',1200.50,'Upsell','2026-10-01T00:00:00Z'),"
                "('e2','001B',-300,'Churn','2026-10-02T00:00:00Z')"
            )
        )
    return url


def test_reads_a_named_query_as_text_with_source_columns(warehouse_url):
    source = WarehouseSource(
        {"queries": {"arr_movements": "SELECT * FROM arr_events;"}},
        {"database_url": warehouse_url},
        source_key="warehouse",
    )
    check = source.test_connection()
    assert check.ok and check.details == ("arr_movements: 2 rows",)
    frame = source.read("arr_movements")
    assert frame["source_id"].to_list() == ["e1", "e2"] and frame["delta"].to_list() == ["1200.5", "-300.0"]
    assert frame["source_modified_at"].dtype == pl.Datetime("us", "UTC") and not frame["is_deleted"].any()


def test_a_failing_query_is_named(warehouse_url):
    source = WarehouseSource(
        {"queries": {"arr": "SELECT nope FROM missing_table"}}, {"database_url": warehouse_url}, source_key="w"
    )
    check = source.test_connection()
    assert not check.ok and "query 'arr' failed" in check.headline
    with pytest.raises(SourceUnavailable, match="missing_table"):
        source.read("arr")


def test_a_missing_url_is_a_credential_problem():
    with pytest.raises(CredentialsError, match="no database URL"):
        WarehouseSource({"queries": {}}, {}, source_key="w")
