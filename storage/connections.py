"""Connections of a workspace. Settings are plain JSON; secrets are sealed by SecretBox."""

from __future__ import annotations

import json
import re
from typing import Any

from sqlmodel import Session, col, select

from domain.errors import NotFound, ValidationError
from domain.source_kinds import SourceKind
from storage import audit
from storage.secret_box import SecretBox
from storage.tables import Connection, utcnow


def list_connections(session: Session, workspace_id: int) -> list[Connection]:
    return list(
        session.exec(select(Connection).where(Connection.workspace_id == workspace_id).order_by(col(Connection.id)))
    )


def get_connection(session: Session, connection_id: int) -> Connection:
    connection = session.get(Connection, connection_id)
    if connection is None:
        raise NotFound(f"Connection #{connection_id} does not exist.")
    return connection


def connection_settings(connection: Connection) -> dict[str, Any]:
    return json.loads(connection.settings_json or "{}")


def connection_secrets(connection: Connection, box: SecretBox) -> dict[str, str]:
    """Decrypted secrets, for a connector only; never pass them to a page or a log."""
    return box.open(connection.secrets_encrypted) if connection.secrets_encrypted else {}


def _source_key(session: Session, workspace_id: int, name: str) -> str:
    base = re.sub(r"[^a-z0-9]+", "_", name.lower()).strip("_")[:32] or "source"
    taken = {c.source_key for c in list_connections(session, workspace_id)}
    key, n = base, 2
    while key in taken:
        key, n = f"{base}_{n}", n + 1
    return key


def create_connection(
    session: Session,
    workspace_id: int,
    *,
    name: str,
    kind: SourceKind,
    settings: dict[str, Any],
    secrets: dict[str, str] | None,
    box: SecretBox | None,
    actor: str,
) -> Connection:
    """Store a new connection; the audit entry names the secret keys, never their values."""
    name = name.strip()
    if not name:
        raise ValidationError("Connection name: enter a name.")
    if any(c.name == name for c in list_connections(session, workspace_id)):
        raise ValidationError(f"Connection name: '{name}' is already used in this workspace.")
    sealed = None
    if secrets:
        if box is None:
            raise ValidationError("Connection secrets need an encryption key.")
        sealed = box.seal(secrets)
    connection = Connection(
        workspace_id=workspace_id,
        name=name,
        kind=kind.value,
        source_key=_source_key(session, workspace_id, name),
        settings_json=json.dumps(settings, sort_keys=True),
        secrets_encrypted=sealed,
    )
    session.add(connection)
    session.flush()
    audit.record(
        session,
        actor=actor,
        action="create",
        entity="connection",
        entity_id=connection.id,
        workspace_id=workspace_id,
        detail={"name": name, "kind": kind.value, "settings": settings, "secret_keys": sorted(secrets or {})},
    )
    return connection


def find_connection(session: Session, workspace_id: int, name_or_key: str) -> Connection | None:
    """The workspace's connection with this name (or source key)."""
    connections = list_connections(session, workspace_id)
    return next((c for c in connections if c.name == name_or_key), None) or next(
        (c for c in connections if c.source_key == name_or_key), None
    )


def require_connection(session: Session, workspace_id: int, name_or_key: str) -> Connection:
    """The connection of that name or source key, or a NotFound that lists the ones that exist."""
    connection = find_connection(session, workspace_id, name_or_key)
    if connection is None:
        names = ", ".join(f"{c.name} ({c.source_key})" for c in list_connections(session, workspace_id)) or "none yet"
        raise NotFound(f"There is no connection '{name_or_key}' in this workspace.", hint=f"Connections: {names}.")
    return connection


def update_connection(
    session: Session,
    connection_id: int,
    *,
    settings: dict[str, Any],
    secrets: dict[str, str] | None,
    box: SecretBox | None,
    actor: str,
) -> bool:
    """Replace a connection's settings and secrets; False (and nothing written) when both are unchanged.

    A changed connection forgets its last test, so nobody trusts a result obtained with other credentials.
    The audit entry names the settings and the secret keys, never secret values.
    """
    connection = get_connection(session, connection_id)
    same_settings = connection_settings(connection) == settings
    same_secrets = (connection_secrets(connection, box) if connection.secrets_encrypted and box else {}) == (
        secrets or {}
    )
    if same_settings and same_secrets:
        return False
    if secrets and box is None:
        raise ValidationError("Connection secrets need an encryption key.")
    connection.settings_json = json.dumps(settings, sort_keys=True)
    connection.secrets_encrypted = box.seal(secrets) if secrets and box else None
    connection.last_test_ok = None
    connection.last_tested_at = None
    connection.last_test_message = None
    session.add(connection)
    session.flush()
    audit.record(
        session,
        actor=actor,
        action="update",
        entity="connection",
        entity_id=connection.id,
        workspace_id=connection.workspace_id,
        detail={"name": connection.name, "settings": settings, "secret_keys": sorted(secrets or {})},
    )
    return True


def record_test_result(session: Session, connection_id: int, *, ok: bool, message: str) -> Connection:
    """Remember the outcome of the last 'Test connection'."""
    connection = get_connection(session, connection_id)
    connection.last_tested_at = utcnow()
    connection.last_test_ok = ok
    connection.last_test_message = message
    session.add(connection)
    session.flush()
    return connection


def delete_connection(session: Session, connection_id: int, *, actor: str) -> None:
    """Remove a connection nothing depends on; one that feeds a domain or has mappings is refused."""
    from storage.tables import DomainRoute, FieldMapping, StageMapping

    connection = get_connection(session, connection_id)
    for table, what in (
        (DomainRoute, "a domain route"),
        (FieldMapping, "field mappings"),
        (StageMapping, "stage mappings"),
    ):
        if session.exec(select(table).where(table.connection_id == connection_id)).first() is not None:
            raise ValidationError(
                f"'{connection.name}' is still used by {what}.", hint="Remove it from Choose domains (step 2) first."
            )
    audit.record(
        session,
        actor=actor,
        action="delete",
        entity="connection",
        entity_id=connection_id,
        workspace_id=connection.workspace_id,
        detail={"name": connection.name, "kind": connection.kind},
    )
    session.delete(connection)
    session.flush()
