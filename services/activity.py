"""The audit log as Settings shows it: who did what and when, in the viewer's time zone, details in words."""

from __future__ import annotations

import json
from typing import Any

import polars as pl
from sqlmodel import Session

from domain.timestamps import local_minute
from storage.audit import recent

ACTIVITY_COLUMNS = ("When", "Who", "What", "Details")


def activity_rows(session: Session, workspace_id: int, time_zone: str, limit: int = 20) -> pl.DataFrame:
    """The newest audit entries of a workspace; empty details (`renames: []`) are left out, not printed."""
    entries = recent(session, workspace_id, limit=limit)  # a page of entries: a plain loop reads fine
    return pl.DataFrame(
        {
            "When": [local_minute(e.at, time_zone) for e in entries],
            "Who": [e.actor for e in entries],
            "What": [f"{e.action.capitalize()} {e.entity.replace('_', ' ')}" for e in entries],
            "Details": [detail_text(json.loads(e.detail_json or "{}")) for e in entries],
        },
        schema=dict.fromkeys(ACTIVITY_COLUMNS, pl.String),
    )


def detail_text(detail: dict[str, Any]) -> str:
    """`{"renames": [], "accounts": 500, "before": {"window": None}}` -> "accounts: 500; before: window none"."""
    parts = []
    for key, value in detail.items():
        text = _value_text(value)
        if text:
            parts.append(f"{key.replace('_', ' ')}: {text}")
    return "; ".join(parts)


def _value_text(value: Any) -> str:
    if value is None or value == "" or value == [] or value == {}:
        return ""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, list):
        shown = ", ".join(_value_text(v) or "none" for v in value[:5])
        return shown + (f" and {len(value) - 5} more" if len(value) > 5 else "")
    if isinstance(value, dict):
        return ", ".join(f"{k.replace('_', ' ')} {_value_text(v) or 'none'}" for k, v in value.items())
    if isinstance(value, int | float):
        return f"{value:,}"
    return str(value)
