"""Stage weights against what closed, as a user meets them: Settings and step 3 show the historical rates beside
the weights, 'Use the historical rate' re-weights one stage, Revenue shows the forecast under both weightings,
and a file workspace says why it has no history (issue 22)."""

import pytest

from domain.config import load_settings
from domain.roles import system_access
from sandbox.demo_data import DemoSpec, generate
from sandbox.demo_org import demo_salesforce_org
from sandbox.salesforce import SalesforceSandbox
from services.sync import run_sync
from storage.db import session_scope
from storage.workspaces import load_stage_set
from tests.conftest import file_workspace, salesforce_workspace
from tests.pages.conftest import texts

SPEC = DemoSpec(seed=13, accounts=60, opportunities=400, movements=60)


@pytest.fixture
def synced(env, monkeypatch):
    """'Acme' on the demo org, synced once: its stage history is stored."""
    monkeypatch.setenv("REVENUE_CONNECTOR_DEMO", "0")
    settings = load_settings({**env, "REVENUE_CONNECTOR_DEMO": "0"})
    with SalesforceSandbox(demo_salesforce_org(data=generate(SPEC))) as sandbox:
        engine, ws_id = salesforce_workspace(settings, sandbox)
        run_sync(engine, settings, ws_id, trigger="test", access=system_access("t"))
    yield engine, ws_id
    engine.dispose()


def _calibration_table(at):
    return next(
        f.value for f in at.dataframe if "Historical rate" in f.value.columns and "95% range" in f.value.columns
    )


def test_settings_shows_rates_beside_weights_and_a_rate_becomes_the_weight(open_page, synced):
    engine, ws_id = synced
    settings = open_page("settings", ws="Acme")
    assert not settings.exception, settings.exception
    assert "Weights against what actually closed" in texts(settings)
    settings.selectbox(key="settings_calibration_window").set_value("All history").run()
    table = _calibration_table(settings)
    assert list(table["Stage"]) == ["Prospecting", "Qualification", "Evaluation", "Proposal", "Negotiation"]
    assert table["Configured weight"][3] == "60%" and table["Historical rate"][3].endswith("%")
    proposal = table["Suggestion"][3]
    assert proposal.startswith("Suggest ")
    settings.selectbox(key="settings_calibration_stage").set_value("proposal").run()
    settings.button(key="settings_calibration_use").click().run()
    assert not settings.exception, settings.exception
    assert any("Proposal now weighs" in str(s.value) for s in settings.success)
    with session_scope(engine) as session:
        weight = next(s.weight for s in load_stage_set(session, ws_id) if s.key == "proposal")
    assert f"{weight:.0%}" == proposal.removeprefix("Suggest ")
    assert "Weight matches history" in list(_calibration_table(settings)["Suggestion"])


def test_step_3_shows_the_same_evidence_and_revenue_both_weightings(open_page, synced):
    mapping = open_page("mapping", ws="Acme")
    assert not mapping.exception, mapping.exception
    assert len(_calibration_table(mapping)) == 5
    revenue = open_page("revenue", ws="Acme")
    assert not revenue.exception, revenue.exception
    labels = {m.label: m.value for m in revenue.metric}
    assert (
        labels["At historical rates"].endswith("USD")
        and labels["At historical rates"] != labels["Weighted open pipeline"]
    )
    table = next(f.value for f in revenue.dataframe if "Weighted, historical (USD)" in f.value.columns)
    assert list(table["Configured weight"]) == ["10%", "20%", "40%", "60%", "80%"]


def test_a_file_workspace_says_why_it_has_no_stage_history(open_page, env, monkeypatch, tmp_path):
    monkeypatch.setenv("REVENUE_CONNECTOR_DEMO", "0")
    settings = load_settings({**env, "REVENUE_CONNECTOR_DEMO": "0"})
    engine, ws_id = file_workspace(settings, tmp_path / "export")
    run_sync(engine, settings, ws_id, trigger="test", access=system_access("t"))
    page = open_page("settings", ws="Acme")
    assert not page.exception, page.exception
    assert "No stage history yet" in texts(page) and "a file or warehouse source keeps none" in texts(page)
    engine.dispose()
