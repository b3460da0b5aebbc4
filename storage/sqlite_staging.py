"""Fast bulk inserts into SQLite: rows go to a scratch file through ADBC (Arrow, no Python row tuples), and
one `INSERT … SELECT` copies them into the real table inside the caller's transaction.

The copy is part of the sync's transaction, so a failure still rolls everything back; the scratch file is
only a staging area. SQLite cannot DETACH a database while a transaction is open, so the scratch database
stays attached until the connection goes back to the pool, where `release_staging` detaches and deletes it.
Without the ADBC driver, for an in-memory database or a small frame, the caller's executemany path is used.
"""

from __future__ import annotations

import logging
import os
import tempfile
import time
import uuid
from pathlib import Path
from types import ModuleType

import polars as pl

from storage.processes import process_alive

log = logging.getLogger(__name__)

STAGED_FROM_ROWS = 20_000  # below this, executemany is as fast and needs no scratch file
_ALIAS_PREFIX = "rc_staging_"

_adbc: ModuleType | None
try:  # an optional speed-up: the product works without it
    import adbc_driver_sqlite.dbapi as _adbc
except ImportError:  # pragma: no cover - exercised only where the driver is missing
    _adbc = None


def can_stage(database: str | None, rows: int) -> bool:
    """Whether a staged insert applies: the driver is there, the database is a file, the frame is big."""
    return _adbc is not None and bool(database) and database != ":memory:" and rows >= STAGED_FROM_ROWS


def staged_insert(dbapi_connection, database: str, table: str, frame: pl.DataFrame) -> None:
    """Insert `frame` (already formatted as SQLite stores it) into `table` through a scratch file."""
    folder = Path(database).resolve().parent
    # The process ID in the name tells a later process whether the owner is still alive (remove_leftovers).
    handle, scratch = tempfile.mkstemp(prefix=f".rc-staging-{os.getpid()}-", suffix=".db", dir=folder)
    os.close(handle)
    os.unlink(scratch)  # ADBC creates the database itself
    assert _adbc is not None, "callers check can_stage() first"
    try:
        with _adbc.connect(scratch) as adbc:
            with adbc.cursor() as cursor:
                cursor.adbc_ingest("staging", frame.to_arrow(), mode="create")
            adbc.commit()
    except Exception:
        Path(scratch).unlink(missing_ok=True)
        raise
    alias = f"{_ALIAS_PREFIX}{uuid.uuid4().hex[:12]}"
    dbapi_connection.execute(f"ATTACH DATABASE ? AS {alias}", (scratch,))
    columns = ", ".join(f'"{c}"' for c in frame.columns)
    dbapi_connection.execute(f'INSERT INTO "{table}" ({columns}) SELECT {columns} FROM {alias}.staging')


def release_staging(dbapi_connection) -> None:
    """Detach and delete every scratch database on a connection that is no longer in a transaction."""
    try:
        attached = dbapi_connection.execute("PRAGMA database_list").fetchall()
    except Exception:  # noqa: BLE001 - a closed or broken connection has nothing to release
        return
    for _seq, name, path in attached:
        if not name.startswith(_ALIAS_PREFIX):
            continue
        try:
            dbapi_connection.execute(f"DETACH DATABASE {name}")
        except Exception as exc:  # noqa: BLE001 - still in a transaction: the next check-in retries
            log.debug("scratch database %s not detached yet: %s", name, exc)
            continue
        if path:
            Path(path).unlink(missing_ok=True)


def remove_leftovers(folder: Path, *, older_than_seconds: float = 6 * 3600) -> int:
    """Delete scratch files a killed process left next to the database; returns how many.

    A file whose owning process (named in the file) is gone goes at once; one with no owner in its name only
    once it is old, since a file a few hours old cannot belong to a sync still running in another process.
    """
    removed = 0
    cutoff = time.time() - older_than_seconds
    for path in folder.glob(".rc-staging-*.db"):
        owner = _owner(path)
        try:
            if (owner is not None and not process_alive(owner)) or (owner is None and path.stat().st_mtime < cutoff):
                path.unlink()
                removed += 1
        except OSError:
            continue
    return removed


def _owner(path: Path) -> int | None:
    pid = path.name.removeprefix(".rc-staging-").split("-", 1)[0]
    return int(pid) if pid.isdigit() else None
