"""The headless CLI as cron jobs and scripts use it: exit codes, one-line errors, files written."""

import re
import subprocess
import sys

import polars as pl
import pytest

from domain.config import PROJECT_ROOT


def test_demo_writes_a_seeded_export(cli, tmp_path):
    result = cli(
        "demo",
        "--out",
        str(tmp_path / "x"),
        "--accounts",
        "50",
        "--opportunities",
        "120",
        "--movements",
        "80",
        "--format",
        "parquet",
    )
    assert result.returncode == 0, result.stderr
    assert "opportunities: 120 rows" in result.stdout
    assert pl.read_parquet(tmp_path / "x" / "opportunities.parquet").height == 120


def test_export_writes_csv_and_an_unknown_workspace_fails_with_one_line(cli, tmp_path):
    out = tmp_path / "audit.csv"
    result = cli("export", "audit", "--workspace", "Demo", "--out", str(out))
    assert result.returncode == 0, result.stderr
    audit = pl.read_csv(out)
    assert set(audit["action"]) >= {"create", "test"}

    failed = cli("export", "opportunities", "--workspace", "Nope", "--out", str(tmp_path / "o.csv"))
    assert failed.returncode == 1
    assert failed.stderr.strip().splitlines() == [
        "error: There is no workspace named 'Nope'. Workspaces: Demo, Demo · ARR from contracts."
    ]
    assert not (tmp_path / "o.csv").exists()


def test_db_status_reports_the_schema(cli):
    cli("workspaces")
    result = cli("db", "status")
    assert result.returncode == 0 and "up to date" in result.stdout


def test_bench_extract_prints_a_rate_per_path(cli):
    result = cli("bench", "extract", "--records", "1500")
    assert result.returncode == 0, result.stderr
    for path in ("Salesforce REST", "Salesforce Bulk API 2.0", "HubSpot"):
        line = next(line for line in result.stdout.splitlines() if line.startswith(path))
        assert "1,500 records" in line and "records/s" in line


def test_mapping_import_then_export_round_trips_and_a_bad_file_fails_with_one_line(cli, tmp_path):
    demo_mapping = PROJECT_ROOT / "docs" / "demo-mapping.yaml"
    imported = cli("mapping", "import", "--workspace", "Demo", "--file", str(demo_mapping))
    assert imported.returncode == 0, imported.stderr
    assert "mapping version 1 saved for Demo" in imported.stdout
    out = tmp_path / "m.yaml"
    assert cli("mapping", "export", "--workspace", "Demo", "--out", str(out)).returncode == 0
    assert out.read_text() == demo_mapping.read_text()

    bad = tmp_path / "bad.yaml"
    bad.write_text(demo_mapping.read_text().replace("type: currency", "type: money", 1))
    failed = cli("mapping", "import", "--workspace", "Demo", "--file", str(bad))
    assert failed.returncode == 1
    assert failed.stderr.strip().splitlines() == [
        "error: objects[0].fields.Amount.type: 'money' is not one of string, number, currency, date, datetime, boolean, percent"
    ]


