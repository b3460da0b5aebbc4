"""What every command does first: read the settings, open the database (installing the demo when it is on),
say who is running it, and find the workspace or connection it names."""

from __future__ import annotations

import getpass
import os
import socket
from dataclasses import dataclass, replace

from sqlalchemy import Engine
from sqlmodel import Session

from domain.config import Settings, load_settings
from domain.errors import NotSignedIn, RevenueConnectorError
from domain.roles import Access, Permission, local_admin
from services.startup import start
from services.users import sign_in, users_defined
from storage.connections import list_connections
from storage.db import session_scope
from storage.tables import Connection
from storage.workspaces import require_workspace


def open_app() -> tuple[Settings, Engine]:
    """Settings from the environment and the database, ready (the demo installed when it is on)."""
    settings = load_settings()
    return settings, start(settings)


@dataclass(frozen=True)
class WorkspaceRef:
    """The workspace a command works on."""

    id: int
    name: str
    reporting_currency: str


def workspace_named(session: Session, name: str) -> WorkspaceRef:
    """The workspace named `name` (an error naming the workspaces there are)."""
    workspace = require_workspace(session, name)
    assert workspace.id is not None  # a stored row has its key
    return WorkspaceRef(workspace.id, workspace.name, workspace.reporting_currency)


def open_workspace(name: str) -> tuple[Settings, Engine, WorkspaceRef, Access]:
    """As `open_app`, plus who runs the command (signed in once users exist, allowed to view) and the workspace
    named `name`: no command reads a workspace without sign-in."""
    settings, engine = open_app()
    access = cli_access(engine, settings)
    access.require(Permission.VIEW)
    with session_scope(engine) as session:
        return settings, engine, workspace_named(session, name), access


def cli_access(engine: Engine, settings: Settings) -> Access:
    """Who runs this command: the local admin while no users exist, else the user named in the environment.

    REVENUE_CONNECTOR_USER and REVENUE_CONNECTOR_PASSWORD sign in a script, with the same throttling and the
    same permission rules as the app (the services check them). The audit log names the signed-in user
    ('cli:<user>'), or the operating-system account while no users exist ('cli:local admin (<account>)').
    """
    with session_scope(engine) as session:
        if not users_defined(session):
            admin = local_admin(settings.mask_min_accounts)
            return replace(admin, actor=f"cli:{admin.actor} ({getpass.getuser()})")
        user, password = os.environ.get("REVENUE_CONNECTOR_USER"), os.environ.get("REVENUE_CONNECTOR_PASSWORD")
        if not user or password is None:
            raise NotSignedIn(
                "Users are defined: sign in with REVENUE_CONNECTOR_USER and REVENUE_CONNECTOR_PASSWORD.",
                hint="Each command then does what that user's role allows, as in the app.",
            )
        signed_in = sign_in(
            session, user, password, client=f"cli@{socket.gethostname()}", min_accounts=settings.mask_min_accounts
        )
        return replace(signed_in, actor=f"cli:{signed_in.actor}")


def connection_by_key(session: Session, workspace_id: int, source_key: str) -> Connection:
    """The workspace's connection with this source key (an error listing the keys there are)."""
    connections = list_connections(session, workspace_id)
    match = next((c for c in connections if c.source_key == source_key), None)
    if match is None:
        keys = ", ".join(c.source_key for c in connections) or "none"
        raise RevenueConnectorError(
            f"There is no connection with source key '{source_key}'.", hint=f"Source keys: {keys}."
        )
    return match
