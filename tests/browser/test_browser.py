"""The app as a user sees it in Chromium: every page, the router on a direct link, and step 2 saved."""

import re

import pytest
from playwright.sync_api import expect

from pages._shell import PAGES
from tests.browser.conftest import SCREENSHOTS, wait_for_app

pytestmark = pytest.mark.browser


def _assert_no_exception(page, where: str) -> None:
    boxes = page.locator("[data-testid='stException']")
    assert boxes.count() == 0, f"{where}: {boxes.first.inner_text()[:500]}"


def test_a_direct_link_as_first_request_still_goes_through_the_router(app_server, page):
    page.goto(f"{app_server}/domains")
    wait_for_app(page)
    _assert_no_exception(page, "/domains")
    sidebar = page.get_by_test_id("stSidebar")
    expect(sidebar.get_by_text("Setup", exact=True)).to_be_visible(timeout=20000)
    expect(sidebar.get_by_text("Workspace", exact=True)).to_be_visible()
    expect(page.get_by_role("heading", name="2 · Choose domains")).to_be_visible()
    expect(sidebar.get_by_text("shell")).to_have_count(0)  # no legacy pages/ listing


def test_every_page_renders_without_an_exception(app_server, page):
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    for spec in PAGES:
        page.goto(f"{app_server}/{spec.key}")
        wait_for_app(page)
        _assert_no_exception(page, spec.key)
        expect(page.locator("h1").first).to_be_visible()
        page.screenshot(path=str(SCREENSHOTS / f"{spec.key}.png"), full_page=True)


def test_saving_the_suggested_routing_unlocks_mapping(app_server, page):
    page.goto(f"{app_server}/domains")
    wait_for_app(page)
    page.get_by_role("button", name="Save routing").click()
    wait_for_app(page)
    expect(page.get_by_text("Routing saved.")).to_be_visible()
    page.goto(f"{app_server}/mapping")  # a fresh page load: progress comes from the database
    wait_for_app(page)
    _assert_no_exception(page, "mapping")
    expect(page.get_by_text("Setup: 2 of 5 steps done")).to_be_visible()
    expect(page.get_by_text("Finish step 2")).to_have_count(0)
    page.screenshot(path=str(SCREENSHOTS / "mapping_after_routing.png"), full_page=True)


def _click_and_expect(page, button: str, text: str) -> None:
    page.get_by_role("button", name=button).click()
    wait_for_app(page)
    expect(page.get_by_text(text)).to_be_visible()


def test_the_contracts_demo_syncs_to_an_arr_bridge_and_settings_checks_the_weights(app_server, page):
    """The second demo workspace reads ARR as contracts: reconciled and synced once it has a full bridge, and the
    stage history read with the sync puts historical win rates beside the weights (issue 22)."""
    from urllib.parse import quote

    workspace = quote("Demo · ARR from contracts")
    page.goto(f"{app_server}/sync?ws={workspace}")
    wait_for_app(page)
    expect(page.get_by_text("Setup: 3 of 5 steps done")).to_be_visible()
    page.goto(f"{app_server}/reconcile?ws={workspace}")
    wait_for_app(page)
    _click_and_expect(page, "Reconcile by CRM ID", "500 new canonical account(s)")
    _assert_no_exception(page, "contracts reconcile")
    page.goto(f"{app_server}/sync?ws={workspace}")
    wait_for_app(page)
    page.get_by_role("button", name="Run sync").click()
    expect(page.get_by_role("heading", name="Sync #1")).to_be_visible(timeout=60000)
    wait_for_app(page)
    _assert_no_exception(page, "contracts sync")
    page.screenshot(path=str(SCREENSHOTS / "contracts_sync_done.png"), full_page=True)

    page.goto(f"{app_server}/revenue?ws={workspace}")
    wait_for_app(page)
    page.get_by_role("tab", name="ARR bridge").click()
    wait_for_app(page)
    _assert_no_exception(page, "contracts revenue")
    expect(page.locator("[data-testid='stVegaLiteChart']:visible").first).to_be_visible(timeout=20000)
    page.screenshot(path=str(SCREENSHOTS / "contracts_arr_bridge.png"), full_page=True)

    page.goto(f"{app_server}/settings?ws={workspace}")
    wait_for_app(page)
    _assert_no_exception(page, "settings calibration")
    expect(page.get_by_text("Weights against what actually closed")).to_be_visible()
    use = page.get_by_role("button", name="Use the historical rate")
    use.scroll_into_view_if_needed()
    page.screenshot(path=str(SCREENSHOTS / "settings_stage_calibration.png"))
    use.click()
    wait_for_app(page)
    expect(page.get_by_text(re.compile(r"now weighs \d+%"))).to_be_visible()


