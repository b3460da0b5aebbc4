"""Engine, sessions and schema versioning. The only module that knows how to reach the database.

Opening a database never changes an existing one without being asked: a fresh database is created
at the current schema, an older one raises SchemaOutdated until `upgrade()` runs (SQLite files are
copied aside first), and one written by a newer release is refused.
"""

from __future__ import annotations

import logging
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TypeVar

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Engine, create_engine, event, inspect
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError, DatabaseError, OperationalError, SQLAlchemyError
from sqlmodel import Session, SQLModel

from domain.config import Settings, ensure_data_dir
from domain.errors import NotFound, SchemaOutdated, SchemaTooNew, StorageUnavailable, UnknownDatabase
from storage import sqlite_staging
from storage.tables import utcnow

log = logging.getLogger(__name__)
RowT = TypeVar("RowT", bound=SQLModel)

MIGRATIONS_DIR = Path(__file__).parent / "migrations"


SQLITE_BUSY_SECONDS = 30  # how long a SQLite connection waits for another writer before "database is locked"


def make_engine(url: str) -> Engine:
    """An engine for any SQLAlchemy URL; SQLite gets foreign keys and a busy timeout."""
    if url.startswith("sqlite"):
        engine = create_engine(url, connect_args={"check_same_thread": False, "timeout": SQLITE_BUSY_SECONDS})

        @event.listens_for(engine, "connect")
        def _sqlite_pragmas(dbapi_connection, _record) -> None:  # pragma: no cover - trivial
            cursor = dbapi_connection.cursor()
            cursor.execute("PRAGMA foreign_keys=ON")
            # WAL: readers (pages, exports) never wait for the writer and the writer never waits for them; with
            # the busy timeout above, the app, the worker and the CLI share one file without "database is locked".
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.close()

        @event.listens_for(engine, "checkin")
        def _release_staging(dbapi_connection, _record) -> None:
            # Back in the pool the transaction is over, so a bulk insert's scratch file can go.
            sqlite_staging.release_staging(dbapi_connection)

        database = engine.url.database
        if database and database != ":memory:":
            _private_file(Path(database))
            sqlite_staging.remove_leftovers(Path(database).resolve().parent)
        return engine
    return create_engine(url, pool_pre_ping=True)


@contextmanager
def session_scope(engine: Engine) -> Iterator[Session]:
    """A session that commits on success and rolls back on any error."""
    with Session(engine, expire_on_commit=False) as session:
        try:
            yield session
            session.commit()
        except BaseException:
            session.rollback()
            raise


def _alembic_config(engine: Engine) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    config.attributes["engine"] = engine
    return config


def head_revision() -> str:
    """The schema version this release of the code needs."""
    script = ScriptDirectory(str(MIGRATIONS_DIR))
    head = script.get_current_head()
    assert head is not None, "storage/migrations has no revision"
    return head


def known_revisions() -> set[str]:
    script = ScriptDirectory(str(MIGRATIONS_DIR))
    return {rev.revision for rev in script.walk_revisions()}


@dataclass(frozen=True)
class SchemaStatus:
    """Where a database stands against this release's schema."""

    current: str | None
    head: str
    has_tables: bool

    @property
    def is_empty(self) -> bool:
        return self.current is None and not self.has_tables

    @property
    def up_to_date(self) -> bool:
        return self.current == self.head


def _sqlite_path(url: str) -> Path | None:
    parsed = make_url(url)
    if parsed.get_backend_name() != "sqlite" or not parsed.database or parsed.database == ":memory:":
        return None
    return Path(parsed.database)


def _unavailable(settings: Settings, exc: Exception) -> StorageUnavailable:
    shown = display_database_url(settings.database_url)
    path = _sqlite_path(settings.database_url)
    original = getattr(exc, "orig", exc)
    if path is not None and isinstance(exc, DatabaseError) and "not a database" in str(original):
        return StorageUnavailable(
            f"The database file {path} is damaged or is not a SQLite database.",
            hint="It was left untouched. Restore it from a backup, or point DATABASE_URL at another database.",
        )
    return StorageUnavailable(
        f"Cannot open the database at {shown}: {str(original).strip().splitlines()[0]}",
        hint="Check that the server is running and DATABASE_URL is right. No data was changed.",
    )


