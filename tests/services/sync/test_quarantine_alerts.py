"""A schedule of incremental syncs over an unchanged quarantine alerts once, not on every run (issue 19)."""

import polars as pl

from domain.roles import system_access
from services.sync import run_sync
from storage.alerts import list_alerts
from storage.db import session_scope
from storage.sync_runs import latest_finished_run


def test_an_unchanged_quarantine_alerts_once_over_a_run_schedule(workspace):
    settings, engine, ws, folder = workspace
    rows = pl.read_csv(folder / "opportunities.csv", infer_schema=False)
    legacy = rows["Id"].head(30).to_list()  # a stage nobody mapped: 30 of 300 deals held (10%)
    rows.with_columns(
        pl.when(pl.col("Id").is_in(legacy))
        .then(pl.lit("Legacy stage"))
        .otherwise(pl.col("StageName"))
        .alias("StageName")
    ).write_csv(folder / "opportunities.csv")
    for _ in range(4):  # the first run, then three scheduled incremental runs with nothing new in the source
        run_sync(engine, settings, ws, trigger="scheduler", access=system_access("scheduler"))
    last = latest_finished_run(engine, ws)
    assert last.rows_quarantined >= 30 and last.rows_newly_quarantined == 0
    with session_scope(engine) as session:
        rules = [a.rule for a in list_alerts(session, ws, limit=50)]
    assert rules.count("quarantine_share") == 1
