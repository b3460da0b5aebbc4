"""The Demo workspace's CRM: the local Salesforce sandbox, started in this process on a free port.

The demo runs exactly the code path a real Salesforce org runs (simple-salesforce, SOQL paging, describe,
stages), with no internet; `sandbox/demo.py` registers it with the connector registry at startup.
"""

from __future__ import annotations

import os
import threading

from domain.errors import ConfigurationError

_lock = threading.Lock()
_sandbox = None


def demo_salesforce_url() -> str:
    """Base URL of the demo org's sandbox, starting it on first use (once per process)."""
    global _sandbox
    with _lock:
        if _sandbox is None:
            from sandbox.demo_org import demo_salesforce_org
            from sandbox.salesforce import SalesforceSandbox

            _sandbox = SalesforceSandbox(demo_salesforce_org()).start()
            _inject_demo_fault(_sandbox)
    return _sandbox.url


DEMO_FAULT_ENV = "REVENUE_CONNECTOR_DEMO_FAULT"


def _inject_demo_fault(sandbox) -> None:
    """REVENUE_CONNECTOR_DEMO_FAULT=503 (or 401, 403…) makes this process's demo org answer every query with
    that HTTP status, so a user can watch a scheduled run fail and the alert arrive without breaking anything."""
    status = os.environ.get(DEMO_FAULT_ENV, "").strip()
    if not status:
        return
    if not status.isdigit():
        raise ConfigurationError(f"{DEMO_FAULT_ENV}='{status}' is not an HTTP status such as 503.")
    code = {401: "INVALID_SESSION_ID", 403: "REQUEST_LIMIT_EXCEEDED"}.get(int(status), "SERVER_UNAVAILABLE")
    sandbox.inject(
        "status",
        path_contains="/query",
        status=int(status),
        payload=[{"errorCode": code, "message": f"Injected by {DEMO_FAULT_ENV} for the demo."}],
    )


def demo_salesforce_login() -> dict[str, str]:
    """The demo org's login (a local sandbox credential, not a secret of anyone's)."""
    from sandbox.salesforce import SalesforceOrg

    org = SalesforceOrg()
    return {"username": org.username, "password": org.password, "security_token": org.security_token}
