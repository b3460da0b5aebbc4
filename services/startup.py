"""Everything the app and the CLI do before serving: data folder, database, and the demo when it is on."""

from __future__ import annotations

import importlib

from sqlalchemy import Engine

from domain.config import Settings, ensure_data_dir
from domain.errors import ConfigurationError
from storage.db import open_database


def start(settings: Settings) -> Engine:
    """Open the database (creating a fresh schema if empty) and install the demo when it is on.

    Raises DataFolderError, StorageUnavailable, SchemaOutdated, SchemaTooNew or UnknownDatabase
    with a message for the user; none of them changes existing data.
    """
    ensure_data_dir(settings)  # holds the demo export and the secret key even when the DB is remote
    engine = open_database(settings)
    if settings.demo_enabled:
        install_demo(engine, settings)
    return engine


def install_demo(engine: Engine, settings: Settings) -> None:
    """The demo module named in the settings registers its CRM emulator and, on a first start, the Demo
    workspace (wired by name, so the product never imports the sandbox)."""
    try:
        demo = importlib.import_module(settings.demo_module)
    except ImportError as exc:
        raise ConfigurationError(
            f"The demo module '{settings.demo_module}' cannot be loaded ({exc}).",
            hint="Set REVENUE_CONNECTOR_DEMO=0 to start without the demo.",
        ) from exc
    demo.install(engine, settings)
