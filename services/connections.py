"""Connection services: test a stored connection and describe what it can read."""

from __future__ import annotations

import logging

from sqlmodel import Session

from connectors.base import ConnectionCheck, ObjectInfo
from connectors.registry import build_connector
from domain.config import Settings
from domain.errors import RevenueConnectorError
from domain.roles import Access, Permission
from domain.source_kinds import SourceKind
from storage import audit
from storage.connections import connection_secrets, connection_settings, get_connection, record_test_result
from storage.secret_box import secret_box
from storage.tables import Connection

log = logging.getLogger(__name__)


def connector_for(connection: Connection, settings: Settings):
    """The connector for a stored connection, with its secrets decrypted for this use only."""
    secrets = connection_secrets(connection, secret_box(settings)) if connection.secrets_encrypted else {}
    return build_connector(
        SourceKind(connection.kind), connection_settings(connection), secrets, source_key=connection.source_key
    )


def check_connection(session: Session, connection_id: int, settings: Settings, *, access: Access) -> ConnectionCheck:
    """Run 'Test connection', store the outcome on the connection and in the audit log."""
    access.require(Permission.MANAGE_CONNECTIONS)
    actor = access.actor
    connection = get_connection(session, connection_id)
    try:
        check = connector_for(connection, settings).test_connection()
    except RevenueConnectorError as exc:
        check = ConnectionCheck(ok=False, headline=exc.user_message, details=(exc.hint,) if exc.hint else ())
    record_test_result(session, connection_id, ok=check.ok, message=check.headline)
    audit.record(
        session,
        actor=actor,
        action="test",
        entity="connection",
        entity_id=connection_id,
        workspace_id=connection.workspace_id,
        detail={"ok": check.ok, "headline": check.headline},
    )
    log.info("connection %s tested: ok=%s %s", connection.name, check.ok, check.headline)
    return check


def describe_connection(session: Session, connection_id: int, settings: Settings) -> list[ObjectInfo]:
    """Objects and fields the connection can read (raises SourceError with the object named)."""
    return connector_for(get_connection(session, connection_id), settings).describe()