def test_a_user_walks_the_demo_to_a_synced_pipeline(app_server, page):
    from domain.config import PROJECT_ROOT

    page.goto(f"{app_server}/domains")
    wait_for_app(page)
    page.get_by_role("button", name="Save routing").click()
    wait_for_app(page)

    page.goto(f"{app_server}/mapping")
    wait_for_app(page)
    page.get_by_test_id("stFileUploaderDropzoneInput").set_input_files(str(PROJECT_ROOT / "docs" / "demo-mapping.yaml"))
    wait_for_app(page)
    page.get_by_role("button", name="Import", exact=True).click()
    wait_for_app(page)
    expect(page.get_by_text("Mapping version 1 imported and in force.")).to_be_visible()

    # The reviewer's path: suggestions, accept the auto-accept band of each tab, put them in force (FX rates and
    # filters carry over from the imported version).
    page.get_by_role("button", name="Suggest mappings").click()
    wait_for_app(page)
    expect(page.get_by_text("new suggestion(s)")).to_be_visible()
    page.screenshot(path=str(SCREENSHOTS / "mapping_suggestions.png"), full_page=True)
    for tab in ("Fields", "Stages", "Movement types"):
        page.get_by_role("tab", name=tab).click()
        page.get_by_role("button", name="Accept all").filter(visible=True).first.click()
        wait_for_app(page)
        expect(page.get_by_text("in the auto-accept band approved")).to_be_visible()
    _click_and_expect(page, "approved mapping(s) in force", "built from the approved suggestions is in force")
    _assert_no_exception(page, "mapping")

    page.goto(f"{app_server}/reconcile")
    wait_for_app(page)
    _click_and_expect(page, "Reconcile by CRM ID", "500 new canonical account(s)")
    _click_and_expect(page, "Find possible duplicates", "related pair(s) to review")
    _assert_no_exception(page, "reconcile")
    page.screenshot(path=str(SCREENSHOTS / "reconcile_done.png"), full_page=True)
    page.get_by_role("button", name=re.compile(r"^Merge all \d+ in the auto-accept band")).click()
    wait_for_app(page)
    expect(page.get_by_text("pair(s) merged")).to_be_visible()
    page.get_by_role("button", name=re.compile(r"^Link under ")).first.click()
    wait_for_app(page)
    expect(page.get_by_text("is now an entity of")).to_be_visible()
    _assert_no_exception(page, "reconcile link")
    page.screenshot(path=str(SCREENSHOTS / "reconcile_clusters.png"), full_page=True)

    page.goto(f"{app_server}/sync")
    wait_for_app(page)
    page.get_by_role("button", name="Run sync").click()
    # The run works in the background; the page follows it and shows the outcome when it finishes.
    expect(page.get_by_role("heading", name="Sync #1")).to_be_visible(timeout=60000)
    wait_for_app(page)
    expect(page.get_by_text("Setup: 5 of 5 steps done")).to_be_visible()
    _assert_no_exception(page, "sync")
    page.screenshot(path=str(SCREENSHOTS / "sync_done.png"), full_page=True)
    page.get_by_text("Change the schedule").click()
    page.get_by_text("Every N minutes").click()
    wait_for_app(page)
    page.get_by_role("button", name="Save schedule").click()
    expect(page.get_by_text("Schedule saved: every 15 minutes")).to_be_visible()
    expect(page.get_by_text("No scheduler worker is running")).to_be_visible()
    _assert_no_exception(page, "sync schedule")
    page.screenshot(path=str(SCREENSHOTS / "sync_schedule.png"), full_page=True)

    page.goto(f"{app_server}/pipelines")
    wait_for_app(page)
    _assert_no_exception(page, "pipelines")
    expect(page.get_by_role("heading", name="What did not roll up")).to_be_visible()
    page.screenshot(path=str(SCREENSHOTS / "pipelines_after_sync.png"), full_page=True)

    page.goto(f"{app_server}/revenue")
    wait_for_app(page)
    _assert_no_exception(page, "revenue")
    expect(page.get_by_text("Weighted open pipeline")).to_be_visible()
    charts = page.get_by_test_id("stVegaLiteChart")
    expect(charts.first).to_be_visible(timeout=20000)
    page.screenshot(path=str(SCREENSHOTS / "revenue_pipeline_vs_arr.png"), full_page=True)
    for tab, shot in (
        ("Forecast by weighting", "revenue_forecast_by_weighting"),
        ("ARR bridge", "revenue_bridge"),
        ("Plan vs actual", "revenue_plan"),
        ("Pipeline ↔ ARR reconciliation", "revenue_reconciliation"),
        ("By parent account", "revenue_parent_accounts"),
    ):
        page.get_by_role("tab", name=tab).click()
        wait_for_app(page)
        _assert_no_exception(page, f"revenue / {tab}")
        page.screenshot(path=str(SCREENSHOTS / f"{shot}.png"), full_page=True)
    expect(
        page.get_by_text("Each parent account with the entities linked under it")
    ).to_be_visible()  # not the empty state
    # The demo org keeps its stage history: the forecast under historical rates has a figure, not an empty state.
    page.get_by_role("tab", name="Forecast by weighting").click()
    wait_for_app(page)
    expect(page.get_by_text("At historical rates")).to_be_visible()
    page.get_by_role("tab", name="Plan vs actual").click()
    page.get_by_text("Upload a plan (replaces the current one)").click()
    page.get_by_test_id("stFileUploaderDropzoneInput").set_input_files(str(PROJECT_ROOT / "docs" / "demo-plan.csv"))
    wait_for_app(page)
    page.get_by_role("button", name="Save plan").click()
    wait_for_app(page)
    expect(page.get_by_text("Plan saved")).to_be_visible()
    # The plan tab stays open after the upload's rerun, now with the plan chart.
    expect(page.locator("[data-testid='stVegaLiteChart']:visible")).to_have_count(1, timeout=20000)
    page.screenshot(path=str(SCREENSHOTS / "revenue_plan_uploaded.png"), full_page=True)

    page.goto(f"{app_server}/exports")
    wait_for_app(page)
    _assert_no_exception(page, "exports")
    with page.expect_download() as download:
        page.get_by_test_id("stDownloadButton").filter(has_text="CSV").last.click()
    # The last table is the stage calibration: the demo's rates, computed from the stage history the sync read.
    assert download.value.suggested_filename.endswith("_stage_calibration.csv")
    header, *rows = download.value.path().read_text(encoding="utf-8").splitlines()
    assert header.startswith("stage,label,weight,closed_deals,won,historical_rate") and len(rows) == 5
    page.screenshot(path=str(SCREENSHOTS / "exports.png"), full_page=True)


