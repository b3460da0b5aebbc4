"""The app as a user sees it in Chromium: every page, the router on a direct link, and step 2 saved."""

import pytest

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
    assert sidebar.get_by_text("Setup", exact=True).is_visible()
    assert sidebar.get_by_text("Workspace", exact=True).is_visible()
    assert page.get_by_role("heading", name="2 · Choose domains").is_visible()
    assert sidebar.get_by_text("shell").count() == 0  # no legacy pages/ listing


def test_every_page_renders_without_an_exception(app_server, page):
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    for spec in PAGES:
        page.goto(f"{app_server}/{spec.key}")
        wait_for_app(page)
        _assert_no_exception(page, spec.key)
        assert page.locator("h1").first.is_visible(), spec.key
        page.screenshot(path=str(SCREENSHOTS / f"{spec.key}.png"), full_page=True)


def test_saving_the_suggested_routing_unlocks_mapping(app_server, page):
    page.goto(f"{app_server}/domains")
    wait_for_app(page)
    page.get_by_role("button", name="Save routing").click()
    wait_for_app(page)
    assert page.get_by_text("Routing saved.").is_visible()
    page.goto(f"{app_server}/mapping")  # a fresh page load: progress comes from the database
    wait_for_app(page)
    _assert_no_exception(page, "mapping")
    assert page.get_by_text("Finish step 2").count() == 0
    assert page.get_by_text("Setup: 2 of 5 steps done").is_visible()
    page.screenshot(path=str(SCREENSHOTS / "mapping_after_routing.png"), full_page=True)
