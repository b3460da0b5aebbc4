"""Revenue and Settings on slipped deals and the movement policy: shown apart, chosen in Settings, previewed."""

import pytest

from domain.config import load_settings
from domain.insights.forecast import SlippedPolicy
from domain.roles import system_access
from services.sync import run_sync
from tests.conftest import file_workspace
from tests.pages.conftest import texts


@pytest.fixture
def synced(env, monkeypatch, tmp_path):
    """A synced workspace 'Acme' on a small demo export (its deals reach back before today)."""
    monkeypatch.setenv("REVENUE_CONNECTOR_DEMO", "0")
    settings = load_settings({**env, "REVENUE_CONNECTOR_DEMO": "0"})
    engine, ws_id = file_workspace(settings, tmp_path / "export")
    run_sync(engine, settings, ws_id, trigger="test", access=system_access("t"))
    yield
    engine.dispose()


def test_slipped_deals_are_shown_apart_and_listed_by_owner(open_page, synced):
    revenue = open_page("revenue", ws="Acme")
    assert not revenue.exception, revenue.exception
    slipped = next(m for m in revenue.metric if m.label.startswith("Slipped pipeline"))
    assert slipped.value not in ("0 USD", "•••") and slipped.value.endswith("USD")
    pipelines = open_page("pipelines", ws="Acme")
    assert not pipelines.exception, pipelines.exception
    assert "Slipped deals by owner" in [h.value for h in pipelines.subheader]
    table = next(f.value for f in pipelines.dataframe if "Slipped deals" in f.value.columns)
    assert len(table) >= 1 and table["Slipped deals"].sum() >= 1


def test_settings_chooses_how_the_forecast_counts_them(open_page, synced):
    settings = open_page("settings", ws="Acme")
    assert not settings.exception, settings.exception
    radio = next(r for r in settings.radio if r.label == "In the forecast")
    assert radio.value == SlippedPolicy.APART
    radio.set_value(SlippedPolicy.EXCLUDE).run()
    assert not settings.exception, settings.exception
    assert "leave out of the forecast" in texts(settings).lower() or any(
        "leave out of the forecast" in str(s.value).lower() for s in settings.success
    )
    again = open_page("settings", ws="Acme")
    assert next(r for r in again.radio if r.label == "In the forecast").value == SlippedPolicy.EXCLUDE


def test_settings_sets_a_reactivation_window_and_revenue_previews_a_customer(open_page, synced):
    settings = open_page("settings", ws="Acme")
    settings.toggle(key="settings_windowed").set_value(True)
    settings.number_input(key="settings_reactivation_days").set_value(60)
    settings.button(key="settings_save_window").click().run()
    assert not settings.exception, settings.exception
    assert any("within 60 days of churn" in str(s.value) for s in settings.success)
    again = open_page("settings", ws="Acme")
    assert again.toggle(key="settings_windowed").value is True
    assert again.number_input(key="settings_reactivation_days").value == 60
    revenue = open_page("revenue", ws="Acme")
    assert not revenue.exception, revenue.exception
    assert any(e.label == "How one customer's history is classified" for e in revenue.expander)
    preview = next(f.value for f in revenue.dataframe if "Policy says" in f.value.columns)
    assert len(preview) >= 1


def test_settings_nets_out_same_month_new_and_churn_and_keeps_the_choice(open_page, synced):
    settings = open_page("settings", ws="Acme")
    assert settings.toggle(key="settings_net_same_month").value is False  # both count by default
    settings.toggle(key="settings_net_same_month").set_value(True)
    settings.button(key="settings_save_window").click().run()
    assert not settings.exception, settings.exception
    assert any("same-month new and churn net out" in str(s.value) for s in settings.success)
    assert open_page("settings", ws="Acme").toggle(key="settings_net_same_month").value is True
    revenue = open_page("revenue", ws="Acme")
    assert not revenue.exception, revenue.exception