def test_a_salesforce_password_login_typed_on_the_connect_page_connects(app_server, page):
    from sandbox.demo_data import DemoSpec, generate
    from sandbox.demo_org import demo_salesforce_org
    from sandbox.salesforce import SalesforceSandbox

    org = demo_salesforce_org(data=generate(DemoSpec(seed=3, accounts=30, opportunities=60, movements=30)))
    org.password = "Typed-Pa55word"
    with SalesforceSandbox(org) as sandbox:
        page.goto(f"{app_server}/connect")
        wait_for_app(page)
        page.get_by_text("Salesforce", exact=True).click()
        wait_for_app(page)
        for label, value in (
            ("Connection name", "Salesforce production"),
            ("Username *", org.username),
            ("Password *", org.password),
            ("Security token", org.security_token),
            ("API base URL (optional)", sandbox.url),
        ):
            page.get_by_label(label, exact=True).fill(value)
            page.keyboard.press("Tab")
            wait_for_app(page)
        # Leaving the last field with Tab (not Enter) must still send everything typed.
        page.get_by_role("button", name="Save and test").click()
        wait_for_app(page)
        alerts = page.get_by_test_id("stAlert")
        expect(alerts.filter(has_text="Connected to Demo Revenue Inc. ·")).to_have_count(1, timeout=20000)
        expect(alerts.filter(has_text="required")).to_have_count(0)
        expect(page.get_by_text("Salesforce production", exact=True)).to_be_visible()
        expect(page.get_by_text("Done. 2 of 2 connection(s) tested OK.")).to_be_visible()
        # What was typed leaves the page once stored (encrypted).
        for label in ("Username *", "Password *", "Security token"):
            expect(page.get_by_label(label, exact=True)).to_have_value("")
        _assert_no_exception(page, "connect")
        page.screenshot(path=str(SCREENSHOTS / "connect_salesforce_password.png"), full_page=True)


