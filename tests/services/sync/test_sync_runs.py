"""Sync runs end to end on file sources, on SQLite and PostgreSQL: the engine, not a mock, all the way down."""

import polars as pl
import pytest
from sqlalchemy import text

from domain.canonical import Domain
from domain.config import PROJECT_ROOT
from domain.errors import SyncInProgress
from domain.roles import system_access
from domain.routing import RouteChoice
from domain.source_kinds import SourceKind
from services.sync import rollback_to, run_sync
from services.sync.lifecycle import start_run
from storage.connections import create_connection
from storage.db import session_scope
from storage.frames import read_workspace_table
from storage.mappings import save_mapping
from storage.routing import save_routes

MAPPING = (PROJECT_ROOT / "docs" / "demo-export-mapping.yaml").read_text()


def _sync(workspace, **kwargs):
    settings, engine, ws, _ = workspace
    return run_sync(engine, settings, ws, trigger="test", access=system_access("t"), **kwargs)


def _table(workspace, name):
    _, engine, ws, _ = workspace
    return read_workspace_table(workspace[1], name, ws)


def test_a_dry_run_reports_and_writes_nothing_then_the_run_lands_everything_but_the_bad_rows(workspace):
    dry = _sync(workspace, dry_run=True)
    assert dry.domains[Domain.PIPELINE].added == 296 and dry.domains[Domain.PIPELINE].quarantined == 4
    assert dry.domains[Domain.PIPELINE].totals_after["weighted open pipeline"] > 0
    assert _table(workspace, "opportunities").is_empty() and _table(workspace, "quarantine").is_empty()
    real = _sync(workspace)
    opportunities = _table(workspace, "opportunities")
    assert (
        opportunities.height == 296
        and real.domains[Domain.ARR_ACTUALS].added == _table(workspace, "arr_movements").height
    )
    # Weighted pipeline is open deals only; closed-won deals are bookings, a figure of their own.
    still_open = opportunities.filter(~pl.col("stage").is_in(["closed_won", "closed_lost"]))
    won = opportunities.filter(pl.col("stage") == "closed_won")
    figures = dry.domains[Domain.PIPELINE].totals_after
    assert still_open["weighted_amount"].sum() == pytest.approx(figures["weighted open pipeline"])
    assert won["amount_reporting"].sum() == pytest.approx(figures["closed-won bookings"]) and won.height
    assert (opportunities["chosen_by"] == "only source: demo").all()
    quarantine = _table(workspace, "quarantine")
    assert set(quarantine["reason_code"]) == {
        "unmapped_stage",
        "unreconciled_account",
        "missing_value",
        "invalid_value",
        "sign_contradicts_component",
    }
    assert quarantine["payload_json"].is_not_null().all()
    runs = _table(workspace, "runs")
    assert runs["status"].to_list() == ["succeeded", "succeeded"] and runs["dry_run"].to_list() == [True, False]
    assert runs["mapping_version"].to_list() == [1, 1]
    assert _table(workspace, "audit").filter(pl.col("action") == "sync")["actor"].to_list() == ["t"]


def test_running_again_on_unchanged_data_changes_nothing(workspace):
    _sync(workspace)
    before = _table(workspace, "opportunities")
    again = _sync(workspace, full=True)
    assert (
        again.domains[Domain.PIPELINE].added,
        again.domains[Domain.PIPELINE].changed,
        again.domains[Domain.PIPELINE].tombstoned,
    ) == (0, 0, 0)
    assert _table(workspace, "opportunities").equals(before)


def test_fixing_the_mapping_releases_quarantined_rows_on_the_next_run(workspace):
    settings, engine, ws, _ = workspace
    _sync(workspace)
    with session_scope(engine) as session:
        fixed = MAPPING.replace(
            "stages:\n", "stages:\n  - {pipeline: 'New Business', stage: 'Pilot Extension', to: evaluation}\n"
        )
        save_mapping(session, ws, fixed, actor="t")
    result = _sync(workspace)  # incremental: the file is unchanged; the held row is re-processed
    landed = _table(workspace, "opportunities").filter(pl.col("source_stage") == "Pilot Extension")
    assert landed.height == 1 and landed["stage"].item() == "evaluation"
    open_quarantine = _table(workspace, "quarantine").filter(pl.col("released_run_id").is_null())
    assert "unmapped_stage" not in set(open_quarantine["reason_code"])
    assert result.domains[Domain.PIPELINE].added == 1 and result.mapping_version == 2


