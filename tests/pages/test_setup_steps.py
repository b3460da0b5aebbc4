"""Walking the setup steps through the pages, and progress that survives a new session."""

import pytest

from domain.canonical import Domain
from domain.config import load_settings
from domain.stage_set import stage_set_revision
from sandbox.demo_data import DemoSpec
from sandbox.hubspot import HubSpotSandbox
from sandbox.salesforce import SalesforceSandbox
from storage.db import open_database, session_scope
from storage.routing import load_routes
from storage.workspaces import load_stage_set
from tests.pages.conftest import texts


def _button(at, label):
    return next(b for b in at.button if b.label == label)


def _route_and_map(open_page):
    """Steps 2 and 3 on the demo: save the suggested routing, import the shipped mapping."""
    from domain.config import PROJECT_ROOT

    at = open_page("domains")
    _button(at, "Save routing").click().run()
    at = open_page("mapping")
    at.file_uploader(key="mapping_upload").set_value(
        [("demo-mapping.yaml", (PROJECT_ROOT / "docs" / "demo-mapping.yaml").read_bytes(), "application/x-yaml")]
    ).run()
    _button(at, "Import").click().run()


def _map_from_suggestions(open_page, *, put_in_force: bool = True):
    """Steps 2 and 3 the reviewer's way: save the suggested routing, accept the auto-accept band of each tab and
    (unless told otherwise) put the approvals in force. Returns the step 3 page."""
    at = open_page("domains")
    _button(at, "Save routing").click().run()
    at = open_page("mapping")
    _button(at, "Suggest mappings").click().run()
    for _ in range(3):
        next(b for b in at.button if b.label.startswith("Accept all") and not b.disabled).click().run()
    if put_in_force:
        next(b for b in at.button if b.label.startswith("Put ")).click().run()
    return at


def test_demo_opens_with_connect_done_and_domains_next(open_page):
    at = open_page("connect")
    shown = texts(at)
    assert "Done. 1 of 1 connection(s) tested OK." in shown
    assert "Demo CRM (Salesforce sandbox)" in shown
    assert "Setup: 1 of 5 steps done" in at.sidebar.get("progress")[0].proto.text


def test_test_connection_reports_what_it_found(open_page):
    at = open_page("connect")
    _button(at, "Test connection").click().run()
    assert not at.exception
    assert any("Connected to Demo Revenue Inc." in s.value and "daily API calls left" in s.value for s in at.success)


def test_adding_a_connection_without_a_folder_names_the_field(open_page):
    at = open_page("connect")
    at.radio(key="connect_kind").set_value("Files (CSV / Parquet)").run()
    at.text_input(key="connect_name").input("Warehouse export")
    _button(at, "Save and test").click().run()
    assert not at.exception
    assert any("Folder with CSV / Parquet files: this field is required." in e.value for e in at.error)


def test_adding_a_folder_connection_tests_it(open_page, tmp_path):
    (tmp_path / "deals.csv").write_text("Id,Amount\n1,100\n")
    at = open_page("connect")
    at.radio(key="connect_kind").set_value("Files (CSV / Parquet)").run()
    at.text_input(key="connect_name").input("Warehouse export")
    at.text_input(key="connect_file_path").input(str(tmp_path))
    _button(at, "Save and test").click().run()
    assert not at.exception
    assert any("1 file readable" in s.value for s in at.success)
    assert "Warehouse export" in texts(at)