def schema_status(engine: Engine) -> SchemaStatus:
    """Read the stored schema version without changing anything."""
    with engine.connect() as connection:
        current = MigrationContext.configure(connection).get_current_revision()
        tables = set(inspect(connection).get_table_names()) - {"alembic_version"}
    return SchemaStatus(current=current, head=head_revision(), has_tables=bool(tables))


def _private_file(path: Path) -> None:
    """The database file (and its WAL companions) readable by this user only: it holds customer data."""
    if not path.parent.is_dir():
        return
    path.touch(mode=0o600, exist_ok=True)
    for companion in (path, path.with_name(path.name + "-wal"), path.with_name(path.name + "-shm")):
        if companion.exists() and companion.stat().st_mode & 0o077:
            companion.chmod(0o600)


def open_database(settings: Settings) -> Engine:
    """Connect, create a fresh schema if the database is empty, and refuse any other mismatch."""
    path = _sqlite_path(settings.database_url)
    if path is not None and path.parent == settings.data_dir:
        ensure_data_dir(settings)
    engine = make_engine(settings.database_url)
    try:
        status = schema_status(engine)
    except SQLAlchemyError as exc:
        engine.dispose()
        unavailable = _unavailable(settings, exc)
        log.error("database unavailable: %s", unavailable)
        raise unavailable from exc
    if status.is_empty:
        log.info("creating schema %s in %s", status.head, display_database_url(settings.database_url))
        command.upgrade(_alembic_config(engine), "head")
        return engine
    if status.up_to_date:
        return engine
    engine.dispose()
    if status.current is None:
        error: Exception = UnknownDatabase(
            f"The database at {display_database_url(settings.database_url)} has tables but no "
            "Revenue Connector schema version.",
            hint="Point DATABASE_URL at an empty database or at one this app created. Nothing was changed.",
        )
    elif status.current not in known_revisions():
        error = SchemaTooNew(
            f"The database is at schema version {status.current}, written by a newer release of Revenue Connector.",
            hint="Upgrade this installation; this release will not touch that database.",
        )
    else:
        error = SchemaOutdated(
            f"The database is at schema version {status.current}; this release needs {status.head}.",
            current=status.current,
            required=status.head,
            hint="Run `python -m core db upgrade` or press Upgrade. SQLite files are backed up first; no data is removed.",
        )
    log.error("%s", error)
    raise error


def upgrade(settings: Settings, target: str = "head") -> Path | None:
    """Migrate the database to `target`, copying a SQLite file aside first. Returns the backup path."""
    backup: Path | None = None
    path = _sqlite_path(settings.database_url)
    engine = make_engine(settings.database_url)
    try:
        status = schema_status(engine)
        if status.current is not None and status.current not in known_revisions():
            raise SchemaTooNew(f"The database is at schema version {status.current}, newer than this release.")
        if path is not None and path.exists() and not status.up_to_date and not status.is_empty:
            backup = path.with_name(f"{path.name}.{status.current}.{utcnow():%Y%m%d%H%M%S}.bak")
            shutil.copy2(path, backup)
            backup.chmod(0o600)
            log.info("backed up %s to %s before upgrading", path, backup)
        command.upgrade(_alembic_config(engine), target)
    except OperationalError as exc:
        raise _unavailable(settings, exc) from exc
    finally:
        engine.dispose()
    return backup


def display_database_url(url: str) -> str:
    """The database URL with any password hidden, for pages and logs."""
    try:
        return make_url(url).render_as_string(hide_password=True)
    except ArgumentError as exc:
        raise StorageUnavailable(f"DATABASE_URL is not a valid database URL ({exc}).") from exc


def fetch(session: Session, model: type[RowT], key: int) -> RowT:
    """The stored row of `model` with this key; NotFound (with what to do) when it is gone meanwhile."""
    row = session.get(model, key)
    if row is None:
        raise NotFound(f"{model.__name__} #{key} no longer exists; reload the page.")
    return row
