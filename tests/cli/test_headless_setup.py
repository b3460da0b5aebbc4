"""The five setup steps from an empty database with CLI commands only, against the CRM sandboxes."""

from __future__ import annotations

import re
from datetime import date

import polars as pl
import pytest

from domain.config import PROJECT_ROOT
from sandbox.demo_data import DemoSpec, generate
from sandbox.demo_org import demo_hubspot_portal, demo_salesforce_org
from sandbox.hubspot import HubSpotSandbox
from sandbox.salesforce import SalesforceSandbox

SPEC = DemoSpec(seed=11, accounts=60, opportunities=240, movements=160)


@pytest.fixture
def cli_empty(cli):
    """The CLI on an empty database: no built-in demo workspace."""
    cli.env["REVENUE_CONNECTOR_DEMO"] = "0"
    return cli


def _ok(result) -> str:
    assert result.returncode == 0, result.stderr
    return result.stdout


def _one_line_error(result) -> str:
    assert result.returncode == 1, result.stdout
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: "), result.stderr
    return lines[0]


def test_salesforce_password_login_setup_and_sync_with_cli_commands_only(cli_empty, tmp_path):
    cli = cli_empty
    org = demo_salesforce_org(data=generate(SPEC))
    org.password = "S3cret-Pa55-word"
    secrets = {"SF_PASSWORD": org.password, "SF_TOKEN": org.security_token}
    with SalesforceSandbox(org) as sandbox:
        assert "Acme" not in _ok(cli("workspaces"))
        assert "workspace Acme created" in _ok(cli("workspaces", "create", "Acme"))
        login = [
            "--kind",
            "salesforce",
            "--set",
            "auth=password",
            "--set",
            f"username={org.username}",
            "--set",
            f"api_base_url={sandbox.url}",
        ]
        refused = cli(
            "connections",
            "add",
            "--workspace",
            "Acme",
            "--name",
            "Salesforce prod",
            *login,
            "--set",
            f"password={org.password}",
        )
        assert "'password' is a secret" in _one_line_error(refused)
        assert org.password not in refused.stderr
        missing = cli(
            "connections",
            "add",
            "--workspace",
            "Acme",
            "--name",
            "Salesforce prod",
            *login,
            "--secret-from-env",
            "password=SF_PASSWORD",
        )
        assert "SF_PASSWORD (for password) is not set" in _one_line_error(missing)
        added = _ok(
            cli(
                "connections",
                "add",
                "--workspace",
                "Acme",
                "--name",
                "Salesforce prod",
                *login,
                "--secret-from-env",
                "password=SF_PASSWORD",
                "--secret-from-env",
                "security_token=SF_TOKEN",
                extra_env=secrets,
            )
        )
        assert "as source key salesforce_prod" in added
        tested = _ok(cli("connections", "test", "--workspace", "Acme", "--name", "Salesforce prod"))
        assert tested.startswith("Connected to Demo Revenue Inc. · ") and "Readable: " in tested

        _ok(
            cli(
                "connections",
                "add",
                "--workspace",
                "Acme",
                "--name",
                "Wrong password",
                *login,
                "--secret-from-env",
                "password=NOPE",
                extra_env={"NOPE": "not-it"},
            )
        )
        failed = _one_line_error(cli("connections", "test", "--workspace", "Acme", "--name", "Wrong password"))
        assert "Salesforce refused the login: Invalid username, password, security token" in failed
        assert "(INVALID_LOGIN)" in failed and "{content}" not in failed

        _ok(cli("route", "--workspace", "Acme", "--domain", "pipeline", "--source", "salesforce_prod:Opportunity"))
        _ok(
            cli(
                "route", "--workspace", "Acme", "--domain", "arr_actuals", "--source", "salesforce_prod:ARR_Movement__c"
            )
        )
        mapping = tmp_path / "acme-mapping.yaml"
        mapping.write_text(
            (PROJECT_ROOT / "docs" / "demo-mapping.yaml")
            .read_text()
            .replace("demo_crm_salesforce_sandbox", "salesforce_prod")
        )
        _ok(cli("mapping", "import", "--workspace", "Acme", "--file", str(mapping)))
        assert "new canonical accounts" in _ok(
            cli("reconcile", "--workspace", "Acme", "--source", "salesforce_prod", "--object", "Account")
        )
        synced = _ok(cli("sync", "--workspace", "Acme"))
        assert "Pipeline: read 240" in synced and "ARR actuals: read 160" in synced
    # The wizard shows what clicking through it would: every step done.
    assert "Acme\t\tsetup 5 of 5 steps done" in _ok(cli("workspaces")).splitlines()
    out = tmp_path / "opportunities.csv"
    _ok(cli("export", "opportunities", "--workspace", "Acme", "--out", str(out)))
    landed = pl.read_csv(out)
    assert landed["owner"].drop_nulls().str.ends_with("@demo-revenue.example").all()