def test_uploaded_files_become_a_tested_connection(open_page, env):
    at = open_page("connect")
    at.radio(key="connect_kind").set_value("Files (CSV / Parquet)").run()
    at.text_input(key="connect_name").input("Finance ARR")
    at.file_uploader(key="connect_file_uploads").set_value([("arr_movements.csv", b"Id,Delta\na1,100\n", "text/csv")])
    _button(at, "Save and test").click().run()
    assert not at.exception
    assert any("1 file readable" in s.value for s in at.success)
    assert (load_settings(env).data_dir / "uploads" / "workspace_1" / "finance_arr" / "arr_movements.csv").exists()


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("deals.csv", bytes(range(256)) * 8, "'deals.csv', line 2: byte 129 is not UTF-8 text"),
        (
            "deals.csv",
            b"Id,Name,Amount\n1,Acme\x00 Corp,10\n2,Beta,20,30\n",
            "'deals.csv', line 2, column 'Name': holds a NUL",
        ),
        ("deals.csv", b"Id,Name\n1,Acme\n2,Beta,20\n", "'deals.csv', line 3: has 3 value(s) where the header has 2"),
        (
            "deals.csv",
            b'"unterminated foo,1,2,3\n4,5,6\n',
            "'deals.csv', line 1: a quoted value starts here and is never",
        ),
        ("deals.parquet", b"PAR1 not really", "'deals.parquet' is not a Parquet file"),
    ],
)
def test_a_garbage_upload_is_refused_naming_the_line_and_saves_no_connection(open_page, env, name, content, message):
    from storage.connections import list_connections

    at = open_page("connect")
    at.radio(key="connect_kind").set_value("Files (CSV / Parquet)").run()
    at.text_input(key="connect_name").input("Broken export")
    at.file_uploader(key="connect_file_uploads").set_value([(name, content, "text/csv")])
    _button(at, "Save and test").click().run()
    assert not at.exception
    assert any(message in e.value for e in at.error), [e.value for e in at.error]
    with session_scope(open_database(load_settings(env))) as session:
        assert [c.name for c in list_connections(session, 1)] == ["Demo CRM (Salesforce sandbox)"]
    assert not (load_settings(env).data_dir / "uploads" / "workspace_1" / "broken_export").exists()


def test_a_salesforce_password_login_entered_on_the_connect_page_connects(open_page, env):
    from sandbox.demo_org import demo_salesforce_org
    from storage.connections import connection_settings, list_connections

    org = demo_salesforce_org(DemoSpec(accounts=40, opportunities=120, movements=60))
    with SalesforceSandbox(org) as sandbox:
        at = open_page("connect")
        at.radio(key="connect_kind").set_value("Salesforce").run()
        at.text_input(key="connect_name").input("Salesforce prod")
        at.text_input(key="connect_salesforce_username").input(org.username)
        at.text_input(key="connect_salesforce_password").input(org.password)
        at.text_input(key="connect_salesforce_security_token").input(org.security_token)
        at.text_input(key="connect_salesforce_api_base_url").input(sandbox.url)
        _button(at, "Save and test").click().run()
        assert not at.exception
        assert any(s.value.startswith("Connected to Demo Revenue Inc.") for s in at.success), [
            e.value for e in at.error
        ]
    with session_scope(open_database(load_settings(env))) as session:
        added = next(c for c in list_connections(session, 1) if c.name == "Salesforce prod")
    assert added.last_test_ok and connection_settings(added)["username"] == org.username


def test_a_hubspot_workspace_can_be_connected_from_the_connect_page(open_page, env):
    from sandbox.demo_org import demo_hubspot_portal
    from storage.connections import list_connections

    portal = demo_hubspot_portal(DemoSpec(accounts=40, opportunities=120, movements=60))
    with HubSpotSandbox(portal) as sandbox:
        at = open_page("settings")
        at.text_input(key="settings_workspace_name").input("HubSpot trial").run()
        _button(at, "Create workspace").click().run()
        at = open_page("connect", ws="HubSpot trial")
        at.radio(key="connect_kind").set_value("HubSpot").run()
        at.text_input(key="connect_name").input("HubSpot sandbox")
        at.text_input(key="connect_hubspot_access_token").input(portal.token)
        at.text_input(key="connect_hubspot_host").input(sandbox.url)
        _button(at, "Save and test").click().run()
        assert not at.exception
        assert any("Connected to demo-revenue.hubspot.example (portal 4200001)" in s.value for s in at.success)
        assert "Setup: 1 of 5 steps done" in at.sidebar.get("progress")[0].proto.text
    with session_scope(open_database(load_settings(env))) as session:
        (connection,) = list_connections(session, 2)
    assert portal.token not in (connection.secrets_encrypted or "") and portal.token not in connection.settings_json


