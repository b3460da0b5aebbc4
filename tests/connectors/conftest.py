"""Sandboxes for connector tests: the real client libraries talk HTTP to local emulators."""

from __future__ import annotations

import pytest

from sandbox.demo_data import DemoSpec, generate
from sandbox.demo_org import demo_hubspot_portal, demo_salesforce_org
from sandbox.hubspot import HubSpotSandbox
from sandbox.salesforce import SalesforceSandbox

SMALL = DemoSpec(seed=5, accounts=80, opportunities=450, movements=300)


@pytest.fixture(scope="session")
def small_data():
    return generate(SMALL)


@pytest.fixture
def sf_sandbox(small_data):
    with SalesforceSandbox(demo_salesforce_org(data=small_data)) as sandbox:
        yield sandbox


@pytest.fixture
def hs_sandbox(small_data):
    with HubSpotSandbox(demo_hubspot_portal(data=small_data)) as sandbox:
        yield sandbox


def sf_login(sandbox: SalesforceSandbox, **settings) -> tuple[dict, dict]:
    """Settings and secrets of a password login, split the way the Connect form splits them."""
    org = sandbox.org
    return (
        {"api_base_url": sandbox.url, "auth": "password", "username": org.username, **settings},
        {"password": org.password, "security_token": org.security_token},
    )
