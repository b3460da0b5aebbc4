"""Canonical accounts and the crosswalk (source, CRM account ID) -> canonical account.

Reconciliation is by ID: a CRM account keeps its canonical account whatever it is renamed to. Merging
duplicates (two CRM IDs onto one canonical account) is a reviewed decision and is audited.
"""

from __future__ import annotations

import polars as pl
from sqlalchemy import Engine, func, select
from sqlmodel import Session, col
from sqlmodel import select as sm_select

from storage.tables import AccountCrosswalk, CanonicalAccount, Connection, table_of

CROSSWALK_SCHEMA = {"source": pl.String, "source_account_id": pl.String, "account_id": pl.Int64}


def load_crosswalk(engine: Engine | Session, workspace_id: int) -> pl.DataFrame:
    """Approved crosswalk rows as a frame: source, source_account_id, account_id (read on its own connection, or in
    a unit of work's session)."""
    table = table_of(AccountCrosswalk)
    statement = select(
        table.c.source, table.c.source_account_id, table.c.canonical_account_id.label("account_id")
    ).where(table.c.workspace_id == workspace_id, table.c.status == "approved")
    if isinstance(engine, Session):
        frame = pl.read_database(statement, engine.connection(), schema_overrides=CROSSWALK_SCHEMA)
    else:
        with engine.connect() as connection:
            frame = pl.read_database(statement, connection, schema_overrides=CROSSWALK_SCHEMA)
    return frame.cast(pl.Schema(CROSSWALK_SCHEMA)) if frame.is_empty() else frame


def crosswalk_links(session: Session, workspace_id: int, source: str) -> dict[str, AccountCrosswalk]:
    """A source's crosswalk rows by CRM account ID."""
    return {
        row.source_account_id: row
        for row in session.exec(
            sm_select(AccountCrosswalk).where(
                AccountCrosswalk.workspace_id == workspace_id, AccountCrosswalk.source == source
            )
        )
    }


def account_count(session: Session, workspace_id: int) -> int:
    return session.exec(
        sm_select(func.count()).select_from(CanonicalAccount).where(CanonicalAccount.workspace_id == workspace_id)
    ).one()


def accounts_overview(engine: Engine, workspace_id: int, limit: int = 500) -> pl.DataFrame:
    """Canonical accounts with the CRM IDs and names that map to them, for review tables."""
    accounts = table_of(CanonicalAccount)
    links = table_of(AccountCrosswalk)
    parent = accounts.alias("parent")
    connections = table_of(Connection)
    statement = (
        select(
            accounts.c.name.label("Account"),
            func.coalesce(connections.c.name, links.c.source).label("Source"),
            links.c.source_account_id.label("CRM ID"),
            links.c.source_name.label("Name in CRM"),
            parent.c.name.label("Parent account"),
            links.c.decided_by.label("Matched by"),
        )
        .join(links, links.c.canonical_account_id == accounts.c.id)
        .outerjoin(parent, parent.c.id == accounts.c.parent_id)
        .outerjoin(
            connections,
            (connections.c.workspace_id == accounts.c.workspace_id) & (connections.c.source_key == links.c.source),
        )
        .where(accounts.c.workspace_id == workspace_id)
        .order_by(accounts.c.name)
        .limit(limit)
    )
    with engine.connect() as connection:
        return pl.read_database(
            statement,
            connection,
            schema_overrides=dict.fromkeys(
                ("Account", "Source", "CRM ID", "Name in CRM", "Parent account", "Matched by"), pl.String
            ),
        )


def find_account(session: Session, workspace_id: int, key: str) -> CanonicalAccount:
    """A live canonical account by its ID or exact name; raises NotFound naming what was asked for."""
    from domain.errors import NotFound

    statement = sm_select(CanonicalAccount).where(
        CanonicalAccount.workspace_id == workspace_id, col(CanonicalAccount.merged_into_id).is_(None)
    )
    if key.isdigit():
        found = session.exec(statement.where(CanonicalAccount.id == int(key))).first()
    else:
        matches = session.exec(statement.where(CanonicalAccount.name == key)).all()
        if len(matches) > 1:
            raise NotFound(
                f"{len(matches)} accounts are named '{key}'.",
                hint=f"Give the account's ID instead ({', '.join(str(m.id) for m in matches)}).",
            )
        found = matches[0] if matches else None
    if found is None:
        raise NotFound(
            f"There is no account '{key}' in this workspace.", hint="Use the ID or exact name from the accounts export."
        )
    return found


def links_of(session: Session, account_id: int) -> list[AccountCrosswalk]:
    """The CRM IDs that point at one canonical account."""
    return list(session.exec(sm_select(AccountCrosswalk).where(AccountCrosswalk.canonical_account_id == account_id)))