def test_a_wrong_salesforce_password_is_shown_on_the_connection(open_page):
    from sandbox.demo_org import demo_salesforce_org

    org = demo_salesforce_org(DemoSpec(accounts=40, opportunities=120, movements=60))
    with SalesforceSandbox(org) as sandbox:
        at = open_page("connect")
        at.radio(key="connect_kind").set_value("Salesforce").run()
        at.text_input(key="connect_name").input("Salesforce prod")
        at.text_input(key="connect_salesforce_username").input(org.username)
        at.text_input(key="connect_salesforce_password").input("not-the-password")
        at.text_input(key="connect_salesforce_api_base_url").input(sandbox.url)
        _button(at, "Save and test").click().run()
        assert not at.exception
        assert any("Salesforce refused the login" in e.value for e in at.error)
        assert "Failing" in texts(at)


def test_saving_routing_completes_step_2_for_every_later_session(open_page, env):
    at = open_page("domains")
    assert at.multiselect(key="domains_pipeline").value == ["Demo CRM (Salesforce sandbox) · Opportunity"]
    assert at.multiselect(key="domains_arr_actuals").value == ["Demo CRM (Salesforce sandbox) · ARR_Movement__c"]
    _button(at, "Save routing").click().run()
    assert not at.exception
    assert any("Routing saved" in s.value for s in at.success)

    engine = open_database(load_settings(env))
    with session_scope(engine) as session:
        routes = load_routes(session, 1)
    assert [r.object_name for r in routes[Domain.PIPELINE]] == ["Opportunity"]

    fresh = open_page("mapping")  # a new session, like a new tab or a direct link
    assert "Finish step" not in texts(fresh)
    assert "Sources for" not in texts(fresh)
    assert "Setup: 2 of 5 steps done" in fresh.sidebar.get("progress")[0].proto.text


def test_importing_the_demo_mapping_completes_step_3(open_page):
    from domain.config import PROJECT_ROOT

    at = open_page("domains")
    _button(at, "Save routing").click().run()
    at = open_page("mapping")
    assert "No mapping in force yet" in texts(at)
    at.file_uploader(key="mapping_upload").set_value(
        [("demo-mapping.yaml", (PROJECT_ROOT / "docs" / "demo-mapping.yaml").read_bytes(), "application/x-yaml")]
    ).run()
    _button(at, "Import").click().run()
    assert not at.exception
    assert any("Mapping version 1 imported" in s.value for s in at.success)
    assert "Setup: 3 of 5 steps done" in at.sidebar.get("progress")[0].proto.text
    assert "Version 1" in texts(at)


def test_reconciling_the_demo_accounts_completes_step_4(open_page):
    _route_and_map(open_page)
    at = open_page("reconcile")
    assert at.selectbox(key="reconcile_object").value == "Demo CRM (Salesforce sandbox) · Account"
    _button(at, "Reconcile by CRM ID").click().run()
    assert not at.exception
    assert any(s.value == "500 new canonical account(s), 0 already reconciled." for s in at.success)
    assert set(at.dataframe[0].value["Source"]) == {"Demo CRM (Salesforce sandbox)"}
    assert "Setup: 4 of 5 steps done" in at.sidebar.get("progress")[0].proto.text


def _wait_for_runs(env, timeout: float = 60.0) -> bool:
    """Wait until no sync of the demo workspace is running (they run in background threads)."""
    import time

    from storage.sync_runs import running_run

    engine = open_database(load_settings(env))
    deadline = time.monotonic() + timeout
    while running_run(engine, 1) is not None:
        assert time.monotonic() < deadline, "the background sync did not finish"
        time.sleep(0.1)
    return True


