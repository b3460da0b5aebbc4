"""What the Pipelines page says a run curated, in columns that apply to each domain (issue 21)."""

from domain.roles import system_access
from services.run_review import review_run
from services.sync.run import run_sync


def test_the_curated_table_leaves_stage_empty_for_arr_movements(workspace):
    settings, engine, ws, _ = workspace
    run = run_sync(engine, settings, ws, trigger="test", access=system_access("t"), full=True)
    curated = {r["domain"]: r for r in review_run(engine, ws, run.run_id).curated.to_dicts()}
    assert curated["Pipeline"]["rows with a mapped stage"] > 0
    assert curated["ARR actuals"]["rows with a mapped stage"] is None  # ARR has no stage: not a misleading 0
