"""Roles and what they may do. Enforcement of masking arrives with the insights work."""

from __future__ import annotations

from enum import StrEnum


class Role(StrEnum):
    ADMIN = "admin"          # everything; manages users and connections
    FINANCE = "finance"      # sees amounts, edits mappings
    REVIEWER = "reviewer"    # approves suggestions; customer-linked amounts masked
    VIEWER = "viewer"        # charts and tables; customer-linked amounts masked


# With no users defined the app runs in local single-user mode as this admin.
LOCAL_ADMIN = "local admin"