def _workspace_file(folder, url: str) -> str:
    (folder / "hubspot-mapping.yaml").write_text(
        (PROJECT_ROOT / "docs" / "hubspot-mapping.yaml").read_text().replace("source: hubspot", "source: HubSpot")
    )
    path = folder / "workspace.yaml"
    path.write_text(f"""
workspace: Acme HubSpot
reporting_currency: USD
connections:
  - name: HubSpot
    kind: hubspot
    settings: {{host: "{url}"}}
    secrets_from_env: {{access_token: HUBSPOT_TOKEN}}
routes:
  pipeline: ["HubSpot: deals"]
mapping: hubspot-mapping.yaml
""")
    return str(path)


def test_a_hubspot_workspace_from_one_file_applied_twice_then_reconciled_and_synced(cli_empty, tmp_path):
    cli = cli_empty
    portal = demo_hubspot_portal(data=generate(SPEC))
    portal.time_zone = "America/New_York"
    late = portal.objects["deals"][0]
    late.properties["closedate"] = "2026-03-31T03:00:00Z"  # 30 March, 23:00 in the portal's time zone
    token = {"HUBSPOT_TOKEN": portal.token}
    with HubSpotSandbox(portal) as sandbox:
        workspace_file = _workspace_file(tmp_path, sandbox.url)
        first = _ok(cli("apply", "--file", workspace_file, extra_env=token))
        assert "changed: workspace Acme HubSpot created" in first
        assert "changed: connection HubSpot (hubspot) added" in first and "changed: mapping version 1 in force" in first
        assert "tested HubSpot: Connected to demo-revenue.hubspot.example (portal 4200001)" in first
        again = _ok(cli("apply", "--file", workspace_file, extra_env=token))
        assert "Acme HubSpot already matches" in again and "\nchanged:" not in "\n" + again
        assert "unchanged: mapping (version 1)" in again
        assert "HUBSPOT_TOKEN (for access_token) is not set" in _one_line_error(cli("apply", "--file", workspace_file))

        _ok(cli("reconcile", "--workspace", "Acme HubSpot", "--source", "hubspot", "--object", "companies"))
        first = _ok(cli("sync", "--workspace", "Acme HubSpot"))
        # The deals' stage history comes with the first run, whole (every value dealstage ever held).
        entries = sum(len(d.history.get("dealstage", [])) or 1 for d in portal.objects["deals"] if not d.archived)
        assert f"Stage history of deals: {entries:,} entries" in first
        assert "Acme HubSpot\t\tsetup 5 of 5 steps done" in _ok(cli("workspaces")).splitlines()

        # A deal is archived (its updatedAt does not move); the next incremental read holds only that deal.
        gone = portal.objects["deals"][1]
        gone.archived, gone.archived_at = True, "2030-01-01T00:00:00Z"
        incremental = _ok(cli("sync", "--workspace", "Acme HubSpot"))
        assert "tombstone 1" in incremental
        # Only the deals changed since the last run (the look-back's) have their history read again.
        assert re.search(r"Stage history of deals: \d+ entr(y|ies) read since the last run", incremental)
    calibration = tmp_path / "calibration.csv"
    _ok(cli("export", "stage_calibration", "--workspace", "Acme HubSpot", "--out", str(calibration)))
    assert pl.read_csv(calibration)["closed_deals"].sum() > 0
    out = tmp_path / "deals.csv"
    _ok(cli("export", "opportunities", "--workspace", "Acme HubSpot", "--out", str(out)))
    deals = pl.read_csv(out, try_parse_dates=True, schema_overrides={"source_id": pl.String, "pipeline_id": pl.String})
    assert deals.filter(pl.col("source_id") == late.id)["expected_close"].to_list() == [date(2026, 3, 30)]
    owners = {o["email"] for o in portal.owners}
    assert set(deals["owner"].drop_nulls()) <= owners and deals["owner"].null_count() < deals.height
    assert set(deals["pipeline_id"]) <= {"default", "731000001"}


def test_a_workspace_file_never_takes_a_secret_inline(cli_empty, tmp_path):
    path = tmp_path / "workspace.yaml"
    path.write_text("workspace: X\nconnections:\n  - {name: HS, kind: hubspot, settings: {access_token: pat-123}}\n")
    error = _one_line_error(cli_empty("apply", "--file", str(path)))
    assert "connections[0] (HS): 'access_token' is a secret" in error and "pat-123" not in error
    assert "X" not in _ok(cli_empty("workspaces")).split()  # nothing was applied
