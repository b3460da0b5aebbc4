"""The audit log: every decision and change, with who and when."""

from __future__ import annotations

import json
from typing import Any

from sqlmodel import Session, col, select

from storage.tables import AuditEntry


def record(
    session: Session,
    *,
    actor: str,
    action: str,
    entity: str,
    entity_id: str | int | None = None,
    workspace_id: int | None = None,
    detail: dict[str, Any] | None = None,
) -> AuditEntry:
    """Add one audit entry in the caller's transaction, so it lands only if the change lands."""
    entry = AuditEntry(
        workspace_id=workspace_id,
        actor=actor,
        action=action,
        entity=entity,
        entity_id=None if entity_id is None else str(entity_id),
        detail_json=json.dumps(detail or {}, sort_keys=True, default=str),
    )
    session.add(entry)
    return entry


def recent(session: Session, workspace_id: int, limit: int = 50) -> list[AuditEntry]:
    """Newest entries first."""
    statement = (
        select(AuditEntry)
        .where(AuditEntry.workspace_id == workspace_id)
        .order_by(col(AuditEntry.at).desc(), col(AuditEntry.id).desc())
        .limit(limit)
    )
    return list(session.exec(statement))
