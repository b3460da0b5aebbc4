"""The built-in Demo workspace: created on the very first start when nothing is configured."""

from __future__ import annotations

import logging

from sqlalchemy.exc import IntegrityError
from sqlmodel import Session

from connectors.forms import split_settings
from domain.config import Settings
from domain.roles import LOCAL_ADMIN, system_access
from domain.source_kinds import SourceKind
from sandbox.demo_crm import demo_salesforce_login
from services.connections import check_connection
from storage.connections import create_connection
from storage.secret_box import secret_box
from storage.workspaces import create_workspace, list_workspaces

log = logging.getLogger(__name__)

DEMO_WORKSPACE = "Demo"
DEMO_CONNECTION = "Demo CRM (Salesforce sandbox)"


def ensure_demo_workspace(session: Session, settings: Settings) -> None:
    """On a first start (no workspace at all), create the Demo workspace on the local Salesforce sandbox.

    A user who deleted the demo keeps it deleted: it is only created when there is no workspace.
    """
    if not settings.demo_enabled or list_workspaces(session):
        return
    try:
        with session.begin_nested():
            workspace = create_workspace(session, DEMO_WORKSPACE, actor=LOCAL_ADMIN, is_demo=True)
            # Exactly what the Connect form stores for a password login (the username is a setting).
            values, secrets = split_settings(
                SourceKind.SALESFORCE, {"auth": "password", "domain": "login", **demo_salesforce_login()}
            )
            connection = create_connection(
                session,
                workspace.id,
                name=DEMO_CONNECTION,
                kind=SourceKind.SALESFORCE,
                settings={**values, "demo_sandbox": True},
                secrets=secrets,
                box=secret_box(settings),
                actor=LOCAL_ADMIN,
            )
    except IntegrityError:
        # Another process created it at the same moment; theirs is as good as ours.
        log.info("demo workspace was created concurrently")
        return
    check_connection(session, connection.id, settings, access=system_access(LOCAL_ADMIN))