def test_a_failure_mid_load_leaves_the_previous_data_cursors_and_quarantine_intact(workspace):
    settings, engine, ws, folder = workspace
    _sync(workspace)
    before = {name: _table(workspace, name) for name in ("opportunities", "arr_movements", "quarantine")}
    opportunities = pl.read_csv(folder / "opportunities.csv", infer_schema=False)
    victim = opportunities["Id"][40]
    opportunities.with_columns(
        pl.when(pl.col("Id") == victim).then(pl.lit("999999")).otherwise(pl.col("Amount")).alias("Amount")
    ).write_csv(folder / "opportunities.csv")
    # A real database failure in the middle of the writes: a trigger refuses the changed row.
    with engine.begin() as connection:
        if engine.dialect.name == "sqlite":
            connection.execute(
                text(
                    f"CREATE TRIGGER fail_mid BEFORE INSERT ON opportunity WHEN NEW.source_id = "
                    f"'{victim}' BEGIN SELECT RAISE(ABORT, 'disk full'); END"
                )
            )
        else:
            connection.execute(
                text(
                    f"CREATE FUNCTION fail_mid() RETURNS trigger AS $$ BEGIN IF NEW.source_id = "
                    f"'{victim}' THEN RAISE EXCEPTION 'disk full'; END IF; RETURN NEW; END $$ LANGUAGE plpgsql"
                )
            )
            connection.execute(
                text("CREATE TRIGGER fail_mid BEFORE INSERT ON opportunity FOR EACH ROW EXECUTE FUNCTION fail_mid()")
            )
    with pytest.raises(Exception, match="disk full"):
        _sync(workspace, full=True)
    for name, frame in before.items():
        assert _table(workspace, name).equals(frame), name
    runs = _table(workspace, "runs")
    assert runs["status"].to_list()[-1] == "failed" and "disk full" in runs["error"].to_list()[-1]
    with engine.begin() as connection:
        connection.execute(
            text("DROP TRIGGER fail_mid" + ("" if engine.dialect.name == "sqlite" else " ON opportunity"))
        )
    after_fix = _sync(workspace, full=True)
    assert after_fix.domains[Domain.PIPELINE].changed == 1
    assert _table(workspace, "opportunities").filter(pl.col("source_id") == victim)["amount"].item() == 999999.0


def test_rollback_restores_exactly_what_an_earlier_run_produced(workspace):
    settings, engine, ws, folder = workspace
    first = _sync(workspace)
    produced = _table(workspace, "opportunities")
    opportunities = pl.read_csv(folder / "opportunities.csv", infer_schema=False)
    opportunities.filter(pl.int_range(pl.len()) >= 10).write_csv(folder / "opportunities.csv")  # 10 rows vanish
    vanished = set(opportunities["Id"].head(10)) & set(produced["source_id"])  # one of them was in quarantine
    second = _sync(workspace, full=True)
    assert second.domains[Domain.PIPELINE].tombstoned == len(vanished) == 9
    assert set(_table(workspace, "opportunities").filter(pl.col("is_deleted"))["source_id"]) == vanished
    rollback_to(engine, ws, first.run_id, access=system_access("dana"))
    assert _table(workspace, "opportunities").equals(produced)
    assert _table(workspace, "runs")["trigger"].to_list()[-1] == "rollback"
    assert _table(workspace, "audit").filter(pl.col("action") == "rollback").height == 1


