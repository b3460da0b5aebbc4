"""The Demo workspace's CRM: the local Salesforce sandbox, started in this process on a free port.

This is the only product module that touches sandbox/: it lets the demo run exactly the code path a
real Salesforce org runs (simple-salesforce, SOQL paging, describe, stages), with no internet.
"""

from __future__ import annotations

import threading

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
    return _sandbox.url


def demo_salesforce_login() -> dict[str, str]:
    """The demo org's login (a local sandbox credential, not a secret of anyone's)."""
    from sandbox.salesforce import SalesforceOrg

    org = SalesforceOrg()
    return {"username": org.username, "password": org.password, "security_token": org.security_token}
