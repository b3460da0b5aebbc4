"""Stage history through the sync and the calibration built on it: a Salesforce workspace's history lands with
the run, an incremental run adds only what is new, the rates match a count by hand, and using a rate as the
weight is refused on thin data and audited when approved (issue 22)."""

from __future__ import annotations

from datetime import date

import polars as pl
import pytest

from domain.canonical import Domain
from domain.errors import NotPermitted, ValidationError
from domain.roles import Access, Role, system_access
from sandbox.demo_data import DemoSpec, generate
from sandbox.demo_org import demo_salesforce_org
from sandbox.salesforce import SalesforceSandbox
from services.stage_calibration import forecast_weightings, stage_calibration, use_historical_rate
from services.sync.run import run_sync
from storage.db import session_scope
from storage.frames import read_workspace_table
from storage.stage_history import stored_history
from storage.workspaces import load_stage_set
from tests.conftest import salesforce_workspace

SPEC = DemoSpec(seed=13, accounts=60, opportunities=400, movements=60)
AS_OF = date(2026, 11, 1)
ADMIN = system_access("t")


@pytest.fixture
def synced(settings):
    """A workspace on the demo org (Opportunity with its history), mapped, reconciled and synced once."""
    data = generate(SPEC)
    with SalesforceSandbox(demo_salesforce_org(data=data)) as sandbox:
        engine, workspace_id = salesforce_workspace(settings, sandbox)
        first = run_sync(engine, settings, workspace_id, trigger="test", access=ADMIN)
        yield engine, workspace_id, sandbox, data, first


def test_the_history_lands_with_the_run_and_an_incremental_run_adds_only_new_entries(synced, settings):
    engine, workspace_id, sandbox, data, first = synced
    pipeline = first.domains[Domain.PIPELINE]
    entries = data["stage_history"].height
    assert pipeline.stage_history == [f"Stage history of Opportunity: {entries:,} entries"]
    stored = stored_history(engine, workspace_id)
    assert stored.height == entries

    # One deal moves on in the CRM: a new history row and a newer modification stamp.
    history = sandbox.org.objects["OpportunityHistory"].records
    deal = history[0]["OpportunityId"]
    history.append(
        {
            "Id": "008Dm9999999999AAA",
            "OpportunityId": deal,
            "StageName": "Contracting",
            "CreatedDate": "2026-11-20T10:00:00.000+0000",
            "SystemModstamp": "2026-11-20T10:00:00.000+0000",
            "IsDeleted": False,
        }
    )
    sandbox.reindex()
    second = run_sync(engine, settings, workspace_id, trigger="test", access=ADMIN)
    assert second.domains[Domain.PIPELINE].stage_history == [
        "Stage history of Opportunity: 1 entry read since the last run"
    ]
    assert stored_history(engine, workspace_id).height == entries + 1


def test_rates_match_a_count_by_hand_and_the_forecast_shows_both_weightings(synced):
    engine, workspace_id, _, data, _ = synced
    calibration = stage_calibration(engine, workspace_id, window="All history", as_of=AS_OF)
    assert calibration.history_entries == data["stage_history"].height
    rows = {r["stage"]: r for r in calibration.table.to_dicts()}
    # By hand from the generator's own frames: closed deals whose history (or win) passes the proposal bar.
    opportunities = data["opportunities"]
    proposal_like = {"Proposal Sent", "Contracting", "Quote Sent", "Verbal Commit"}
    reached = set(data["stage_history"].filter(pl.col("StageName").is_in(proposal_like))["OpportunityId"].to_list())
    # Deals held in quarantine (the demo's planted bad rows) did not land, so they say nothing.
    held = read_workspace_table(engine, "quarantine", workspace_id)["source_id"].to_list()
    closed = opportunities.filter(
        pl.col("StageName").is_in(["Closed Won", "Closed Lost", "Renewed", "Not Renewed"])
        & (pl.col("CloseDate") <= AS_OF.isoformat())
        & ~pl.col("Id").is_in(held)
    )
    won = pl.col("StageName").is_in(["Closed Won", "Renewed"])
    behind = closed.filter(won | pl.col("Id").is_in(list(reached)))
    assert rows["proposal"]["closed_deals"] == behind.height
    assert rows["proposal"]["won"] == behind.filter(won).height
    assert rows["proposal"]["enough_data"] and 0 < rows["proposal"]["historical_rate"] < 1

    both = forecast_weightings(engine, workspace_id, ADMIN, window="All history", reporting="USD")
    assert both.table.columns[:2] == ["Stage", "Open deals"]
    assert both.historical == pytest.approx(both.table["Weighted, historical (USD)"].sum())
    assert both.configured == pytest.approx(both.table["Weighted, configured (USD)"].sum())
    assert both.configured != both.historical
    # A role that may not see amounts gets the rates and counts only: one stage's total may be one customer's deal.
    viewer = forecast_weightings(engine, workspace_id, Access("v", Role.VIEWER), window="All history", reporting="USD")
    assert not any("USD" in c for c in viewer.table.columns) and "Historical rate" in viewer.table.columns
    assert viewer.configured is None and viewer.historical is None


def test_using_a_rate_as_the_weight_needs_enough_deals_permission_and_is_audited(synced):
    engine, workspace_id, _, _, _ = synced
    calibration = stage_calibration(engine, workspace_id, window="All history", as_of=AS_OF)
    rows = {r["stage"]: r for r in calibration.table.to_dicts()}
    with pytest.raises(NotPermitted):
        use_historical_rate(
            engine, workspace_id, "proposal", window="All history", access=Access("v", Role.VIEWER), as_of=AS_OF
        )
    # Half a year up to mid-2025 holds only the demo's first few weeks of closed deals: too few to offer a rate.
    early = date(2025, 7, 1)
    short = stage_calibration(engine, workspace_id, window="Last 6 months", as_of=early)
    few = next(r for r in short.table.to_dicts() if not r["enough_data"])
    with pytest.raises(ValidationError, match="fewer than 30"):
        use_historical_rate(engine, workspace_id, few["stage"], window="Last 6 months", access=ADMIN, as_of=early)

    weight = use_historical_rate(engine, workspace_id, "proposal", window="All history", access=ADMIN, as_of=AS_OF)
    assert weight == round(rows["proposal"]["historical_rate"], 2)
    with session_scope(engine) as session:
        stages = {s.key: s.weight for s in load_stage_set(session, workspace_id)}
    assert stages["proposal"] == weight and stages["negotiation"] == 0.8  # only that stage changed
    audit = read_workspace_table(engine, "audit", workspace_id)
    approval = audit.filter(pl.col("entity") == "historical_stage_rate")
    assert approval.height == 1 and approval["action"][0] == "approve"
    assert "closed_deals" in approval["detail_json"][0] and "All history" in approval["detail_json"][0]
    assert audit.filter(pl.col("entity") == "stage_set").height >= 1
