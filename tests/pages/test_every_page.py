"""Every page renders without an exception on the demo, on an empty workspace and with no workspace."""

import pytest

from domain.config import load_settings
from domain.roles import LOCAL_ADMIN
from pages._shell import PAGES
from storage.db import open_database, session_scope
from storage.workspaces import create_workspace
from tests.pages.conftest import texts

PAGE_KEYS = [p.key for p in PAGES]


@pytest.mark.parametrize("key", PAGE_KEYS)
def test_page_renders_on_the_demo(open_page, key):
    at = open_page(key)
    assert not at.exception, [e.value for e in at.exception]
    assert not at.error, [e.value for e in at.error]
    assert at.title, "every page has a title"
    assert at.selectbox(key="sidebar_workspace").value == "Demo"


@pytest.mark.parametrize("key", PAGE_KEYS)
def test_page_renders_on_an_empty_workspace(open_page, env, key):
    at = open_page("connect")  # first start creates the demo
    engine = open_database(load_settings(env))
    with session_scope(engine) as session:
        create_workspace(session, "Empty", actor=LOCAL_ADMIN)
    at = open_page(key, ws="Empty")
    assert not at.exception, [e.value for e in at.exception]
    assert at.selectbox(key="sidebar_workspace").value == "Empty"
    shown = texts(at)
    if key == "connect":
        assert "No connection yet" in shown
    elif key in {"domains", "mapping", "reconcile", "sync"}:
        assert "Finish step 1 · Connect first" in shown
    elif key in {"pipelines", "revenue"}:
        assert "Nothing has landed" in shown or "after the first successful sync" in shown


@pytest.mark.parametrize("key", PAGE_KEYS)
def test_page_renders_with_no_workspace_at_all(open_page, monkeypatch, key):
    monkeypatch.setenv("REVENUE_CONNECTOR_DEMO", "0")
    at = open_page(key)
    assert not at.exception, [e.value for e in at.exception]
    if key != "settings":
        assert "no workspace yet" in texts(at).lower()