def test_a_missing_data_folder_says_so_and_lists_no_internal_modules(tmp_path, page):
    from tests.browser.conftest import start_app

    process, url = start_app(tmp_path / "missing", log_dir=tmp_path)
    try:
        page.goto(url)
        expect(page.get_by_text("does not exist")).to_be_visible(timeout=30_000)
        wait_for_app(page)  # the script run has ended, so its navigation (none) is what the sidebar shows
        # Before the fix the sidebar listed pages/ itself ("shell", "charts", "review"…), each a blank page.
        expect(page.locator('[data-testid="stSidebarNav"]')).to_have_count(0, timeout=10_000)
        expect(page.get_by_role("link", name="shell")).to_have_count(0)
        page.screenshot(path=str(SCREENSHOTS / "missing_data_folder.png"), full_page=True)
    finally:
        process.terminate()
        process.wait(timeout=20)


def test_a_signed_in_user_stays_signed_in_on_reload_and_in_a_new_tab_until_signing_out(app_server, page, tmp_path):
    from domain.config import load_settings
    from domain.roles import LOCAL_ADMIN, Access, Role
    from services.users import create_user
    from storage.db import open_database, session_scope

    engine = open_database(load_settings({"REVENUE_CONNECTOR_DATA": str(tmp_path / "data")}))
    with session_scope(engine) as session:
        create_user(session, "ada", role=Role.ADMIN, password="correct horse 1", actor=Access(LOCAL_ADMIN, Role.ADMIN))
    engine.dispose()

    page.goto(f"{app_server}/pipelines")
    wait_for_app(page)
    page.get_by_role("textbox", name="User name").fill("ada")
    page.get_by_role("textbox", name="Password").fill("correct horse 1")
    page.get_by_role("button", name="Sign in").click()
    sidebar = page.get_by_test_id("stSidebar")
    expect(sidebar.get_by_text("ada")).to_be_visible(timeout=20000)
    cookie = next(c for c in page.context.cookies() if c["name"] == "rc_session")
    assert cookie["sameSite"] == "Strict" and cookie["expires"] > 0

    page.reload()  # a reload used to sign out: only sidebar clicks kept the session
    wait_for_app(page)
    expect(page.get_by_test_id("stSidebar").get_by_text("ada")).to_be_visible(timeout=20000)
    other = page.context.new_page()  # a new tab, and a typed link
    other.goto(f"{app_server}/revenue")
    wait_for_app(other)
    expect(other.get_by_test_id("stSidebar").get_by_text("ada")).to_be_visible(timeout=20000)
    other.close()

    # A changed cookie signs nobody in.
    page.context.add_cookies([{**cookie, "value": cookie["value"][:-3] + "AAA"}])
    page.reload()
    wait_for_app(page)
    expect(page.get_by_role("button", name="Sign in")).to_be_visible(timeout=20000)

    # Signing out clears the cookie: a reload stays signed out.
    page.context.add_cookies([cookie])
    page.reload()
    wait_for_app(page)
    page.get_by_test_id("stSidebar").get_by_role("button", name="Sign out").click()
    expect(page.get_by_role("button", name="Sign in")).to_be_visible(timeout=20000)
    page.wait_for_timeout(500)
    assert not [c for c in page.context.cookies() if c["name"] == "rc_session" and c["value"]]
    page.reload()
    wait_for_app(page)
    expect(page.get_by_role("button", name="Sign in")).to_be_visible(timeout=20000)
    page.screenshot(path=str(SCREENSHOTS / "signed_out_after_reload.png"), full_page=True)


