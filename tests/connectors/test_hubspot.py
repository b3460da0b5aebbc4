"""HubSpot connector against the local sandbox, through the unchanged hubspot-api-client."""

import time
from datetime import UTC, date, datetime

import polars as pl
import pytest

from connectors.hubspot import HubSpotConnector
from domain.errors import CredentialsError, QuotaExhausted, SourceUnavailable
from sandbox.demo_data import DemoSpec, generate
from sandbox.demo_org import demo_hubspot_portal
from sandbox.hubspot import HubSpotSandbox


def _connector(sandbox, **settings) -> HubSpotConnector:
    return HubSpotConnector(
        {"host": sandbox.url, **settings}, {"access_token": sandbox.portal.token}, source_key="hubspot"
    )


def test_a_full_read_equals_the_portal_with_one_primary_company_per_deal(hs_sandbox):
    frame = _connector(hs_sandbox).read("deals")
    deals = hs_sandbox.portal.objects["deals"]
    assert frame.height == len(deals) and frame["source_id"].is_unique().all()
    expected = pl.DataFrame([{"source_id": d.id, **d.properties} for d in deals]).select(
        frame.columns[:12] and ["source_id", "dealname", "amount", "dealstage", "pipeline", "closedate"]
    )
    assert frame.select(expected.columns).sort("source_id").equals(expected.sort("source_id"))
    companies = hs_sandbox.portal.deal_companies
    assert frame.filter(pl.col("associated_company_id").is_not_null()).height == len(companies)
    assert all(
        frame.filter(pl.col("source_id") == d)["associated_company_id"].item() == c[0]
        for d, c in list(companies.items())[:25]
    )
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
    expected = {
        d.id
        for d in portal.objects["deals"]
        if datetime.fromisoformat(d.properties["hs_lastmodifieddate"].replace("Z", "+00:00")) >= since
    }
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
    fault = hs_sandbox.inject(
        "status", path_contains="/crm/v3/objects/deals", times=2, **HubSpotSandbox.rate_limited(1)
    )
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


# --- real-portal shapes ---------------------------------------------------------------------------


def test_an_incremental_window_with_only_archived_or_company_less_deals_still_has_every_column(hs_sandbox):
    deals = hs_sandbox.portal.objects["deals"]
    archived, lonely = deals[5], deals[6]
    archived.archived, archived.archived_at = True, "2026-11-20T10:00:00Z"
    hs_sandbox.portal.deal_companies.pop(lonely.id, None)
    lonely.properties["hs_lastmodifieddate"] = lonely.updated_at = "2026-11-20T10:00:00Z"
    connector = _connector(hs_sandbox, lookback_minutes=0)
    window = connector.read("deals", since=datetime(2026, 11, 20, tzinfo=UTC))
    assert set(window["source_id"]) == {archived.id, lonely.id}
    full = connector.read("deals")
    # The same columns as a full read, so the mapping of associated_company_id (and the owner) still applies.
    assert window.columns == full.columns
    assert {"associated_company_id", "owner.email", "owner.name"} <= set(window.columns)
    assert window["associated_company_id"].to_list() == [None, None]


def test_a_deal_archived_without_a_new_updated_at_is_swept_by_its_archived_at(hs_sandbox):
    deal = hs_sandbox.portal.objects["deals"][3]
    deal.archived, deal.archived_at = True, "2026-11-20T10:00:00Z"
    assert deal.updated_at < "2026-06-01"  # archiving did not move updatedAt
    frame = _connector(hs_sandbox).read("deals", since=datetime(2026, 11, 15, tzinfo=UTC))
    tombstone = frame.filter(pl.col("source_id") == deal.id)
    assert tombstone["is_deleted"].to_list() == [True]
    assert tombstone["source_modified_at"].item() == datetime(2026, 11, 20, 10, tzinfo=UTC)


def test_owner_ids_resolve_to_e_mail_and_name_even_for_a_deactivated_owner(hs_sandbox):
    portal = hs_sandbox.portal
    gone = portal.owners[1]
    gone["archived"] = True
    frame = _connector(hs_sandbox).read("deals")
    owners = {o["id"]: o for o in portal.owners}
    owned = frame.filter(pl.col("hubspot_owner_id").is_not_null())
    assert owned.height > 0 and owned["owner.email"].null_count() == 0
    for row in owned.head(40).iter_rows(named=True):
        owner = owners[row["hubspot_owner_id"]]
        assert row["owner.email"] == owner["email"]
        assert row["owner.name"] == f"{owner['firstName']} {owner['lastName']}"
    assert owned.filter(pl.col("hubspot_owner_id") == gone["id"])["owner.email"].unique().to_list() == [gone["email"]]
    describe = {f.name for f in next(o for o in _connector(hs_sandbox).describe() if o.name == "deals").fields}
    assert {"owner.email", "owner.name", "associated_company_id"} <= describe


def test_a_close_date_with_a_time_of_day_is_the_date_in_the_portals_time_zone(hs_sandbox):
    from domain.mapping_config import from_yaml
    from domain.stage_set import default_stage_set
    from domain.transform import transform

    hs_sandbox.portal.time_zone = "America/New_York"
    deal = hs_sandbox.portal.objects["deals"][0]
    deal.properties.update(
        closedate="2025-03-31T03:00:00Z",  # 30 March, 23:00 in New York
        dealstage="appointmentscheduled",
        pipeline="default",
        amount="1000",
    )
    connector = _connector(hs_sandbox)
    assert connector.time_zone() == "America/New_York"
    frame = connector.read("deals")
    mapping = from_yaml("""
objects: [{source: hubspot, object: deals, domain: pipeline, pipeline_field: pipeline,
           fields: {associated_company_id: {to: account}, dealstage: {to: stage}, amount: {to: amount, type: currency},
                    closedate: {to: expected_close, type: date}}}]
stages: [{pipeline: default, stage: appointmentscheduled, to: prospecting}]
""")
    crosswalk = (
        pl.DataFrame({"source_account_id": frame["associated_company_id"].drop_nulls().unique()})
        .with_row_index("account_id", offset=1)
        .cast({"account_id": pl.Int64})
    )
    result = transform(
        frame.filter(pl.col("source_id") == deal.id),
        mapping.objects[0],
        mapping,
        default_stage_set(),
        crosswalk,
        time_zone=connector.time_zone(),
    )
    assert result.quarantine.is_empty()
    assert result.canonical["expected_close"].to_list() == [date(2025, 3, 30)]
