"""Roles, what each may do, and masking of customer-linked amounts.

Masking is enforced here, where data is read for pages, exports and the CLI, so a page cannot forget it:
every reader of per-account or per-opportunity amounts goes through `mask_amounts`, and every
aggregate shown to a masked role goes through `mask_small_groups`.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

import polars as pl

from domain.errors import NotPermitted


class Role(StrEnum):
    ADMIN = "admin"  # everything; manages users and connections
    FINANCE = "finance"  # sees amounts, edits mappings
    REVIEWER = "reviewer"  # approves suggestions; customer-linked amounts masked
    VIEWER = "viewer"  # charts and tables; customer-linked amounts masked

    @property
    def label(self) -> str:
        return self.value.capitalize()


class Permission(StrEnum):
    SEE_AMOUNTS = "see customer-linked amounts"
    MANAGE_USERS = "manage users"
    MANAGE_CONNECTIONS = "manage connections"
    EDIT_SETUP = "edit mappings, routing and reconciliation"
    APPROVE_SUGGESTIONS = "approve suggestions"
    RUN_SYNC = "run syncs"
    FORCE_MASS_DELETE = "let a sync remove most of a domain"
    VIEW = "view charts and tables"


ROLE_PERMISSIONS: dict[Role, frozenset[Permission]] = {
    Role.ADMIN: frozenset(Permission),
    Role.FINANCE: frozenset(
        {
            Permission.SEE_AMOUNTS,
            Permission.EDIT_SETUP,
            Permission.APPROVE_SUGGESTIONS,
            Permission.RUN_SYNC,
            Permission.VIEW,
        }
    ),
    Role.REVIEWER: frozenset({Permission.APPROVE_SUGGESTIONS, Permission.VIEW}),
    Role.VIEWER: frozenset({Permission.VIEW}),
}

# With no users defined the app runs in local single-user mode as this admin.
LOCAL_ADMIN = "local admin"

# What a masked amount reads as in tables and files: text, so it is never mistaken for zero.
MASKED = "•••"

# Customer-linked amount columns of every table a page, export or CLI command can read.
AMOUNT_COLUMNS: frozenset[str] = frozenset(
    {
        "amount",
        "amount_reporting",
        "weighted_amount",
        "arr_delta",
        "arr_delta_reporting",
        "opportunity_amount",
        "movement_amount",
        "difference",
        "ending_arr",
        "net_new_arr",
        "arr_before",
        "arr_after",
    }
)
# Columns that can carry a raw CRM record (and so its amount) as text.
# (A run's summary holds the figures before and after it: one small run's change is one customer's amount.)
RAW_RECORD_COLUMNS: frozenset[str] = frozenset({"payload_json", "summary_json"})


@dataclass(frozen=True)
class Access:
    """Who is reading, with which role; passed to every reader that can return amounts."""

    actor: str
    role: Role
    min_accounts: int = 5

    @property
    def sees_amounts(self) -> bool:
        return self.may(Permission.SEE_AMOUNTS)

    def may(self, permission: Permission) -> bool:
        return permission in ROLE_PERMISSIONS[self.role]

    def require(self, permission: Permission) -> None:
        """Raise NotPermitted naming the role and what it may not do."""
        if not self.may(permission):
            raise NotPermitted(
                f"{self.actor} ({self.role.label}) may not {permission.value}.",
                hint="Ask an admin to change your role.",
            )


def local_admin(min_accounts: int = 5) -> Access:
    return Access(LOCAL_ADMIN, Role.ADMIN, min_accounts)


def system_access(name: str) -> Access:
    """A process acting on its own (the scheduler, the demo's first start, a benchmark): named in the audit log,
    allowed everything a person could be allowed."""
    return Access(name, Role.ADMIN)


def mask_amounts(frame: pl.DataFrame, access: Access, *, amount_fields: frozenset[str] = frozenset()) -> pl.DataFrame:
    """Per-record amounts replaced by MASKED for roles that may not see them.

    `amount_fields` names source fields whose values are amounts in a (field, value) table such as
    the quarantine, so an offending amount is masked while an offending stage label stays readable.
    """
    if access.sees_amounts:
        return frame
    masked = [pl.lit(MASKED).alias(c) for c in frame.columns if c in AMOUNT_COLUMNS]
    masked += [
        pl.when(pl.col(c).is_null()).then(None).otherwise(pl.lit(MASKED)).alias(c)
        for c in frame.columns
        if c in RAW_RECORD_COLUMNS
    ]
    if {"field", "value"} <= set(frame.columns) and amount_fields:
        masked.append(
            pl.when(pl.col("field").is_in(sorted(amount_fields)))
            .then(pl.lit(MASKED))
            .otherwise(pl.col("value"))
            .alias("value")
        )
    return frame.with_columns(masked) if masked else frame


def mask_small_groups(
    frame: pl.DataFrame, access: Access, values: list[str], *, accounts: str = "accounts"
) -> pl.DataFrame:
    """Aggregates over fewer than `access.min_accounts` accounts become null for masked roles.

    Null (not MASKED) keeps the column numeric so a chart can still draw the other groups.
    """
    if access.sees_amounts or frame.is_empty():
        return frame
    small = pl.col(accounts) < access.min_accounts
    return frame.with_columns([pl.when(small).then(None).otherwise(pl.col(v)).alias(v) for v in values])
