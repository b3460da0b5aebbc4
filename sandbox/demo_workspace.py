"""The built-in Demo workspace: created on the very first start when nothing is configured."""

from __future__ import annotations

import logging

from sqlalchemy.exc import IntegrityError
from sqlmodel import Session

from connectors.forms import split_settings
from domain.canonical import Domain
from domain.config import PROJECT_ROOT, Settings
from domain.roles import LOCAL_ADMIN, system_access
from domain.routing import RouteChoice
from domain.source_kinds import SourceKind
from sandbox.demo_crm import demo_salesforce_login
from services.connections import check_connection
from storage.connections import create_connection
from storage.mappings import save_mapping
from storage.routing import save_routes
from storage.secret_box import secret_box
from storage.tables import Connection
from storage.workspaces import create_workspace, list_workspaces

log = logging.getLogger(__name__)

DEMO_WORKSPACE = "Demo"
CONTRACTS_WORKSPACE = "Demo · ARR from contracts"
CONTRACTS_MAPPING = PROJECT_ROOT / "docs" / "demo-contracts-mapping.yaml"
DEMO_SOURCE_KEY = "demo_crm_salesforce_sandbox"  # the key the demo mappings name; each connection has its own
DEMO_CONNECTION = "Demo CRM (Salesforce sandbox)"


def ensure_demo_workspace(session: Session, settings: Settings) -> None:
    """On a first start (no workspace at all), create the Demo workspace on the local Salesforce sandbox, to walk
    the five steps in, and a second one routed and mapped, with ARR actuals derived from the org's contracts: reconcile
    and sync it (steps 4 and 5) for a full ARR bridge.

    A user who deleted the demos keeps them deleted: they are only created when there is no workspace.
    """
    if not settings.demo_enabled or list_workspaces(session):
        return
    try:
        with session.begin_nested():
            workspace = create_workspace(session, DEMO_WORKSPACE, actor=LOCAL_ADMIN, is_demo=True)
            connection = _demo_connection(session, workspace.id, settings)
            contracts = create_workspace(session, CONTRACTS_WORKSPACE, actor=LOCAL_ADMIN, is_demo=True)
            contracts_connection = _demo_connection(session, contracts.id, settings)
            save_routes(
                session,
                contracts.id,
                Domain.PIPELINE,
                [RouteChoice(contracts_connection.id, "Opportunity")],
                actor=LOCAL_ADMIN,
            )
            save_routes(
                session,
                contracts.id,
                Domain.ARR_ACTUALS,
                [RouteChoice(contracts_connection.id, "Contract")],
                actor=LOCAL_ADMIN,
            )
            mapping = CONTRACTS_MAPPING.read_text().replace(DEMO_SOURCE_KEY, contracts_connection.source_key)
            save_mapping(session, contracts.id, mapping, actor=LOCAL_ADMIN)
    except IntegrityError:
        # Another process created it at the same moment; theirs is as good as ours.
        log.info("demo workspace was created concurrently")
        return
    admin = system_access(LOCAL_ADMIN)
    check_connection(session, connection.id, settings, access=admin)
    # Up to step 4: reconciling (a read of every account) is left to the user, so a first start stays quick.
    check_connection(session, contracts_connection.id, settings, access=admin)


def _demo_connection(session: Session, workspace_id: int, settings: Settings) -> Connection:
    # Exactly what the Connect form stores for a password login (the username is a setting).
    values, secrets = split_settings(
        SourceKind.SALESFORCE, {"auth": "password", "domain": "login", **demo_salesforce_login()}
    )
    return create_connection(
        session,
        workspace_id,
        name=DEMO_CONNECTION,
        kind=SourceKind.SALESFORCE,
        settings={**values, "demo_sandbox": True},
        secrets=secrets,
        box=secret_box(settings),
        actor=LOCAL_ADMIN,
    )