def test_steps_say_the_truth_about_fx_rates_and_runs_show_at_a_glance(app_server, page):
    """Mapped from suggestions only (no FX rates): the dry run holds the EUR rows, step 3 says so and is not done,
    step 5 links to it; the org's own rates fix it; Pipelines then shows runs and alerts at a glance."""
    page.goto(f"{app_server}/domains")
    wait_for_app(page)
    page.get_by_role("button", name="Save routing").click()
    wait_for_app(page)
    page.goto(f"{app_server}/mapping")
    wait_for_app(page)
    page.get_by_role("button", name="Suggest mappings").click()
    wait_for_app(page)
    for tab in ("Fields", "Stages", "Movement types"):
        page.get_by_role("tab", name=tab).click()
        page.get_by_role("button", name="Accept all").filter(visible=True).first.click()
        wait_for_app(page)
    _click_and_expect(page, "approved mapping(s) in force", "built from the approved suggestions is in force")
    expect(page.get_by_role("button", name="Every approved mapping is in force (version 1)")).to_be_disabled()
    page.goto(f"{app_server}/reconcile")
    wait_for_app(page)
    _click_and_expect(page, "Reconcile by CRM ID", "new canonical account(s)")

    page.goto(f"{app_server}/sync")
    wait_for_app(page)
    page.get_by_role("button", name="Dry run").click()
    expect(page.get_by_role("heading", name=re.compile(r"^Dry run #"))).to_be_visible(timeout=60000)
    wait_for_app(page)
    _assert_no_exception(page, "sync dry run")
    expect(
        page.get_by_text(re.compile(r"Step 3 · Map fields & stages: .* held back for want of an FX rate"))
    ).to_be_visible()
    expect(page.get_by_text("No FX rate for the currency").first).to_be_attached()  # held rows by reason (a grid cell)
    page.screenshot(path=str(SCREENSHOTS / "sync_dry_run_held_for_fx.png"), full_page=True)
    page.get_by_role("link", name="Fix it in step 3").click()
    wait_for_app(page)
    expect(page.get_by_text(re.compile(r"^Not done yet\. .*EUR \("))).to_be_visible()
    expect(page.get_by_text("Setup: 3 of 5 steps done")).to_be_visible()
    page.screenshot(path=str(SCREENSHOTS / "mapping_fx_rates_missing.png"), full_page=True)
    page.get_by_role("button", name=re.compile(r"^Read rates from ")).click()
    wait_for_app(page)
    _click_and_expect(page, "Put these 2 rates in force", "FX rate(s) from Demo CRM")
    page.goto(f"{app_server}/mapping")
    wait_for_app(page)
    expect(page.get_by_text(re.compile(r"^Done\. Required fields and all stages mapped"))).to_be_visible()

    page.goto(f"{app_server}/sync")
    wait_for_app(page)
    page.get_by_role("button", name="Run sync").click()
    expect(page.get_by_role("heading", name=re.compile(r"^Sync #"))).to_be_visible(timeout=60000)
    wait_for_app(page)
    page.goto(f"{app_server}/pipelines")
    wait_for_app(page)
    _assert_no_exception(page, "pipelines")
    for tab, shot in (("Time by phase", "pipelines_run_phases"), ("Timeline of runs and alerts", "pipelines_timeline")):
        page.get_by_role("tab", name=tab).click()
        wait_for_app(page)
        chart = page.locator("[data-testid='stVegaLiteChart']:visible").first
        expect(chart).to_be_visible(timeout=20000)
        chart.scroll_into_view_if_needed()
        page.screenshot(path=str(SCREENSHOTS / f"{shot}.png"))
    _assert_no_exception(page, "pipelines charts")