def test_the_five_steps_headless_with_dry_run_sync_and_exports(cli, tmp_path):
    failed = cli("sync", "--workspace", "Demo")
    assert failed.returncode == 1
    assert failed.stderr.strip().splitlines() == [
        "error: There is no mapping yet. Import or approve a mapping in step 3 first."
    ]

    # The whole setup, headless.
    listed = cli("connections", "--workspace", "Demo")
    assert listed.stdout.startswith("demo_crm_salesforce_sandbox\tsalesforce\tok\t")
    key = "demo_crm_salesforce_sandbox"
    assert cli("route", "--workspace", "Demo", "--domain", "pipeline", "--source", f"{key}:Opportunity").returncode == 0
    assert (
        cli("route", "--workspace", "Demo", "--domain", "arr_actuals", "--source", f"{key}:ARR_Movement__c").returncode
        == 0
    )
    assert (
        cli(
            "mapping", "import", "--workspace", "Demo", "--file", str(PROJECT_ROOT / "docs" / "demo-mapping.yaml")
        ).returncode
        == 0
    )
    reconciled = cli("reconcile", "--workspace", "Demo", "--source", key, "--object", "Account")
    assert "500 new canonical accounts" in reconciled.stdout
    wrong = cli("route", "--workspace", "Demo", "--domain", "pipeline", "--source", "hubspot:deals")
    assert wrong.returncode == 1 and "no connection with source key 'hubspot'" in wrong.stderr

    dry = cli("sync", "--workspace", "Demo", "--dry-run")
    assert dry.returncode == 0, dry.stderr
    assert (
        "dry run #" in dry.stdout
        and "Pipeline: read 3,000, add 2,996, change 0, tombstone 0, quarantine 4" in dry.stdout
    )
    real = cli("sync", "--workspace", "Demo")
    assert real.returncode == 0 and "add 2,996" in real.stdout
    again = cli("sync", "--workspace", "Demo", "--full")
    assert "add 0, change 0, tombstone 0" in again.stdout
    out = tmp_path / "q.csv"
    assert cli("export", "quarantine", "--workspace", "Demo", "--out", str(out)).returncode == 0
    assert set(pl.read_csv(out)["reason_code"]) >= {"unmapped_stage", "unreconciled_account"}


def test_suggest_commands_write_the_documented_columns(cli, tmp_path):
    evaluation = PROJECT_ROOT / "tests" / "evaluation"
    for kind, columns in (
        ("fields", ["object", "name", "suggested", "score", "band", "reason"]),
        ("stages", ["pipeline", "stage_id", "suggested", "weight", "score", "band", "reason"]),
        ("accounts", ["account_id_a", "account_id_b", "score", "band", "reason"]),
    ):
        out = tmp_path / f"{kind}.csv"
        result = cli("suggest", kind, "--input", str(evaluation / f"{kind}.csv"), "--out", str(out))
        assert result.returncode == 0, result.stderr
        frame = pl.read_csv(out)
        assert frame.columns == columns and frame.height > 0
    fields = pl.read_csv(tmp_path / "fields.csv")
    assert set(fields.filter(pl.col("name") == "StageName")["suggested"]) == {"stage"}
    accounts = pl.read_csv(tmp_path / "accounts.csv")
    assert accounts["score"].to_list() == sorted(accounts["score"].to_list(), reverse=True)


def test_suggest_names_a_missing_column_in_one_line(cli, tmp_path):
    bad = tmp_path / "bad.csv"
    bad.write_text("system,object,name\nsalesforce,Opportunity,Amount\n")
    result = cli("suggest", "fields", "--input", str(bad), "--out", str(tmp_path / "o.csv"))
    assert result.returncode == 1 and "missing column(s) label, type, samples" in result.stderr


def test_eval_and_bench_accounts_print_figures(cli):
    result = cli("eval")
    assert result.returncode == 0, result.stderr
    assert [line.split()[0] for line in result.stdout.splitlines() if not line.startswith(" ")] == [
        "fields",
        "stages",
        "accounts",
        "accounts",
    ]
    assert "accounts  real_accounts.csv" in result.stdout and "auto-accept band" in result.stdout
    assert "cross-script" in result.stdout and "related (parent/child)" in result.stdout
    bench = cli("bench", "accounts", "--accounts", "3000")
    assert bench.returncode == 0 and "pairs compared" in bench.stdout and "peak memory" in bench.stdout


