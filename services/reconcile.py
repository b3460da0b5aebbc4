"""Step 4: bring a source's accounts into the crosswalk, by CRM ID."""

from __future__ import annotations

import re

import polars as pl
from sqlmodel import Session

from domain.config import Settings
from domain.roles import Access, Permission
from services.connections import connector_for
from storage.accounts import ReconcileResult, reconcile_by_id
from storage.connections import get_connection

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
        if words and words[0] in {"account", "accounts", "company", "companies", "customer", "customers"} and len(words) == 1:
            return name
    return None


def reconcile_accounts(session: Session, connection_id: int, object_name: str, settings: Settings, *,
                       access: Access) -> ReconcileResult:
    """Read the accounts object of a connection and give each CRM ID its canonical account."""
    access.require(Permission.APPROVE_SUGGESTIONS)
    connection = get_connection(session, connection_id)
    read = connector_for(connection, settings).read(object_name)
    return reconcile_by_id(session, connection.workspace_id, connection.source_key, accounts_frame(read), actor=access.actor)
