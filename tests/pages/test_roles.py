"""Each role through the app, the exports and the CLI: a viewer never obtains a masked amount."""

import os
import subprocess
import sys

import polars as pl
import pytest
from streamlit.testing.v1 import AppTest

from domain.config import PROJECT_ROOT, load_settings
from domain.roles import LOCAL_ADMIN, MASKED, Access, Role, system_access
from services.exports import EXPORT_TABLES, export_frame
from services.sync import run_sync
from services.users import create_user
from storage.db import session_scope
from tests.conftest import file_workspace
from tests.pages.conftest import APP, texts

PASSWORDS = {
    "ada": "admin password 1",
    "fin": "finance password",
    "rev": "reviewer password",
    "vera": "viewer password",
}
ROLES = {"ada": Role.ADMIN, "fin": Role.FINANCE, "rev": Role.REVIEWER, "vera": Role.VIEWER}


@pytest.fixture
def synced(env, monkeypatch, tmp_path):
    """A synced workspace 'Acme' on a small demo export, with one user per role."""
    monkeypatch.setenv("REVENUE_CONNECTOR_DEMO", "0")
    settings = load_settings({**env, "REVENUE_CONNECTOR_DEMO": "0"})
    engine, ws_id = file_workspace(settings, tmp_path / "export")
    run_sync(engine, settings, ws_id, trigger="test", access=system_access("t"))
    admin = Access(LOCAL_ADMIN, Role.ADMIN)
    with session_scope(engine) as session:
        for name, role in ROLES.items():
            create_user(session, name, role=role, password=PASSWORDS[name], actor=admin)
    yield settings, engine, ws_id
    engine.dispose()


def _signed_in(name: str) -> AppTest:
    at = AppTest.from_file(str(APP), default_timeout=60)
    at.run()
    assert "Sign in" in [h.value for h in at.subheader]
    at.text_input(key="sign_in_name").input(name)
    at.text_input(key="sign_in_password").input(PASSWORDS[name])
    at.button[0].click().run()
    assert not at.exception, at.exception
    return at


def _cells(at: AppTest) -> set[str]:
    return {str(v) for frame in at.dataframe for column in frame.value.columns for v in frame.value[column].to_list()}


def test_a_wrong_password_is_refused_and_nothing_else_renders(synced):
    at = AppTest.from_file(str(APP), default_timeout=60)
    at.run()
    at.text_input(key="sign_in_name").input("vera")
    at.text_input(key="sign_in_password").input("not the password")
    at.button[0].click().run()
    assert "Unknown user name or wrong password." in texts(at)
    assert not at.dataframe and "Revenue" not in [t.value for t in at.title]


@pytest.mark.parametrize("name", ["vera", "rev"])
def test_masked_roles_see_revenue_and_pipelines_without_customer_amounts(synced, name):
    at = _signed_in(name)
    at.switch_page("pages/revenue.py").run()
    assert not at.exception, at.exception
    assert "amounts masked" in texts(at)
    drill = next(f.value for f in at.dataframe if "Opportunity" in f.value.columns)
    assert set(drill["Amount"].to_list()) == {MASKED} and set(drill["Weighted amount"].to_list()) == {MASKED}
    at.switch_page("pages/pipelines.py").run()
    assert not at.exception, at.exception
    # The demo plants a negative amount; its offending value must not show on the Pipelines page either.
    assert "-5000.0" not in _cells(at) and "-5000" not in _cells(at)


def test_a_viewer_sees_only_insight_pages(synced):
    at = _signed_in("vera")
    assert "vera" in " ".join(str(c.value) for c in at.caption) and "Sign out" in [b.label for b in at.button]
    for page in ("pages/settings.py", "pages/mapping.py", "pages/connect.py"):
        with pytest.raises(Exception):  # noqa: B017, PT011 - not in the viewer's navigation at all
            at.switch_page(page).run()


def test_finance_sees_amounts(synced):
    at = _signed_in("fin")
    at.switch_page("pages/revenue.py").run()
    assert not at.exception, at.exception
    drill = next(f.value for f in at.dataframe if "Opportunity" in f.value.columns)
    assert drill["Amount"].dtype.kind == "f"


def test_no_export_gives_a_viewer_a_customer_amount(synced):
    _, engine, ws = synced
    viewer, admin = Access("vera", Role.VIEWER), Access("ada", Role.ADMIN)
    for table in EXPORT_TABLES:
        seen, full = export_frame(engine, table.name, ws, viewer), export_frame(engine, table.name, ws, admin)
        assert seen.height == full.height, table.name
        for column in (
            "amount",
            "amount_reporting",
            "weighted_amount",
            "arr_delta",
            "arr_delta_reporting",
            "opportunity_amount",
            "movement_amount",
            "difference",
            "payload_json",
            "summary_json",
        ):
            if column in seen.columns and full[column].drop_nulls().len():
                assert set(seen[column].drop_nulls().to_list()) == {MASKED}, (table.name, column)
    quarantine = export_frame(engine, "quarantine", ws, viewer)
    amounts = quarantine.filter(pl.col("field") == "Amount")
    assert amounts.height and set(amounts["value"].to_list()) == {MASKED}


def _cli(env, *args, user=None, password=None):
    environment = {**os.environ, **env, "REVENUE_CONNECTOR_DEMO": "0"}
    if user:
        environment |= {"REVENUE_CONNECTOR_USER": user, "REVENUE_CONNECTOR_PASSWORD": password or PASSWORDS[user]}
    return subprocess.run(
        [sys.executable, "-m", "core", *args],
        capture_output=True,
        text=True,
        cwd=PROJECT_ROOT,
        env=environment,
        timeout=120,
    )