def test_schedule_worker_targeted_sync_and_alerts_headless(cli):
    key = "demo_crm_salesforce_sandbox"
    cli("route", "--workspace", "Demo", "--domain", "pipeline", "--source", f"{key}:Opportunity")
    cli("route", "--workspace", "Demo", "--domain", "arr_actuals", "--source", f"{key}:ARR_Movement__c")
    cli("mapping", "import", "--workspace", "Demo", "--file", str(PROJECT_ROOT / "docs" / "demo-mapping.yaml"))
    cli("reconcile", "--workspace", "Demo", "--source", key, "--object", "Account")

    bad = cli("schedule", "--workspace", "Demo", "--every", "2")
    assert bad.returncode == 1 and bad.stderr.strip() == "error: Every N minutes: N must be at least 5 (got 2)."
    shown = cli("schedule", "--workspace", "Demo", "--daily", "06:30", "--timezone", "Europe/Berlin")
    assert shown.returncode == 0, shown.stderr
    assert shown.stdout.startswith("schedule of Demo: daily at 06:30 (Europe/Berlin); next run ")
    assert "worker: not running" in shown.stdout
    assert cli("worker", "--once").stdout == ""  # nothing is due before 06:30 tomorrow

    pipeline = cli("sync", "--workspace", "Demo", "--object", "pipeline")
    assert pipeline.returncode == 0, pipeline.stderr
    assert "sync of Pipeline #" in pipeline.stdout and "ARR actuals:" not in pipeline.stdout
    account = cli("sync", "--workspace", "Demo", "--account", "1")
    assert account.returncode == 0 and "sync of account 1 · " in account.stdout
    unknown = cli("sync", "--workspace", "Demo", "--account", "No Such Customer Ltd")
    assert unknown.returncode == 1 and "There is no account 'No Such Customer Ltd'" in unknown.stderr
    nothing = cli("sync", "--workspace", "Demo", "--object", f"{key}:Contract")
    assert nothing.returncode == 1 and "Nothing routed matches object" in nothing.stderr
    assert cli("alerts", "--workspace", "Demo").stdout.strip() == "no alerts in Demo"

    # The demo org can be told to fail: the run fails cleanly and raises an alert.
    faulty = subprocess.run(
        [sys.executable, "-m", "core", "sync", "--workspace", "Demo"],
        cwd=PROJECT_ROOT,
        env={**cli.env, "PATH": "/usr/bin", "REVENUE_CONNECTOR_DEMO_FAULT": "503"},
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert faulty.returncode == 1 and len(faulty.stderr.strip().splitlines()) == 1
    alerts = cli("alerts", "--workspace", "Demo").stdout.strip().splitlines()
    assert len(alerts) == 1 and "\trun_failed\tThe sync failed: " in alerts[0]


def test_an_export_to_an_unknown_file_type_and_a_rollback_to_no_run_are_refused_and_leave_nothing(cli, tmp_path):
    xlsx = tmp_path / "q.xlsx"
    refused = cli("export", "opportunities", "--workspace", "Demo", "--out", str(xlsx))
    assert refused.returncode == 1 and "CSV or Parquet" in refused.stderr and not xlsx.exists()
    rollback = cli("sync", "--workspace", "Demo", "--rollback-to", "999")
    assert rollback.returncode == 1 and "Run #999 does not exist" in rollback.stderr
    runs = tmp_path / "runs.csv"
    assert cli("export", "runs", "--workspace", "Demo", "--out", str(runs)).returncode == 0
    assert runs.read_text().count("\n") == 1  # the header only: no failed rollback run in the history


@pytest.mark.parametrize("source", ["file", "salesforce"])
def test_bench_sync_prints_full_and_incremental_figures_for_each_source(cli, source):
    result = cli(
        "bench", "sync", "--source", source, "--opportunities", "3000", "--movements", "2000", "--reference", "1000"
    )
    assert result.returncode == 0, result.stderr
    out, comparison = result.stdout.split("the same 1% change at 1,000 opportunities and 666 movements")
    # The big workspace's third run changed as many records as 1% of the small one (every 300th of 3,000).
    assert "incremental sync after every 300th record changed" in out
    assert re.search(
        r"as many changed records as 1% of 1,000 took [\d.]+ s .* ratio \d+\.\d\d \(target 1.5\)", comparison
    )
    assert f"full sync from {source} into SQLite" in out and "incremental sync after 1% changed" in out
    summary = next(line for line in out.splitlines() if line.startswith(f"source={source} "))
    assert "incremental_ratio=" in summary and "peak_rss_mib=" in summary
    # The incremental run read only what changed: about 1% of each object, not everything again.
    incremental = out[out.index("incremental sync after 1% changed") :]
    read = [int(n.replace(",", "")) for n in re.findall(r"read ([\d,]+), add", incremental)]
    assert read and all(0 < n <= 60 for n in read), read