def test_the_demo_walks_all_five_steps_and_pipelines_explains_what_did_not_roll_up(open_page, env):
    _route_and_map(open_page)
    at = open_page("reconcile")
    _button(at, "Reconcile by CRM ID").click().run()

    at = open_page("sync")
    _button(at, "Dry run").click().run()
    assert not at.exception
    assert at.get("progress") or _wait_for_runs(env)  # shows progress while it runs in the background
    _wait_for_runs(env)
    at.run()
    assert any(h.value.startswith("Dry run #") for h in at.subheader)
    assert "Setup: 4 of 5 steps done" in at.sidebar.get("progress")[0].proto.text
    _button(at, "Run sync").click().run()
    _wait_for_runs(env)
    at.run()
    assert not at.exception and any(h.value.startswith("Sync #") for h in at.subheader)
    counts = at.dataframe[0].value
    assert counts["Added"].tolist() == [2996, 1996]
    assert "Setup: 5 of 5 steps done" in at.sidebar.get("progress")[0].proto.text

    at = open_page("pipelines")
    assert not at.exception
    assert [m.value for m in at.metric][1] == "4,992"
    landed = at.dataframe[0].value
    assert set(landed["Source"]) == {"Demo CRM (Salesforce sandbox)"}
    not_rolled_up = at.dataframe[2].value
    assert set(not_rolled_up["Reason"]) == {
        "Unmapped stage",
        "Unreconciled account",
        "Missing required value",
        "Value does not fit the field's type",
        "Sign contradicts the movement type",
    }
    assert set(not_rolled_up["Domain"]) == {"Pipeline", "ARR actuals"}
    assert "Pilot Extension" in " ".join(not_rolled_up["Examples"])
    assert "Map the stage in step 3" in not_rolled_up["How to fix"].tolist()

    at = open_page("revenue")
    assert not at.exception
    # The Revenue filter names the demo org's two pipelines (its opportunity record types).
    assert at.multiselect(key="revenue_pipelines").options == ["New Business", "Renewals & Expansion"]

    at = open_page("sync")
    _button(at, "Run sync").click().run()
    _wait_for_runs(env)
    at = open_page("sync")
    assert at.selectbox(key="sync_rollback_run").options == ["Run #3", "Run #2"]


def test_a_broken_mapping_file_names_the_key(open_page):
    at = open_page("domains")
    _button(at, "Save routing").click().run()
    at = open_page("mapping")
    at.file_uploader(key="mapping_upload").set_value(
        [
            (
                "m.yaml",
                b"objects: [{source: demo_crm_salesforce_sandbox, object: X, domain: pipline, fields: {}}]",
                "application/x-yaml",
            )
        ]
    ).run()
    _button(at, "Import").click().run()
    assert any("objects[0].domain: 'pipline' is not one of" in e.value for e in at.error)


def test_routing_nothing_is_refused(open_page):
    at = open_page("domains")
    at.multiselect(key="domains_pipeline").set_value([]).run()
    at.multiselect(key="domains_arr_actuals").set_value([]).run()
    _button(at, "Save routing").click().run()
    assert any("at least one source" in e.value for e in at.error)


def test_settings_creates_a_workspace_and_selects_it(open_page):
    at = open_page("settings")
    at.text_input(key="settings_workspace_name").input("Acme FP&A").run()
    _button(at, "Create workspace").click().run()
    assert not at.exception
    assert at.selectbox(key="sidebar_workspace").value == "Acme FP&A"
    assert any("created and selected" in s.value for s in at.success)


def _stage_editor_key(env):
    with session_scope(open_database(load_settings(env))) as session:
        return f"settings_stages_{stage_set_revision(load_stage_set(session, 1))}"


def test_settings_saves_edited_stages_and_refuses_a_broken_set(open_page, env):
    at = open_page("settings")
    editor_key = _stage_editor_key(env)
    at.session_state[editor_key] = {
        "edited_rows": {0: {"label": "Discovery", "weight": 0.15}},
        "added_rows": [],
        "deleted_rows": [],
    }
    at.run()
    _button(at, "Save stages").click().run()
    assert not at.exception and any("Stages saved" in s.value for s in at.success)
    with session_scope(open_database(load_settings(env))) as session:
        first = load_stage_set(session, 1)[0]
    assert (first.key, first.label, first.weight) == ("prospecting", "Discovery", 0.15)

    at = open_page("settings")
    editor_key = _stage_editor_key(env)
    at.session_state[editor_key] = {"edited_rows": {}, "added_rows": [], "deleted_rows": [6]}
    at.run()
    _button(at, "Save stages").click().run()
    assert any("must keep 'closed_lost'" in e.value for e in at.error)


