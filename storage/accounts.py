"""Canonical accounts and the crosswalk (source, CRM account ID) -> canonical account.

Reconciliation is by ID: a CRM account keeps its canonical account whatever it is renamed to. Merging
duplicates (two CRM IDs onto one canonical account) is a reviewed decision and is audited.
"""

from __future__ import annotations

from dataclasses import dataclass

import polars as pl
from sqlalchemy import Engine, func, select
from sqlmodel import Session
from sqlmodel import select as sm_select

from storage import audit
from storage.tables import AccountCrosswalk, CanonicalAccount, Connection, utcnow

CROSSWALK_SCHEMA = {"source": pl.String, "source_account_id": pl.String, "account_id": pl.Int64}
BY_ID_RULE = "rule: same CRM ID"


@dataclass(frozen=True)
class ReconcileResult:
    created: int
    renamed: int
    unchanged: int
    renames: list[tuple[str, str, str]]  # (CRM ID, old name, new name)


def load_crosswalk(engine: Engine | Session, workspace_id: int) -> pl.DataFrame:
    """Approved crosswalk rows as a frame: source, source_account_id, account_id (read on its own connection, or in
    a unit of work's session)."""
    table = AccountCrosswalk.__table__  # type: ignore[attr-defined]
    statement = select(table.c.source, table.c.source_account_id, table.c.canonical_account_id.label("account_id")).where(
        table.c.workspace_id == workspace_id, table.c.status == "approved")
    if isinstance(engine, Session):
        frame = pl.read_database(statement, engine.connection(), schema_overrides=CROSSWALK_SCHEMA)
    else:
        with engine.connect() as connection:
            frame = pl.read_database(statement, connection, schema_overrides=CROSSWALK_SCHEMA)
    return frame.cast(CROSSWALK_SCHEMA) if frame.is_empty() else frame


def reconcile_by_id(session: Session, workspace_id: int, source: str, accounts: pl.DataFrame, *, actor: str) -> ReconcileResult:
    """Give every CRM account ID in `accounts` a canonical account; renames keep their account.

    `accounts` columns: source_account_id, name, and optionally website, country, parent_source_id.
    A canonical name that still equals the old CRM name follows the rename; one a person curated stays.
    """
    existing = {row.source_account_id: row for row in session.exec(
        sm_select(AccountCrosswalk).where(AccountCrosswalk.workspace_id == workspace_id, AccountCrosswalk.source == source))}
    created, renames, unchanged = 0, [], 0
    new_links: dict[str, CanonicalAccount] = {}
    for record in accounts.unique("source_account_id", keep="first").to_dicts():
        account_id, name = record["source_account_id"], record.get("name") or record["source_account_id"]
        link = existing.get(account_id)
        if link is None:
            account = CanonicalAccount(workspace_id=workspace_id, name=name, website=record.get("website"),
                                       country=record.get("country"))
            session.add(account)
            new_links[account_id] = account
            created += 1
            continue
        if link.source_name != name:
            canonical = session.get(CanonicalAccount, link.canonical_account_id)
            if canonical is not None and canonical.name == link.source_name:
                canonical.name = name
                session.add(canonical)
            renames.append((account_id, link.source_name or "", name))
            link.source_name = name
            session.add(link)
        else:
            unchanged += 1
    session.flush()
    now = utcnow()
    for account_id, account in new_links.items():
        name = account.name
        session.add(AccountCrosswalk(workspace_id=workspace_id, source=source, source_account_id=account_id,
                                     source_name=name, canonical_account_id=account.id, status="approved",
                                     decided_by=BY_ID_RULE, decided_at=now))
    _link_parents(session, workspace_id, source, accounts)
    session.flush()
    audit.record(session, actor=actor, action="reconcile", entity="accounts", entity_id=source, workspace_id=workspace_id,
                 detail={"created": created, "renamed": len(renames), "unchanged": unchanged,
                         "renames": renames[:50]})
    return ReconcileResult(created, len(renames), unchanged, renames)


def _link_parents(session: Session, workspace_id: int, source: str, accounts: pl.DataFrame) -> None:
    if "parent_source_id" not in accounts.columns:
        return
    session.flush()
    links = {row.source_account_id: row.canonical_account_id for row in session.exec(
        sm_select(AccountCrosswalk).where(AccountCrosswalk.workspace_id == workspace_id, AccountCrosswalk.source == source))}
    pairs = accounts.filter(pl.col("parent_source_id").is_not_null()).select("source_account_id", "parent_source_id")
    for child, parent in pairs.iter_rows():
        if child in links and parent in links:
            account = session.get(CanonicalAccount, links[child])
            if account is not None and account.parent_id != links[parent]:
                account.parent_id = links[parent]
                session.add(account)


def account_count(session: Session, workspace_id: int) -> int:
    return session.exec(sm_select(func.count()).select_from(CanonicalAccount)
                        .where(CanonicalAccount.workspace_id == workspace_id)).one()


def accounts_overview(engine: Engine, workspace_id: int, limit: int = 500) -> pl.DataFrame:
    """Canonical accounts with the CRM IDs and names that map to them, for review tables."""
    accounts = CanonicalAccount.__table__  # type: ignore[attr-defined]
    links = AccountCrosswalk.__table__  # type: ignore[attr-defined]
    parent = accounts.alias("parent")
    connections = Connection.__table__  # type: ignore[attr-defined]
    statement = (
        select(accounts.c.name.label("account"), func.coalesce(connections.c.name, links.c.source).label("source"),
               links.c.source_account_id.label("CRM ID"), links.c.source_name.label("name in CRM"),
               parent.c.name.label("parent account"), links.c.decided_by.label("matched by"))
        .join(links, links.c.canonical_account_id == accounts.c.id)
        .outerjoin(parent, parent.c.id == accounts.c.parent_id)
        .outerjoin(connections, (connections.c.workspace_id == accounts.c.workspace_id)
                   & (connections.c.source_key == links.c.source))
        .where(accounts.c.workspace_id == workspace_id).order_by(accounts.c.name).limit(limit)
    )
    with engine.connect() as connection:
        return pl.read_database(statement, connection, schema_overrides={c: pl.String for c in (
            "account", "source", "CRM ID", "name in CRM", "parent account", "matched by")})


def find_account(session: Session, workspace_id: int, key: str) -> CanonicalAccount:
    """A live canonical account by its ID or exact name; raises NotFound naming what was asked for."""
    from domain.errors import NotFound

    statement = sm_select(CanonicalAccount).where(CanonicalAccount.workspace_id == workspace_id,
                                                  CanonicalAccount.merged_into_id.is_(None))  # type: ignore[union-attr]
    if key.isdigit():
        found = session.exec(statement.where(CanonicalAccount.id == int(key))).first()
    else:
        matches = session.exec(statement.where(CanonicalAccount.name == key)).all()
        if len(matches) > 1:
            raise NotFound(f"{len(matches)} accounts are named '{key}'.", hint="Give the account's ID instead "
                           f"({', '.join(str(m.id) for m in matches)}).")
        found = matches[0] if matches else None
    if found is None:
        raise NotFound(f"There is no account '{key}' in this workspace.", hint="Use the ID or exact name from the "
                       "accounts export.")
    return found


def links_of(session: Session, account_id: int) -> list[AccountCrosswalk]:
    """The CRM IDs that point at one canonical account."""
    return list(session.exec(sm_select(AccountCrosswalk).where(AccountCrosswalk.canonical_account_id == account_id)))
