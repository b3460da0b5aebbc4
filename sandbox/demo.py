"""The built-in demo, installed at startup by name (REVENUE_CONNECTOR_DEMO_MODULE): the local Salesforce
sandbox answers for the Demo connection, and a first start creates the Demo workspace on it."""

from __future__ import annotations

from sqlalchemy import Engine

from connectors.registry import DEMO_ENDPOINT, register_endpoint
from domain.config import Settings
from sandbox.demo_crm import demo_salesforce_url
from sandbox.demo_workspace import ensure_demo_workspace
from storage.db import session_scope


def install(engine: Engine, settings: Settings) -> None:
    """Point the demo connection at the emulator (started on first use) and make sure a first start has its demo."""
    register_endpoint(DEMO_ENDPOINT, demo_salesforce_url)
    with session_scope(engine) as session:
        ensure_demo_workspace(session, settings)