def test_exports_offer_csv_and_parquet_for_every_table(open_page):
    at = open_page("exports")
    from services.exports import EXPORT_TABLES

    labels = [b.label for b in at.get("download_button")]
    # ten stored tables (stage history among them), the plan, the alerts, the figures, the reconciliation and the
    # stage calibration
    assert len(EXPORT_TABLES) == 15
    assert labels.count("CSV") == len(EXPORT_TABLES) and labels.count("Parquet") == len(EXPORT_TABLES)


def test_step_3_suggestions_are_approved_in_a_few_clicks_and_become_the_mapping_in_force(open_page, env):
    from storage import review
    from storage.mappings import latest_mapping

    at = open_page("domains")
    _button(at, "Save routing").click().run()
    at = open_page("mapping")
    assert "no LLM is configured" in texts(at)
    _button(at, "Suggest mappings").click().run()
    assert not at.exception
    assert any("new suggestion(s)" in s.value for s in at.success)
    assert [t.label.split(" (")[0] for t in at.tabs] == ["Fields", "Stages", "Movement types"]
    assert "pending" in at.tabs[0].label
    for label in ("Accept all", "Accept all", "Accept all"):
        button = next(b for b in at.button if b.label.startswith(label) and not b.disabled)
        button.click().run()
        assert not at.exception
    next(b for b in at.button if b.label.startswith("Put ")).click().run()
    assert not at.exception
    assert any("built from the approved suggestions is in force" in s.value for s in at.success)
    assert "Setup: 3 of 5 steps done" in at.sidebar.get("progress")[0].proto.text
    assert "from approved suggestions" in texts(at)
    # The demo org's two sales processes are two pipelines: record types, shown by name.
    engine = open_database(load_settings(env))
    stages_tab = review.review_frame(engine, "stage", 1)
    assert set(stages_tab["pipeline_label"]) == {"New Business", "Renewals & Expansion"}
    with session_scope(engine) as session:
        _, config = latest_mapping(session, 1)
    opportunities = next(o for o in config.objects if o.object_name == "Opportunity")
    assert opportunities.pipeline_field == "RecordTypeId"
    assert next(o for o in config.objects if o.object_name == "ARR_Movement__c").pipeline_field is None
    assert sorted(config.pipelines.values()) == ["New Business", "Renewals & Expansion"]


def test_step_4_suggests_planted_duplicates_side_by_side_and_a_merge_can_be_undone(open_page):
    _route_and_map(open_page)
    at = open_page("reconcile")
    _button(at, "Reconcile by CRM ID").click().run()
    _button(at, "Find possible duplicates").click().run()
    assert not at.exception
    assert any("possible duplicate or related pair(s) to review" in s.value for s in at.success)
    merges = [b for b in at.button if b.label == "Merge"]
    assert merges, "the demo plants duplicate accounts"
    survivor = at.text_input[0].value
    merges[0].click().run()
    assert any(f"Merged into “{survivor}”" in s.value for s in at.success)
    next(b for b in at.button if b.label == "Undo").click().run()
    assert any("Merge undone" in s.value for s in at.success)
    _button(at, "Keep apart").click().run()
    assert any("will not be suggested again" in s.value for s in at.success)


