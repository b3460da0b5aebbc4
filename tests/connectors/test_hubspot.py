"""HubSpot connector against the local sandbox, through the unchanged hubspot-api-client."""

import time
from datetime import UTC, datetime

import polars as pl
import pytest

from core.connectors.hubspot import HubSpotConnector
from core.demo import DemoSpec, generate
from core.errors import CredentialsError, QuotaExhausted, SourceUnavailable
from sandbox.demo_org import demo_hubspot_portal
from sandbox.hubspot import HubSpotSandbox


def _connector(sandbox, **settings) -> HubSpotConnector:
    return HubSpotConnector({"host": sandbox.url, **settings}, {"access_token": sandbox.portal.token}, source_key="hubspot")


def test_a_full_read_equals_the_portal_with_one_primary_company_per_deal(hs_sandbox):
    frame = _connector(hs_sandbox).read("deals")
    deals = hs_sandbox.portal.objects["deals"]
    assert frame.height == len(deals) and frame["source_id"].is_unique().all()
    expected = pl.DataFrame([{"source_id": d.id, **d.properties} for d in deals]).select(frame.columns[:12] and
                                                                                          ["source_id", "dealname", "amount", "dealstage", "pipeline", "closedate"])
    assert frame.select(expected.columns).sort("source_id").equals(expected.sort("source_id"))
    companies = hs_sandbox.portal.deal_companies
    assert frame.filter(pl.col("associated_company_id").is_not_null()).height == len(companies)
    assert all(frame.filter(pl.col("source_id") == d)["associated_company_id"].item() == c[0] for d, c in list(companies.items())[:25])
    pages = [p for _, p in hs_sandbox.requests if p == "/crm/v3/objects/deals"]
    assert len(pages) >= 5  # 450 deals, 100 per page, plus the archived sweep


def test_stages_are_keyed_by_internal_id_with_probability_0_to_1(hs_sandbox):
    stages = _connector(hs_sandbox).stages()
    assert set(stages["pipeline_id"]) == {"default", "731000001"}
    row = stages.filter(pl.col("stage_id") == "contractsent")
    assert row["label"].item() == "Contracting" and row["probability"].item() == pytest.approx(0.8)
    assert stages.filter(pl.col("is_won"))["stage_id"].sort().to_list() == ["1034005", "closedwon"]
    assert stages.filter(pl.col("stage_id") == "1029001")["is_active"].item() is False  # archived, still listed


def test_archived_deals_become_tombstones_in_full_and_incremental_reads(hs_sandbox):
    deal = hs_sandbox.portal.objects["deals"][3]
    deal.archived, deal.archived_at, deal.updated_at = True, "2026-11-02T00:00:00Z", "2026-11-02T00:00:00Z"
    for since in (None, datetime(2026, 10, 1, tzinfo=UTC)):
        frame = _connector(hs_sandbox).read("deals", since=since)
        assert frame.filter(pl.col("source_id") == deal.id)["is_deleted"].to_list() == [True]


def test_incremental_search_splits_windows_past_the_10000_cap_and_reads_each_deal_once():
    portal = demo_hubspot_portal(data=generate(DemoSpec(seed=3, accounts=300, opportunities=25_000, movements=50)))
    with HubSpotSandbox(portal) as sandbox:
        since = datetime(2025, 1, 1, tzinfo=UTC)
        frame = _connector(sandbox, lookback_minutes=0).read("deals", since=since)
        searches = [p for _, p in sandbox.requests if p.endswith("/search")]
    expected = {d.id for d in portal.objects["deals"]
                if datetime.fromisoformat(d.properties["hs_lastmodifieddate"].replace("Z", "+00:00")) >= since}
    assert len(expected) > 10_000
    assert set(frame["source_id"]) == expected and frame["source_id"].is_unique().all()
    assert len(searches) > len(expected) // 200  # several windows, every page fetched


def test_owners_and_describe(hs_sandbox):
    connector = _connector(hs_sandbox)
    assert connector.owners().filter(pl.col("owner_id") == "910901")["name"].item() == "Dana Seller"
    deals = next(o for o in connector.describe() if o.name == "deals")
    fields = {f.name: f for f in deals.fields}
    assert fields["customer_segment"].custom and not fields["amount"].custom
    assert "closedwon" in fields["dealstage"].picklist_values


def test_connection_check_shows_portal_and_api_budget(hs_sandbox):
    check = _connector(hs_sandbox).test_connection()
    assert check.ok and "portal 4200001" in check.headline and "daily API calls left" in check.headline


# --- faults -------------------------------------------------------------------------------------

def test_a_rotated_token_asks_to_re_authorize(hs_sandbox):
    hs_sandbox.portal.token = "pat-rotated"
    with pytest.raises(CredentialsError, match="credential expired or rotated — re-authorize in Connect"):
        HubSpotConnector({"host": hs_sandbox.url}, {"access_token": "pat-na1-sandbox"}, source_key="h").read("deals")


def test_429_honours_retry_after_and_the_read_completes(hs_sandbox):
    fault = hs_sandbox.inject("status", path_contains="/crm/v3/objects/deals", times=2, **HubSpotSandbox.rate_limited(1))
    started = time.monotonic()
    frame = _connector(hs_sandbox).read("deals")
    assert fault.hits == 2 and time.monotonic() - started >= 2.0
    assert frame.height == len(hs_sandbox.portal.objects["deals"]) and frame["source_id"].is_unique().all()


def test_a_persistent_429_stops_cleanly(hs_sandbox):
    hs_sandbox.inject("status", path_contains="/crm/v3/objects/deals", **HubSpotSandbox.rate_limited(0))
    with pytest.raises(QuotaExhausted, match="rate limit"):
        _connector(hs_sandbox, max_retries=1).read("deals")


def test_a_server_error_mid_pagination_fails_the_whole_read_and_a_rerun_completes(hs_sandbox):
    hs_sandbox.inject("status", path_contains="after=200", status=500)
    with pytest.raises(SourceUnavailable, match=r"deals \(page 3\).*nothing from this read was used"):
        _connector(hs_sandbox, max_retries=1).read("deals")
    hs_sandbox.clear_faults()
    assert _connector(hs_sandbox).read("deals").height == len(hs_sandbox.portal.objects["deals"])


def test_a_dropped_connection_fails_the_whole_read(hs_sandbox):
    hs_sandbox.inject("drop", path_contains="after=100")
    with pytest.raises(SourceUnavailable, match="connection to HubSpot failed"):
        _connector(hs_sandbox, max_retries=1).read("deals")


def test_malformed_json_is_a_clear_error(hs_sandbox):
    hs_sandbox.inject("malformed_json", path_contains="after=100")
    with pytest.raises(SourceUnavailable, match=r"not valid JSON for deals \(page 2\)"):
        _connector(hs_sandbox).read("deals")
