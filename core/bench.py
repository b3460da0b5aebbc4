"""Benchmarks that print figures (speed goals live here, not in timed tests).

`python -m core bench extract --records N` reads N opportunities/deals from the local sandboxes
through the real client libraries: Salesforce REST (SOQL paging), Salesforce Bulk API 2.0, and
HubSpot (object pages with associations). The sandboxes run in this process, so the figures include
the emulators' own work and are a floor for what the connectors do, not a forecast of a real org.
"""

from __future__ import annotations

import resource
import time
from collections.abc import Callable


def _timed(label: str, read: Callable[[], object], records: int, calls: Callable[[], int]) -> dict[str, float]:
    started = time.perf_counter()
    frame = read()
    seconds = time.perf_counter() - started
    assert getattr(frame, "height", records) == records, f"{label}: read {getattr(frame, 'height', '?')} of {records}"
    rate = records / seconds if seconds else float("inf")
    print(f"{label:<28} {records:>9,} records  {seconds:7.2f} s  {rate:>10,.0f} records/s  {calls():>5} API calls")
    return {"seconds": seconds, "records_per_second": rate}


def bench_extract(records: int, seed: int = 11) -> dict[str, dict[str, float]]:
    """Time full extracts of `records` opportunities through each path; prints one line per path."""
    from core.connectors.hubspot import HubSpotConnector
    from core.connectors.salesforce import SalesforceConnector
    from core.demo import DemoSpec, generate
    from sandbox.demo_org import demo_hubspot_portal, demo_salesforce_org
    from sandbox.hubspot import HubSpotSandbox
    from sandbox.salesforce import SalesforceSandbox

    data = generate(DemoSpec(seed=seed, accounts=max(100, records // 20), opportunities=records, movements=100))
    results = {}
    org = demo_salesforce_org(data=data)
    login = {"username": org.username, "password": org.password, "security_token": org.security_token}
    with SalesforceSandbox(org) as sandbox:
        rest = SalesforceConnector({"api_base_url": sandbox.url, "bulk_threshold": records + 1}, login, source_key="sf")
        results["salesforce_rest"] = _timed("Salesforce REST (query)", lambda: rest.read("Opportunity"), records,
                                            lambda: rest.api_calls)
        bulk = SalesforceConnector({"api_base_url": sandbox.url, "bulk_threshold": 0}, login, source_key="sf")
        results["salesforce_bulk2"] = _timed("Salesforce Bulk API 2.0", lambda: bulk.read("Opportunity"), records,
                                             lambda: bulk.api_calls)
    portal = demo_hubspot_portal(data=data)
    with HubSpotSandbox(portal) as sandbox:
        hubspot = HubSpotConnector({"host": sandbox.url}, {"access_token": portal.token}, source_key="hs")
        results["hubspot"] = _timed("HubSpot (objects API)", lambda: hubspot.read("deals"), records,
                                    lambda: hubspot.api_calls)
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"peak_rss_mib={peak:.0f}")
    return results
