"""The database's own fastest bulk write, as a benchmark baseline: how long the canonical rows a sync stored take to
write through ADBC (SQLite) or COPY (PostgreSQL) into a scratch table with the same unique key. The sync's write
phase against this separates our overhead from the database's."""

from __future__ import annotations

import io
import os
import time
from collections.abc import Iterator
from contextlib import contextmanager

import polars as pl
from sqlalchemy import Engine, select
from sqlmodel import SQLModel

from storage.tables import ArrMovement, Opportunity, table_of

CANONICAL: dict[str, type[SQLModel]] = {"opportunity": Opportunity, "arr_movement": ArrMovement}


def stored_canonical_rows(engine: Engine, workspace_id: int) -> dict[str, pl.DataFrame]:
    """The canonical tables of a workspace as stored (money in thousandths), without the generated id."""
    frames = {}
    with engine.connect() as connection:
        for name, model in CANONICAL.items():
            table = table_of(model)
            columns = [c for c in table.columns if c.name != "id"]
            frames[name] = pl.read_database(
                select(*columns).where(table.c.workspace_id == workspace_id), connection, infer_schema_length=None
            )
    return frames


def native_write_seconds(engine: Engine, frames: dict[str, pl.DataFrame]) -> float:
    """Seconds to write `frames` (table name -> rows) through the database's bulk path into scratch copies of the
    tables (same columns and unique key), in one transaction; the scratch tables are dropped afterwards."""
    if engine.dialect.name == "postgresql":
        return _copy_postgresql(engine, frames)
    if engine.dialect.name == "sqlite":
        return _adbc_sqlite(engine, frames)
    raise ValueError(f"No native bulk baseline for {engine.dialect.name}.")


def _copy_postgresql(engine: Engine, frames: dict[str, pl.DataFrame]) -> float:
    raw = engine.raw_connection()
    try:
        cursor = raw.cursor()
        for name in frames:
            cursor.execute(f"CREATE TABLE bench_native_{name} (LIKE {name} INCLUDING ALL)")
        raw.commit()
        started = time.perf_counter()
        for name, frame in frames.items():
            buffer = io.BytesIO()
            frame.write_csv(buffer, include_header=False, null_value="")
            columns = ", ".join(frame.columns)
            with cursor.copy(f"COPY bench_native_{name} ({columns}) FROM STDIN WITH (FORMAT csv)") as copy:
                copy.write(buffer.getvalue())
        raw.commit()
        seconds = time.perf_counter() - started
        for name in frames:
            cursor.execute(f"DROP TABLE bench_native_{name}")
        raw.commit()
        return seconds
    finally:
        raw.close()


def _adbc_sqlite(engine: Engine, frames: dict[str, pl.DataFrame]) -> float:
    import adbc_driver_sqlite.dbapi as adbc

    database = engine.url.database
    assert database, "an in-memory database has no baseline to share"
    with adbc.connect(database) as connection:
        cursor = connection.cursor()
        for name, frame in frames.items():
            columns = ", ".join(f'"{c}" {_sqlite_type(t)}' for c, t in frame.schema.items())
            cursor.execute(
                f"CREATE TABLE bench_native_{name} (id INTEGER PRIMARY KEY, {columns}, UNIQUE (workspace_id, source_id))"
            )
        connection.commit()
        started = time.perf_counter()
        for name, frame in frames.items():
            cursor.adbc_ingest(f"bench_native_{name}", frame.to_arrow(), mode="append")
        connection.commit()
        seconds = time.perf_counter() - started
        for name in frames:
            cursor.execute(f"DROP TABLE bench_native_{name}")
        connection.commit()
        cursor.close()
    return seconds


def _sqlite_type(kind: pl.DataType) -> str:
    if kind.is_integer() or kind == pl.Boolean:
        return "INTEGER"
    if kind.is_float():
        return "REAL"
    return "TEXT"


@contextmanager
def scratch_database(url: str) -> Iterator[str]:
    """For a PostgreSQL URL, a new empty database on the same server (dropped afterwards), so a benchmark never
    writes into a database someone uses; any other URL is used as it is."""
    from sqlalchemy import create_engine, text
    from sqlalchemy.engine import make_url

    parsed = make_url(url)
    if parsed.get_backend_name() != "postgresql":
        yield url
        return
    name = f"rc_bench_{os.getpid()}"
    admin = create_engine(parsed.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f"DROP DATABASE IF EXISTS {name}"))
        connection.execute(text(f"CREATE DATABASE {name}"))
    try:
        yield parsed.set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as connection:
            connection.execute(text(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
        admin.dispose()
