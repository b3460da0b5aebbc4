"""Versioned mapping configurations: every import or approval adds a version; the newest is in force."""

from __future__ import annotations

from sqlalchemy import func
from sqlmodel import Session, col, select

from domain.mapping_config import MappingConfig, check_against_workspace, from_yaml
from storage import audit
from storage.tables import Connection, MappingVersion
from storage.workspaces import load_stage_set


def latest_mapping(session: Session, workspace_id: int) -> tuple[MappingVersion, MappingConfig] | None:
    """The mapping version in force, parsed; None when the workspace has none yet."""
    row = session.exec(
        select(MappingVersion)
        .where(MappingVersion.workspace_id == workspace_id)
        .order_by(col(MappingVersion.version).desc())
    ).first()
    return None if row is None else (row, from_yaml(row.yaml_text))


def save_mapping(
    session: Session, workspace_id: int, yaml_text: str, *, actor: str, note: str | None = None
) -> MappingVersion:
    """Validate a mapping file against the workspace and store it as the next version (audited)."""
    config = from_yaml(yaml_text)
    sources = set(session.exec(select(Connection.source_key).where(Connection.workspace_id == workspace_id)).all())
    check_against_workspace(config, sources, {s.key for s in load_stage_set(session, workspace_id)})
    current = session.exec(
        select(func.max(MappingVersion.version)).where(MappingVersion.workspace_id == workspace_id)
    ).one()
    row = MappingVersion(
        workspace_id=workspace_id, version=(current or 0) + 1, yaml_text=yaml_text, created_by=actor, note=note
    )
    session.add(row)
    session.flush()
    audit.record(
        session,
        actor=actor,
        action="import",
        entity="mapping",
        entity_id=row.version,
        workspace_id=workspace_id,
        detail={"version": row.version, "objects": len(config.objects), "stages": len(config.stages), "note": note},
    )
    return row
