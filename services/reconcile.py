"""Step 4: bring a source's accounts into the crosswalk, by CRM ID."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

import polars as pl
from sqlmodel import Session

from domain.config import Settings
from domain.roles import Access, Permission
from domain.storable_text import ACCOUNT_TEXT_LIMITS, has_nul, too_long, unstorable_accounts
from services.connections import connector_for
from storage import audit
from storage.accounts import crosswalk_links
from storage.connections import get_connection
from storage.tables import AccountCrosswalk, CanonicalAccount, utcnow

BY_ID_RULE = "rule: same CRM ID"


@dataclass(frozen=True)
class ReconcileResult:
    created: int
    renamed: int
    unchanged: int
    renames: list[tuple[str, str, str]]  # (CRM ID, old name, new name)
    # (CRM ID preview, field, problem) of accounts held back: text no database keeps (domain/storable_text.py).
    held: list[tuple[str, str, str]] = field(default_factory=list)

    def held_lines(self) -> list[str]:
        """One line per account held back, naming the record and the field."""
        return [f"Account {account} not reconciled: {name} {problem}." for account, name, problem in self.held]


# Source columns that hold each account attribute, across Salesforce, HubSpot and file exports.
_CANDIDATES = {
    "name": ("Name", "name", "company_name", "account_name"),
    "website": ("Website", "domain", "website"),
    "country": ("BillingCountry", "country", "billing_country"),
    "parent_source_id": ("ParentId", "parent_id", "hs_parent_company_id"),
}


def accounts_frame(read: pl.DataFrame) -> pl.DataFrame:
    """A connector's account read reduced to what reconciliation needs (tombstones left out)."""
    columns = [pl.col("source_id").alias("source_account_id")]
    for target, options in _CANDIDATES.items():
        found = next((c for c in options if c in read.columns), None)
        columns.append((pl.col(found).cast(pl.String) if found else pl.lit(None, pl.String)).alias(target))
    live = read.filter(~pl.col("is_deleted")) if "is_deleted" in read.columns else read
    return live.select(columns)


def suggest_accounts_object(names: list[str]) -> str | None:
    """The object that most likely holds accounts: Account, companies, accounts.csv…"""
    for name in names:
        words = re.sub(r"[^a-z]+", " ", re.sub(r"(?<=[a-z])(?=[A-Z])", " ", name).lower()).split()
        if (
            words
            and words[0] in {"account", "accounts", "company", "companies", "customer", "customers"}
            and len(words) == 1
        ):
            return name
    return None


def reconcile_accounts(
    session: Session, connection_id: int, object_name: str, settings: Settings, *, access: Access
) -> ReconcileResult:
    """Read the accounts object of a connection and give each CRM ID its canonical account."""
    access.require(Permission.APPROVE_SUGGESTIONS)
    connection = get_connection(session, connection_id)
    read = connector_for(connection, settings).read(object_name)
    return reconcile_by_id(
        session, connection.workspace_id, connection.source_key, accounts_frame(read), actor=access.actor
    )


def reconcile_by_id(
    session: Session, workspace_id: int, source: str, accounts: pl.DataFrame, *, actor: str
) -> ReconcileResult:
    """Give every CRM account ID in `accounts` a canonical account; renames keep their account.

    `accounts` columns: source_account_id, name, and optionally website, country, parent_source_id.
    A canonical name that still equals the old CRM name follows the rename; one a person curated stays.
    """
    unstorable = unstorable_accounts(accounts)
    if unstorable.height:
        # Held back (their deals then show as unreconciled in Pipelines), never a failed transaction.
        accounts = accounts.filter(~pl.col("source_account_id").is_in(_held_ids(accounts).implode()))
    existing = crosswalk_links(session, workspace_id, source)
    created, renames, unchanged = 0, [], 0
    new_links: dict[str, CanonicalAccount] = {}
    for record in accounts.unique("source_account_id", keep="first").to_dicts():
        account_id, name = record["source_account_id"], record.get("name") or record["source_account_id"]
        link = existing.get(account_id)
        if link is None:
            account = CanonicalAccount(
                workspace_id=workspace_id, name=name, website=record.get("website"), country=record.get("country")
            )
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
        session.add(
            AccountCrosswalk(
                workspace_id=workspace_id,
                source=source,
                source_account_id=account_id,
                source_name=name,
                canonical_account_id=account.id,
                status="approved",
                decided_by=BY_ID_RULE,
                decided_at=now,
            )
        )
    _link_parents(session, workspace_id, source, accounts)
    session.flush()
    audit.record(
        session,
        actor=actor,
        action="reconcile",
        entity="accounts",
        entity_id=source,
        workspace_id=workspace_id,
        detail={
            "created": created,
            "renamed": len(renames),
            "unchanged": unchanged,
            "renames": renames[:50],
            **({"held": unstorable.height} if unstorable.height else {}),
        },
    )
    return ReconcileResult(created, len(renames), unchanged, renames, [tuple(row) for row in unstorable.iter_rows()])


def _held_ids(accounts: pl.DataFrame) -> pl.Series:
    bad = pl.lit(False)
    for column, limit in ACCOUNT_TEXT_LIMITS.items():
        if column in accounts.columns:
            bad = bad | (has_nul(pl.col(column)) | too_long(pl.col(column), limit)).fill_null(False)
    return accounts.filter(bad)["source_account_id"]


def _link_parents(session: Session, workspace_id: int, source: str, accounts: pl.DataFrame) -> None:
    if "parent_source_id" not in accounts.columns:
        return
    session.flush()
    links = {key: row.canonical_account_id for key, row in crosswalk_links(session, workspace_id, source).items()}
    pairs = accounts.filter(pl.col("parent_source_id").is_not_null()).select("source_account_id", "parent_source_id")
    for child, parent in pairs.iter_rows():
        if child in links and parent in links:
            account = session.get(CanonicalAccount, links[child])
            if account is not None and account.parent_id != links[parent]:
                account.parent_id = links[parent]
                session.add(account)