def test_every_cli_command_on_a_workspace_needs_sign_in_and_audits_the_user(synced, env, tmp_path):
    _, engine, ws = synced
    commands = [
        ("workspaces",),
        ("connections", "--workspace", "Acme"),
        ("alerts", "--workspace", "Acme"),
        ("schedule", "--workspace", "Acme"),
        ("route", "--domain", "pipeline", "--workspace", "Acme", "--source", "demo:opportunities"),
        ("reconcile", "--workspace", "Acme", "--source", "demo", "--object", "accounts"),
        ("mapping", "export", "--workspace", "Acme", "--out", str(tmp_path / "m.yaml")),
        ("sync", "--workspace", "Acme", "--dry-run"),
    ]
    for i, command in enumerate(commands):
        anonymous = _cli(env, *command)
        assert anonymous.returncode == 1 and "REVENUE_CONNECTOR_USER" in anonymous.stderr, command
        if i < 4:  # (a fifth failure in a row from this machine would lock sign-in for a while)
            wrong = _cli(env, *command, user="fin", password="not the password")
            assert wrong.returncode == 1 and "wrong password" in wrong.stderr, command
    assert "--actor" not in _cli(env, "sync", "--help").stdout
    refused = _cli(
        env, "route", "--domain", "pipeline", "--workspace", "Acme", "--source", "demo:opportunities", user="vera"
    )
    assert refused.returncode == 1 and "may not" in refused.stderr
    ran = _cli(env, "sync", "--workspace", "Acme", user="fin")
    assert ran.returncode == 0, ran.stderr
    from sqlmodel import select

    from storage.tables import AuditEntry

    with session_scope(engine) as session:
        entry = session.exec(select(AuditEntry).where(AuditEntry.action == "sync")).all()[-1]
    assert entry.actor == "cli:fin"


def test_the_cli_signs_in_and_masks_for_a_viewer(synced, env, tmp_path):
    def cli(*args, user=None):
        return _cli(env, *args, user=user)

    out = tmp_path / "o.csv"
    anonymous = cli("export", "opportunities", "--workspace", "Acme", "--out", str(out))
    assert anonymous.returncode == 1 and "REVENUE_CONNECTOR_USER" in anonymous.stderr
    viewer = cli("export", "opportunities", "--workspace", "Acme", "--out", str(out), user="vera")
    assert viewer.returncode == 0 and "(amounts masked)" in viewer.stdout
    assert set(pl.read_csv(out)["amount"].to_list()) == {MASKED}
    refused = cli("sync", "--workspace", "Acme", user="vera")
    assert refused.returncode == 1 and "may not run syncs" in refused.stderr
    finance = cli("export", "opportunities", "--workspace", "Acme", "--out", str(out), user="fin")
    assert finance.returncode == 0 and pl.read_csv(out)["amount"].dtype == pl.Float64


def test_a_masked_role_gets_no_parent_filter_and_no_amount_per_parent(synced):
    from sqlmodel import select

    from pages._shell import NOT_APPLICABLE
    from storage.tables import CanonicalAccount

    _, engine, ws = synced
    with session_scope(engine) as session:  # two accounts with deals, one linked under the other
        first, second = session.exec(
            select(CanonicalAccount).where(CanonicalAccount.workspace_id == ws).order_by(CanonicalAccount.id).limit(2)
        ).all()
        second.parent_id = first.id
        session.add(second)
    labels = {"fin": [], "vera": []}
    for name in labels:
        at = _signed_in(name)
        at.switch_page("pages/revenue.py").run()
        assert not at.exception, at.exception
        labels[name] = [m.label for m in at.multiselect]
        groups = next(f.value for f in at.dataframe if "Parent account" in f.value.columns)
        masked = groups["Ending ARR"].isna() | (groups["Ending ARR"] == NOT_APPLICABLE)  # blank: a dash
        assert masked.all() if name == "vera" else not masked.any()
    # One parent against all the others would tell a customer's amount: the filter is for roles seeing amounts.
    assert "Parent account (with its linked entities)" in labels["fin"]
    assert "Parent account (with its linked entities)" not in labels["vera"]


def test_a_viewer_works_in_whole_quarters_without_owner_or_stage_filters(synced):
    at = _signed_in("vera")
    at.switch_page("pages/revenue.py").run()
    assert not at.exception, at.exception
    assert [s.label for s in at.select_slider][:1] == ["Period (whole quarters for your role)"]
    assert all(s.value[0].month in (1, 4, 7, 10) for s in at.select_slider)
    labels = [m.label for m in at.multiselect]
    assert "Owner" not in labels and "Stage" not in labels and "Pipeline" not in labels
    fin = _signed_in("fin")
    fin.switch_page("pages/revenue.py").run()
    assert {"Owner", "Stage", "Pipeline"} <= {m.label for m in fin.multiselect}


def test_a_viewer_sees_the_run_history_without_its_figures(synced):
    at = _signed_in("vera")
    at.switch_page("pages/pipelines.py").run()
    assert not at.exception, at.exception
    # The history shows counts in words and no summary figures at all (they were masked JSON before).
    runs = next(f.value for f in at.dataframe if "Held back" in f.value.columns)
    assert len(runs) and not any("summary" in str(c).lower() for c in runs.columns)
    assert MASKED not in set(runs.astype(str).to_numpy().ravel())