def test_run_sync_sets_a_schedule_syncs_one_object_now_and_pipelines_lists_alerts(open_page, env):
    from storage.alerts import save_alert_settings
    from storage.schedules import get_schedule

    _route_and_map(open_page)
    at = open_page("reconcile")
    _button(at, "Reconcile by CRM ID").click().run()
    at = open_page("sync")
    assert "Schedule: **off**" in texts(at)
    at.radio(key="schedule_kind").set_value("interval").run()
    at.number_input(key="schedule_every").set_value(15).run()
    _button(at, "Save schedule").click().run()
    assert "Schedule saved: every 15 minutes" in texts(at) and not at.exception
    assert "No scheduler worker is running" in texts(at)  # honest: nothing will fire without one
    engine = open_database(load_settings(env))
    with session_scope(engine) as session:
        row = get_schedule(session, 1)
        assert (row.kind, row.every_minutes, row.next_due_at.minute % 15) == ("interval", 15, 0)
        save_alert_settings(session, 1, actor="t", quarantine_share_max=0.001)  # the demo's 8 bad rows cross it

    at.selectbox(key="sync_now_target").set_value("Pipeline only").run()
    _button(at, "Sync now").click().run()
    _wait_for_runs(env)
    at = open_page("sync")
    runs = at.dataframe[-1].value
    assert runs["Scope"].tolist() == ["Pipeline"] and runs["Status"].tolist() == ["Succeeded"]

    at = open_page("pipelines")
    assert not at.exception and "Many rows did not roll up" in at.dataframe[0].value["Alert"].tolist()
    _button(at, "Mark all as seen").click().run()
    # Seen alerts move to the end of the page, after the run history.
    assert [s.startswith("seen by") for s in at.dataframe[-1].value["Status"]] == [True]
    assert at.subheader[0].value == "What landed" and at.subheader[-1].value == "Alerts"


def test_step_3_puts_uploaded_fx_rates_in_force_and_names_a_bad_line(open_page):
    _route_and_map(open_page)
    at = open_page("mapping")
    assert any(e.label.startswith("FX rates into USD (2 in force)") for e in at.expander)
    at.file_uploader(key="fx_upload").set_value(
        [("rates.csv", b"currency,from,rate\nEUR,2025-01-01,1.08\nEUR,soon,1.1\n", "text/csv")]
    ).run()
    _button(at, "Put these rates in force").click().run()
    assert any("line 3, column 'from': 'soon' is not a date" in e.value for e in at.error)
    at.file_uploader(key="fx_upload").set_value(
        [
            (
                "rates.csv",
                b"currency,from,rate\nEUR,2025-01-01,1.08\nGBP,2025-01-01,1.27\nEUR,2026-01-01,1.15\n",
                "text/csv",
            )
        ]
    ).run()
    _button(at, "Put these rates in force").click().run()
    assert not at.exception and "FX rates in force as mapping version" in texts(at)
    assert any(e.label.startswith("FX rates into USD (3 in force)") for e in at.expander)


def test_step_3_offers_the_orgs_own_fx_rates_and_a_person_puts_them_in_force(open_page, env):
    from datetime import date

    from domain.mapping_config import FxRate
    from storage.mappings import latest_mapping

    at = _map_from_suggestions(open_page)
    # A mapping built from suggestions has no FX rates: every EUR row would wait for them.
    assert any(e.label.startswith("FX rates into USD (0 in force)") for e in at.expander)
    _button(at, "Read rates from Demo CRM (Salesforce sandbox)").click().run()
    assert not at.exception
    assert "Demo CRM (Salesforce sandbox) · from DatedConversionRate" in texts(at)
    _button(at, "Put these 2 rates in force").click().run()
    assert not at.exception and any("2 FX rate(s) from Demo CRM" in s.value for s in at.success)
    with session_scope(open_database(load_settings(env))) as session:
        version, config = latest_mapping(session, 1)
    assert config.fx_rates == (FxRate("EUR", date(1900, 1, 1), 1.08), FxRate("EUR", date(2025, 7, 1), 1.12))
    assert version.note == "FX rates from Demo CRM (Salesforce sandbox) (DatedConversionRate)"
    assert any(e.label.startswith("FX rates into USD (2 in force)") for e in at.expander)


