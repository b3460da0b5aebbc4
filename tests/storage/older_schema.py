"""A database left at an older schema version with one workspace in it, for tests of what a migration keeps."""

from alembic import command
from alembic.config import Config
from sqlalchemy import Engine, text

from domain.config import Settings
from storage.db import _alembic_config, make_engine


def workspace_at_revision(settings: Settings, revision: str, currency: str = "USD") -> tuple[Engine, Config]:
    """The settings' database upgraded to `revision` (0012 or later) holding workspace 1, 'Acme'."""
    engine = make_engine(settings.database_url)
    config = _alembic_config(engine)
    command.upgrade(config, revision)
    with engine.begin() as connection:
        connection.execute(
            text(
                "INSERT INTO workspace (name, is_demo, reporting_currency, created_at, slipped_policy) "
                "VALUES ('Acme', false, :currency, CURRENT_TIMESTAMP, 'apart')"
            ),
            {"currency": currency},
        )
    return engine, config
