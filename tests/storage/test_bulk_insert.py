"""A bulk insert stores every value exactly as given, on SQLite and PostgreSQL (where it goes through COPY of CSV):
text that CSV has to quote, empty text apart from no text, non-Latin names, the longest name a column holds, a
float's last digit, dates, and timestamps from another time zone kept as the same instant."""

from datetime import UTC, date, datetime, timedelta, timezone

import polars as pl
import pytest
from sqlalchemy import text

from domain.canonical import Domain
from storage import bulk_insert as bulk_insert_module
from storage.bulk_insert import bulk_insert
from storage.canonical_rows import CanonicalRows
from storage.db import open_database, session_scope
from storage.tables import Opportunity, table_of
from storage.workspaces import create_workspace

NAMES = [
    'Müller "Premium", GmbH',
    "line one\nline two\r\nthree",
    "",
    None,
    r"\N",
    "  padded  ",
    "株式会社テスト 北京分公司",
    "x" * 255,
    "back\\slash, ;tab\there",
    "NULL",
]
TOKYO = timezone(timedelta(hours=9))


def _opportunities(workspace_id: int) -> pl.DataFrame:
    n = len(NAMES)
    return pl.DataFrame(
        {
            "workspace_id": [workspace_id] * n,
            "source": ["salesforce"] * n,
            "source_object": ["Opportunity"] * n,
            "source_id": [f"006{i:015d}" for i in range(n)],
            "name": NAMES,
            "stage": ["Proposal"] * n,
            "weight": [0.1 + 0.2, 1 / 3, 0.0, None, 1.0, 0.6, 0.123456789012345, 0.5, 0.25, 0.75],
            "amount": [1234.56, None, 0.001, -5.0, 999_999_999_999.999, 1.0, 2.0, 3.0, 4.0, 5.0],
            "currency": ["EUR"] * n,
            "expected_close": [date(2026, 12, 31), None] + [date(1999, 1, 1)] * (n - 2),
            "is_deleted": [False] * n,
            # 09:30 in Tokyo is 00:30 UTC the same day
            "source_modified_at": pl.Series(
                [datetime(2026, 3, 1, 9, 30, 15, 123456, tzinfo=TOKYO)] * (n - 1) + [None]
            ).dt.convert_time_zone("Asia/Tokyo"),
        }
    )


@pytest.fixture
def engine(settings):
    engine = open_database(settings)
    if engine.dialect.name == "postgresql":
        # A server set to another time zone than UTC must still store the same instants.
        with engine.begin() as connection:
            connection.execute(text(f"ALTER DATABASE {engine.url.database} SET timezone TO 'America/Sao_Paulo'"))
        engine.dispose()
    yield engine
    engine.dispose()


@pytest.mark.parametrize("slice_rows", [100_000, 3])
def test_every_value_comes_back_exactly_as_it_was_given(engine, monkeypatch, slice_rows):
    monkeypatch.setattr(bulk_insert_module, "COPY_SLICE_ROWS", slice_rows)  # several COPY chunks join up exactly
    with session_scope(engine) as session:
        workspace_id = create_workspace(session, "Acme", actor="t").id
        given = _opportunities(workspace_id)
        bulk_insert(session, table_of(Opportunity), given)
    with session_scope(engine) as session:
        back = CanonicalRows(session).stored(workspace_id, Domain.PIPELINE).sort("source_id")
    assert back["name"].to_list() == NAMES
    assert back["weight"].to_list() == given["weight"].to_list()
    assert back["amount"].to_list() == given["amount"].to_list()
    assert back["expected_close"].to_list() == given["expected_close"].to_list()
    instants = back["source_modified_at"].dt.convert_time_zone("UTC").to_list()
    assert instants == [datetime(2026, 3, 1, 0, 30, 15, 123456, tzinfo=UTC)] * (len(NAMES) - 1) + [None]