def test_step_4_shows_a_regional_entity_as_related_and_links_it_under_its_parent(open_page, env):
    import polars as pl

    from storage.insights import account_hierarchy

    _route_and_map(open_page)
    at = open_page("reconcile")
    _button(at, "Reconcile by CRM ID").click().run()
    _button(at, "Find possible duplicates").click().run()
    assert not at.exception
    assert any(m.value.startswith("**") and "accounts: one company" in m.value for m in at.markdown)
    # Accept-all merges same-company pairs only: the related ones still wait for a person afterwards.
    next(b for b in at.button if b.label.startswith("Merge all")).click().run()
    assert any("pair(s) merged" in s.value for s in at.success)
    # The demo has regional entities its CRM never linked to their group: suggested as related, in clusters.
    assert any("looks like an entity of" in m.value for m in at.markdown)
    assert any("accounts: one group" in m.value for m in at.markdown)
    link = next(b for b in at.button if b.label.startswith("Link under "))
    parent_name = link.label.removeprefix("Link under ")
    link.click().run()
    assert any("Revenue rolls it up there" in s.value for s in at.success), [s.value for s in at.success]
    engine = open_database(load_settings(env))
    hierarchy = account_hierarchy(engine, 1)
    parent_id = hierarchy.filter(pl.col("account") == parent_name)["account_id"].item()
    assert parent_id in hierarchy["parent_id"].to_list()
    # Merged pairs and the link share one list, each row with its Undo; the link's row reads '↳ entity of'.
    rows = [m.value for m in at.markdown if "↳ entity of" in m.value or "merged into" in m.value]
    linked = next(i for i, row in enumerate(rows) if "↳ entity of" in row and parent_name in row)
    [b for b in at.button if b.label == "Undo"][linked].click().run()
    assert any("Link undone" in s.value for s in at.success)
    assert parent_id not in account_hierarchy(engine, 1)["parent_id"].to_list()


def test_step_3_is_not_done_while_a_dry_run_holds_rows_for_want_of_fx_rates_and_says_which(open_page, env):
    at = _map_from_suggestions(open_page)
    assert any(s.value.startswith("Done.") for s in at.success)  # every field and stage is mapped
    _button(open_page("reconcile"), "Reconcile by CRM ID").click().run()

    at = open_page("sync")
    _button(at, "Dry run").click().run()
    _wait_for_runs(env)
    at = open_page("sync")
    # Step 5 says which earlier step would still hold rows, with a link to it.
    assert any("Step 3 · Map fields & stages:" in w.value and "EUR (" in w.value for w in at.warning)

    at = open_page("mapping")
    assert not at.exception
    assert not any(s.value.startswith("Done.") for s in at.success)
    [header] = [w.value for w in at.warning if w.value.startswith("Not done yet.")]
    assert "held back for want of an FX rate into USD: EUR (" in header and " deals, " in header
    assert " ARR movements)" in header
    assert "Setup: 3 of 5 steps done" in at.sidebar.get("progress")[0].proto.text
    assert next(e for e in at.expander if e.label.startswith("FX rates into USD (0 in force)")).proto.expanded

    _button(at, "Read rates from Demo CRM (Salesforce sandbox)").click().run()
    _button(at, "Put these 2 rates in force").click().run()
    at = open_page("mapping")
    # The org's rates reach back to the beginning: nothing the dry run held for a rate is missing any more.
    assert any(s.value.startswith("Done.") for s in at.success)
    assert not any(w.value.startswith("Not done yet.") for w in at.warning)