def test_deletes_in_the_source_become_tombstones(workspace):
    settings, engine, ws, folder = workspace
    _sync(workspace)
    opportunities = pl.read_csv(folder / "opportunities.csv", infer_schema=False)
    gone = opportunities["Id"][0]
    deleted = pl.col("Id") == gone  # deleting a record also moves its modification stamp, as CRMs do
    opportunities.with_columns(
        pl.when(deleted).then(pl.lit("true")).otherwise(pl.col("IsDeleted")).alias("IsDeleted"),
        pl.when(deleted)
        .then(pl.lit("2026-11-20T09:00:00.000+0000"))
        .otherwise(pl.col("LastModifiedDate"))
        .alias("LastModifiedDate"),
    ).write_csv(folder / "opportunities.csv")
    result = _sync(workspace)
    assert result.domains[Domain.PIPELINE].tombstoned == 1
    row = _table(workspace, "opportunities").filter(pl.col("source_id") == gone)
    assert row["is_deleted"].item() is True and row["amount"].item() is not None  # kept, marked deleted


def test_priority_decides_when_two_sources_supply_the_same_record(workspace, tmp_path):
    settings, engine, ws, folder = workspace
    copy = tmp_path / "warehouse"
    copy.mkdir()
    opportunities = pl.read_csv(folder / "opportunities.csv", infer_schema=False)
    opportunities.head(5).with_columns(pl.lit("1.00").alias("Amount")).write_csv(copy / "opportunities.csv")
    with session_scope(engine) as session:
        warehouse = create_connection(
            session,
            ws,
            name="warehouse",
            kind=SourceKind.FILE,
            settings={"path": str(copy)},
            secrets=None,
            box=None,
            actor="t",
        )
        save_routes(
            session,
            ws,
            Domain.PIPELINE,
            [RouteChoice(warehouse.id, "opportunities"), RouteChoice(1, "opportunities")],
            actor="t",
        )
        save_mapping(session, ws, MAPPING.replace("objects:\n", "objects:\n" + _warehouse_object()), actor="t")
    _sync(workspace)
    rows = _table(workspace, "opportunities")
    from_warehouse = rows.filter(pl.col("source") == "warehouse")
    assert from_warehouse.height == 5 and (from_warehouse["amount"] == 1.0).all()
    assert (from_warehouse["chosen_by"] == "priority 1 of 2: warehouse").all()
    assert rows.filter(pl.col("source") == "demo")["chosen_by"].unique().to_list() == ["priority 2 of 2: demo"]
    assert rows["source_id"].is_unique().all()

    # Syncing only the lower-priority source (sync now for one object) must not take those records back.
    from services.sync import SyncScope

    scoped = _sync(workspace, full=True, scope=SyncScope(source_key="demo", object_name="opportunities"))
    assert scoped.domains[Domain.PIPELINE].changed == 0
    again = _table(workspace, "opportunities").filter(pl.col("source_id").is_in(from_warehouse["source_id"].implode()))
    assert (again["source"] == "warehouse").all() and (again["amount"] == 1.0).all()


def _warehouse_object() -> str:
    return (
        "  - source: warehouse\n    object: opportunities\n    domain: pipeline\n    pipeline_field: Pipeline\n"
        "    fields:\n      Name: {to: name}\n      AccountId: {to: account}\n      StageName: {to: stage}\n"
        "      Amount: {to: amount, type: currency}\n      CurrencyIsoCode: {to: currency}\n"
        "      CloseDate: {to: expected_close, type: date}\n"
    )


def test_a_second_sync_while_one_runs_is_refused_naming_the_running_one(workspace):
    settings, engine, ws, _ = workspace
    running = start_run(engine, ws, trigger="scheduler", dry_run=False)
    with pytest.raises(SyncInProgress, match=f"already running \\(run #{running.id}, started .* by scheduler\\)"):
        _sync(workspace)
    assert _table(workspace, "opportunities").is_empty()


