"""Stage history from both CRMs, through the unchanged client libraries: every stage a deal entered, in the
stage IDs the mapping keys stages by, with when it entered it."""

from datetime import UTC, datetime

import polars as pl

from connectors.base import STAGE_HISTORY_SCHEMA
from connectors.hubspot import HubSpotConnector
from connectors.salesforce import SalesforceConnector
from domain.salesforce_ids import to_18
from sandbox.demo_org import _HUBSPOT_STAGE_IDS
from tests.connectors.conftest import sf_login


def _expected(small_data) -> pl.DataFrame:
    return small_data["stage_history"].select(
        to_18(pl.col("OpportunityId")).alias("source_id"), pl.col("StageName").alias("stage"), "CreatedDate"
    )


def test_salesforce_reads_opportunity_history_whole_and_since_a_moment(sf_sandbox, small_data):
    connector = SalesforceConnector(*sf_login(sf_sandbox), source_key="sf")
    history = connector.stage_history("Opportunity")
    assert history is not None and history.schema == pl.Schema(STAGE_HISTORY_SCHEMA)
    expected = _expected(small_data)
    assert history.height == expected.height > 1000
    assert sorted(history.select("source_id", "stage").rows()) == sorted(expected.select("source_id", "stage").rows())

    moment = datetime(2026, 6, 1, tzinfo=UTC)
    later = connector.stage_history("Opportunity", since=moment)
    assert later is not None and 0 < later.height < history.height
    assert later["entered_at"].min() > moment
    assert later.height == history.filter(pl.col("entered_at") > moment).height
    # Bulk API 2.0 above the threshold gives the same rows.
    bulk = SalesforceConnector(*sf_login(sf_sandbox, bulk_threshold=100), source_key="sf").stage_history("Opportunity")
    assert bulk is not None and sorted(bulk.rows()) == sorted(history.rows())


def test_salesforce_keeps_no_stage_history_for_other_objects(sf_sandbox):
    connector = SalesforceConnector(*sf_login(sf_sandbox), source_key="sf")
    assert connector.stage_history("ARR_Movement__c") is None


def test_hubspot_reads_the_dealstage_history_in_stage_ids_whole_and_for_changed_deals(hs_sandbox, small_data):
    connector = HubSpotConnector(
        {"host": hs_sandbox.url}, {"access_token": hs_sandbox.portal.token}, source_key="hubspot"
    )
    history = connector.stage_history("deals")
    assert history is not None and history.schema == pl.Schema(STAGE_HISTORY_SCHEMA)
    expected = _expected(small_data)
    assert history.height == expected.height
    assert set(history["stage"].unique()) <= set(_HUBSPOT_STAGE_IDS.values()) | {"Pilot Extension"}
    # Pages of 50 when a history is asked for: 450 deals take 9 pages.
    assert connector.api_calls == 9

    # Changed deals only: the search finds them, their history comes in batches of 50.
    changed = hs_sandbox.portal.objects["deals"][:3]
    for record in changed:
        record.updated_at = "2026-12-01T10:00:00Z"
        record.properties["hs_lastmodifieddate"] = "2026-12-01T10:00:00Z"
    fresh = HubSpotConnector(
        {"host": hs_sandbox.url, "lookback_minutes": 0},
        {"access_token": hs_sandbox.portal.token},
        source_key="hubspot",
    )
    since = fresh.stage_history("deals", since=datetime(2026, 11, 30, tzinfo=UTC))
    assert since is not None
    assert set(since["source_id"]) == {r.id for r in changed}
    assert since.height == history.filter(pl.col("source_id").is_in([r.id for r in changed])).height
    assert fresh.stage_history("companies") is None
