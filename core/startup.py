"""Everything the app and the CLI do before serving: data folder, database, demo workspace."""

from __future__ import annotations

from sqlalchemy import Engine

from core.config import Settings, ensure_data_dir
from core.demo_workspace import ensure_demo_workspace
from storage.db import open_database, session_scope


def start(settings: Settings) -> Engine:
    """Open the database (creating a fresh schema if empty) and make sure a first start has its demo.

    Raises DataFolderError, StorageUnavailable, SchemaOutdated, SchemaTooNew or UnknownDatabase
    with a message for the user; none of them changes existing data.
    """
    ensure_data_dir(settings)  # holds the demo export and the secret key even when the DB is remote
    engine = open_database(settings)
    with session_scope(engine) as session:
        ensure_demo_workspace(session, settings)
    return engine
