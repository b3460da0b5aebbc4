"""What the Pipelines page says a run curated, in columns that apply to each domain (issue 21)."""

from domain.roles import system_access
from services.run_review import review_run
from services.sync.run import run_sync


def test_the_curated_table_leaves_stage_empty_for_arr_movements(workspace):
    settings, engine, ws, _ = workspace
    run = run_sync(engine, settings, ws, trigger="test", access=system_access("t"), full=True)
    curated = {r["Domain"]: r for r in review_run(engine, ws, run.run_id).curated.to_dicts()}
    assert curated["Pipeline"]["Rows with a mapped stage"] > 0
    assert curated["ARR actuals"]["Rows with a mapped stage"] is None  # ARR has no stage: not a misleading 0


def test_run_history_reads_in_the_users_words_and_time_zone():
    from datetime import UTC, datetime

    import polars as pl

    from services.run_review import RUN_HISTORY_COLUMNS, run_history_rows, run_volumes
    from storage.frames import table_schema

    runs = pl.DataFrame(
        {
            "id": [1, 2, 3],
            "workspace_id": [1, 1, 1],
            "trigger": ["app", "schedule", "rollback"],
            "status": ["succeeded", "failed", "succeeded"],
            "dry_run": [True, False, False],
            "started_at": [datetime(2026, 12, 5, 23, 30, tzinfo=UTC)] * 3,
            "finished_at": [datetime(2026, 12, 5, 23, 30, 12, 500000, tzinfo=UTC)] * 3,
            "rows_read": [3000, 54, 0],
            "rows_added": [2996, 0, 0],
            "rows_changed": [0, 4, 0],
            "rows_tombstoned": [0, 1, 0],
            "rows_quarantined": [4, 8, 0],
            "rows_newly_quarantined": [4, 0, 0],
            "mapping_version": [1, 1, None],
            "error": [None, "Salesforce said 503", None],
        }
    )
    runs = runs.with_columns(pl.lit(None).alias(c) for c in table_schema("runs") if c not in runs.columns)
    history = run_history_rows(runs, "America/New_York")
    assert history.columns == list(RUN_HISTORY_COLUMNS)
    first = history.row(2, named=True)  # newest first: run #1 is last
    assert (first["Run"], first["Started"], first["Kind"], first["Status"]) == (
        "#1",
        "2026-12-05 18:30",  # 23:30 UTC in New York, with no "+00:00"
        "Dry run (from the app)",
        "Succeeded",
    )
    assert history["Kind"].to_list()[:2] == ["Rollback (from the app or CLI)", "Sync (scheduled)"]
    assert history["Seconds"].to_list() == [12.5, 12.5, 12.5]
    volumes = run_volumes(history)
    assert volumes.filter(pl.col("Run") == "#2").select("measure", "rows").rows() == [
        ("Read", 54),
        ("Landed", 4),
        ("Held back", 8),
    ]


def test_a_dry_run_says_what_would_not_roll_up_by_reason_and_masks_examples_for_a_viewer(workspace):
    from domain.canonical import Domain
    from domain.roles import MASKED, Access, Role
    from services.run_review import held_table
    from services.sync.summary import SyncSummary

    settings, engine, ws, _ = workspace
    dry = run_sync(engine, settings, ws, trigger="test", access=system_access("t"), dry_run=True)
    held = dry.domains[Domain.PIPELINE].held
    assert sum(h["rows"] for h in held) >= dry.domains[Domain.PIPELINE].quarantined > 0  # a row can fail twice
    unmapped = next(h for h in held if h["reason"].lower().startswith("unmapped stage"))
    assert unmapped["fields"] and "Pilot Extension" in unmapped["examples"]
    # It survives the run record (the Sync page reads the summary back) and is masked for a viewer.
    again = SyncSummary.from_json(dry.to_json())
    assert again.domains[Domain.PIPELINE].held == held
    assert set(held_table(again, Access("vera", Role.VIEWER))["Examples"]) == {MASKED}
    assert "Pilot Extension" in " ".join(held_table(again, system_access("t"))["Examples"])


def test_runs_at_a_glance_give_seconds_per_phase_and_one_timeline_of_runs_and_alerts(workspace):
    import polars as pl

    from services.alerts import alert_rows
    from services.exports import export_frame
    from services.run_review import run_history_rows, run_phases, run_timeline
    from storage.alerts import list_alerts
    from storage.db import session_scope

    settings, engine, ws, _ = workspace
    dry = run_sync(engine, settings, ws, trigger="test", access=system_access("t"), dry_run=True)
    landed = run_sync(engine, settings, ws, trigger="test", access=system_access("t"))
    phases = run_phases(engine, ws)
    assert set(phases["Run"]) == {f"#{dry.run_id}", f"#{landed.run_id}"}
    assert set(phases.filter(pl.col("Run") == f"#{landed.run_id}")["phase"]) == {
        "Read",
        "Transform",
        "Compare",
        "Write",
    }
    mine = phases.filter(pl.col("Run") == f"#{landed.run_id}")
    assert dict(zip(mine["phase"], mine["seconds"], strict=True)) == {
        name.capitalize(): seconds for name, seconds in landed.phase_seconds.items()
    }
    history = run_history_rows(export_frame(engine, "runs", ws, system_access("t")), "Asia/Tokyo")
    with session_scope(engine) as session:
        alerts = alert_rows(list_alerts(session, ws), [], "Asia/Tokyo")
    events = run_timeline(history, alerts)
    runs = events.filter(pl.col("Lane") == "Runs")
    assert runs["What"].to_list() == ["Dry run · Succeeded", "Sync · Succeeded"]
    assert events["When"].is_sorted() and events.filter(pl.col("Lane") == "Alerts").height == alerts.height


def test_deals_weighted_by_their_own_probability_are_counted_where_the_run_is_reviewed(db_env, tmp_path):
    import polars as pl

    from domain.config import PROJECT_ROOT, load_settings
    from storage.frames import read_workspace_table
    from tests.conftest import file_workspace

    settings = load_settings({**db_env, "REVENUE_CONNECTOR_DEMO": "0"})
    mapping = (PROJECT_ROOT / "docs" / "demo-export-mapping.yaml").read_text()
    # The export's Probability column (percent) mapped as each deal's own probability.
    anchor = "      StageName: {to: stage, type: string}\n"
    assert anchor in mapping
    mapping = mapping.replace(anchor, anchor + "      Probability: {to: probability_override, type: percent}\n", 1)
    engine, ws = file_workspace(settings, tmp_path / "export", mapping=mapping)
    run = run_sync(engine, settings, ws, trigger="test", access=system_access("t"))
    deals = read_workspace_table(engine, "opportunities", ws)
    open_deals = deals.filter(
        pl.col("stage").is_in(["prospecting", "qualification", "evaluation", "proposal", "negotiation"])
    )
    curated = {r["Domain"]: r for r in review_run(engine, ws, run.run_id).curated.to_dicts()}
    assert curated["Pipeline"]["Deals weighted by their own probability"] == open_deals.height > 0
    assert curated["ARR actuals"]["Deals weighted by their own probability"] is None
    # Each open deal carries its CRM probability as its weight: a renewal's Verbal Commit is 90% in the CRM
    # where the negotiation stage it maps onto weighs 80%.
    assert (open_deals["weight"] == open_deals["probability_override"]).all()
    assert 0.9 in open_deals["weight"].to_list()
    engine.dispose()