def test_the_review_tables_follow_the_mapping_version_in_force_after_an_import(open_page, env):
    from domain.config import PROJECT_ROOT

    at = _map_from_suggestions(open_page, put_in_force=False)
    put = next(b for b in at.button if b.label.startswith("Put ") and "approved" in b.label)
    assert not put.disabled
    put.click().run()
    # Everything approved is in force now: no button invites another, identical version.
    done = at.button(key="apply_approved")
    assert done.disabled and done.label == "Every approved mapping is in force (version 1)"
    fields = at.data_editor(key="review_field_editor").value
    # Targets read as words, not keys.
    assert "Expected close" in set(fields["target"]) and not any("_" in t for t in fields["target"])
    approved = fields[fields["status"].str.startswith("approved")]
    assert len(approved) and set(approved["decision"]) == {"accept"}
    assert set(approved["status"]) == {"approved · in force"}

    at.file_uploader(key="mapping_upload").set_value(
        [("demo-mapping.yaml", (PROJECT_ROOT / "docs" / "demo-mapping.yaml").read_bytes(), "application/x-yaml")]
    ).run()
    _button(at, "Import").click().run()
    at = open_page("mapping")
    assert not at.exception
    # Version 2 is the imported file: approvals it does differently are named, and only they are offered.
    not_in_force = sum(
        int((at.data_editor(key=f"review_{kind}_editor").value["status"] == "approved · not in force yet").sum())
        for kind in ("field", "stage", "value")
    )
    # The shipped file maps some fields and stages otherwise than the suggestions the reviewer approved.
    assert not_in_force > 0
    button = at.button(key="apply_approved")
    assert button.label == f"Put {not_in_force} approved mapping(s) in force" and not button.disabled
    button.click().run()
    assert not at.exception
    assert at.button(key="apply_approved").label == "Every approved mapping is in force (version 3)"
    statuses = at.data_editor(key="review_stage_editor").value["status"]
    assert "approved · not in force yet" not in set(statuses)


def test_a_review_target_reads_as_words_and_is_saved_as_its_key():
    from domain.mapping_config import mappable_field_labels
    from pages._review import NOTHING_LABEL, ReviewSpec

    spec = ReviewSpec("field", {}, "canonical_field", mappable_field_labels(), "object_name")
    assert spec.label_of("expected_close") == "Expected close" and spec.label_of("name") == "Deal name"
    assert spec.key_of("Expected close") == "expected_close" and spec.key_of("ARR change") == "arr_delta"
    assert spec.label_of(None) == NOTHING_LABEL and spec.key_of(NOTHING_LABEL) == ""
    assert len(set(spec.targets.values())) == len(spec.targets)  # no two targets read the same


def test_the_table_style_reads_money_by_whole_words_and_writes_a_dash_for_an_empty_number():
    from pages._shell import NOT_APPLICABLE, _is_money, _number_text

    assert _is_money("Weighted amount (USD)") and _is_money("Amount (source currency)")
    assert not any(_is_money(n) for n in ("Weight", "fx_rate", "Variance share (%)", "Seconds", "Score"))
    assert _number_text(None, True) == NOT_APPLICABLE
    assert _number_text(-17500.0, True) == "(17,500.00)" and _number_text(2996, False) == "2,996"


def test_step_2_says_whether_arr_comes_as_movements_or_as_contracts_and_step_3_follows(open_page, env):
    from storage.mappings import latest_mapping

    engine = open_database(load_settings(env))
    at = open_page("domains")
    at.radio(key="domains_arr_mode").set_value("contracts").run()
    at.radio(key="domains_arr_amount_per").set_value("per month").run()
    _button(at, "Save routing").click().run()
    assert not at.exception
    with session_scope(engine) as session:
        version, config = latest_mapping(session, 1)
    [arr] = [o for o in config.objects if o.domain == Domain.ARR_ACTUALS]
    assert arr.from_contracts and arr.amount_per == "month" and arr.fields == ()
    assert version.note == "ARR read as contracts (amount per month)"
    at = open_page("mapping")
    assert not at.exception and "**Canonical fields to fill** (ARR from contracts)" in texts(at)
    # Back to movement events: the next version says so; saving again changes nothing.
    at = open_page("domains")
    assert at.radio(key="domains_arr_mode").value == "contracts"
    at.radio(key="domains_arr_mode").set_value("movements").run()
    _button(at, "Save routing").click().run()
    _button(at, "Save routing").click().run()
    with session_scope(engine) as session:
        version, config = latest_mapping(session, 1)
    assert version.version == 2 and not any(o.from_contracts for o in config.objects)