def test_history_grows_with_changes_only_and_a_rollback_can_itself_be_rolled_back(workspace):
    settings, engine, ws, folder = workspace
    first = _sync(workspace)
    _sync(workspace, full=True)  # nothing changed
    assert _table_count(engine, "opportunity_history") == 0
    opportunities = pl.read_csv(folder / "opportunities.csv", infer_schema=False)
    touched = pl.col("Id") == opportunities["Id"][50]
    opportunities.with_columns(
        pl.when(touched).then(pl.lit("123.00")).otherwise(pl.col("Amount")).alias("Amount"),
        pl.when(touched)
        .then(pl.lit("2026-11-21T09:00:00.000+0000"))
        .otherwise(pl.col("LastModifiedDate"))
        .alias("LastModifiedDate"),
    ).write_csv(folder / "opportunities.csv")
    second = _sync(workspace)
    assert second.domains[Domain.PIPELINE].read < 50  # incremental: only what changed (plus held rows)
    assert _table_count(engine, "opportunity_history") == 1
    changed = _table(workspace, "opportunities")
    rollback_to(engine, ws, first.run_id, access=system_access("dana"))
    rollback_run = _table(workspace, "runs")["id"].to_list()[-1]
    assert (
        _table(workspace, "opportunities").filter(pl.col("source_id") == opportunities["Id"][50])["amount"].item()
        != 123.0
    )
    rollback_to(engine, ws, second.run_id, access=system_access("dana"))  # undo the rollback
    assert (
        _table(workspace, "opportunities")
        .sort("source_id")
        .select(pl.exclude("id"))
        .equals(changed.sort("source_id").select(pl.exclude("id")))
    )
    assert rollback_run < _table(workspace, "runs")["id"].to_list()[-1]


def _table_count(engine, table: str) -> int:
    with engine.connect() as connection:
        return connection.execute(text(f"SELECT count(*) FROM {table}")).scalar_one()


def test_a_background_sync_records_progress_and_its_summary(workspace):
    import time as clock

    from services.sync import SyncSummary, start_background_sync
    from storage.sync_runs import get_run

    settings, engine, ws, _ = workspace
    run_id = start_background_sync(engine, settings, ws, trigger="app", access=system_access("dana"))
    deadline = clock.monotonic() + 60
    while get_run(engine, run_id).status == "running" and clock.monotonic() < deadline:
        clock.sleep(0.1)
    run = get_run(engine, run_id)
    assert run.status == "succeeded" and run.progress == 1.0 and run.heartbeat_at is not None
    summary = SyncSummary.from_json(run.summary_json)
    assert summary.domains[Domain.PIPELINE].added == 296 == run.rows_added - summary.domains[Domain.ARR_ACTUALS].added
    assert summary.lines()[0].startswith("Pipeline: read 300, add 296")


def test_a_run_whose_process_died_does_not_block_the_workspace(workspace):
    from datetime import timedelta

    from storage.sync_runs import get_run
    from storage.tables import SyncRun, utcnow

    settings, engine, ws, _ = workspace
    dead = start_run(engine, ws, trigger="scheduler", dry_run=False)
    with session_scope(engine) as session:
        row = session.get(SyncRun, dead.id)
        row.heartbeat_at = utcnow() - timedelta(minutes=10)
        session.add(row)
    result = _sync(workspace)
    assert result.domains[Domain.PIPELINE].added == 296
    abandoned = get_run(engine, dead.id)
    assert abandoned.status == "abandoned" and "no sign of life since" in abandoned.error


def test_pipelines_review_counts_and_sums_what_did_not_roll_up_and_masks_it_for_a_viewer(workspace):
    from domain.roles import MASKED, Access, Role
    from services.run_review import review_run

    settings, engine, ws, _ = workspace
    run = _sync(workspace)
    review = review_run(engine, ws, run.run_id)
    groups = {(r["Domain"], r["reason_code"]): r for r in review.not_rolled_up.to_dicts()}
    unmapped = groups[("Pipeline", "unmapped_stage")]
    amount = "Amount (source currency)"
    held = review.quarantine.filter(pl.col("Reason") == unmapped["Reason"])
    assert unmapped["Rows"] == held.height and unmapped[amount] == held[amount].sum() > 0
    # In words: the connection by its name (here "demo") and the reason as the page says it.
    assert set(review.quarantine["Source"]) == {"demo"} and unmapped["Reason"] in set(review.quarantine["Reason"])
    assert groups[("Pipeline", "missing_value")][amount] is None  # an empty amount is not 0
    masked = review_run(engine, ws, run.run_id, Access("vera", Role.VIEWER))
    assert set(masked.not_rolled_up[amount].to_list()) == {MASKED}
    assert set(masked.quarantine[amount].to_list()) == {MASKED}
