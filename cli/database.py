"""The database: schema status and upgrade."""

from __future__ import annotations

import argparse

from domain.config import load_settings
from storage.db import display_database_url, make_engine, schema_status, upgrade


def _cmd_db(args: argparse.Namespace) -> int:
    settings = load_settings()
    if args.action == "upgrade":
        backup = upgrade(settings)
        if backup:
            print(f"backup: {backup}")
    engine = make_engine(settings.database_url)
    try:
        status = schema_status(engine)
    finally:
        engine.dispose()
    state = "up to date" if status.up_to_date else ("empty" if status.is_empty else "needs upgrade")
    print(f"database: {display_database_url(settings.database_url)}")
    print(f"schema: {status.current or 'none'} (this release: {status.head}) - {state}")
    return 0


def register(commands: argparse._SubParsersAction) -> None:
    """Add the db command(s)."""
    db = commands.add_parser("db", help="database schema status or upgrade")
    db.add_argument("action", choices=["status", "upgrade"])
    db.set_defaults(run=_cmd_db)
