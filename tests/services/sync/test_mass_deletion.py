"""A source that disappears does not wipe the pipeline: the run stops before writing (issue 18)."""

import polars as pl
import pytest
from sqlmodel import select

from domain.canonical import Domain
from domain.errors import MassDeletionRefused, NotPermitted
from domain.figures import WEIGHTED_OPEN_PIPELINE
from domain.mass_deletion import mass_deletion
from domain.roles import Access, Role, system_access
from services.sync import run_sync
from storage.alerts import list_alerts
from storage.db import session_scope
from storage.frames import read_workspace_table
from storage.sync_runs import latest_finished_run
from storage.tables import AuditEntry


def _sync(workspace, access=None, **kwargs):
    settings, engine, ws, _ = workspace
    return run_sync(engine, settings, ws, trigger="test", access=access or system_access("t"), **kwargs)


def _live(workspace, name="opportunities"):
    _, engine, ws, _ = workspace
    return read_workspace_table(engine, name, ws).filter(~pl.col("is_deleted")).height


def _header_only(folder, name="opportunities.csv"):
    header = (folder / name).read_text().splitlines()[0]
    (folder / name).write_text(header + "\n")


def test_a_header_only_export_stops_the_full_run_and_keeps_the_pipeline(workspace):
    settings, engine, ws, folder = workspace
    landed = _sync(workspace, full=True)
    live = _live(workspace)
    weighted = landed.domains[Domain.PIPELINE].totals_after[WEIGHTED_OPEN_PIPELINE]
    assert live > 200 and weighted > 0
    _header_only(folder)
    with pytest.raises(MassDeletionRefused) as refused:
        _sync(workspace, full=True)
    assert f"Pipeline: this run would remove {live:,} of {live:,} live rows (100%)" in refused.value.user_message
    assert "the source returned no rows at all" in refused.value.user_message
    assert _live(workspace) == live  # nothing was written
    run = latest_finished_run(engine, ws)
    assert run.status == "failed" and "stopped before writing" in run.error
    with session_scope(engine) as session:
        alerts = [a.rule for a in list_alerts(session, ws, limit=5) if a.run_id == run.id]
    assert alerts == ["run_failed"]
    # The dry run reports what a real run would do instead of stopping.
    preview = _sync(workspace, full=True, dry_run=True)
    assert preview.mass_deletions and "A real run would stop here" in "\n".join(preview.lines())


def test_a_truncated_export_that_loses_most_rows_stops_too(workspace):
    _, _, _, folder = workspace
    _sync(workspace, full=True)
    live = _live(workspace)
    rows = pl.read_csv(folder / "opportunities.csv", infer_schema=False)
    rows.head(rows.height // 2).write_csv(folder / "opportunities.csv")
    with pytest.raises(MassDeletionRefused, match="only .* row\\(s\\) were read, so the rest look deleted"):
        _sync(workspace, full=True)
    assert _live(workspace) == live


def test_only_a_role_allowed_to_can_force_it_and_the_audit_says_so(workspace):
    _, engine, _, folder = workspace
    _sync(workspace, full=True)
    _header_only(folder)
    finance = Access("fin@example.com", Role.FINANCE, 5)
    with pytest.raises(NotPermitted):
        _sync(workspace, access=finance, full=True, allow_mass_delete=True)
    forced = _sync(workspace, full=True, allow_mass_delete=True)
    assert forced.domains[Domain.PIPELINE].tombstoned > 200
    assert _live(workspace) == 0
    with session_scope(engine) as session:
        entry = session.exec(select(AuditEntry).where(AuditEntry.action == "sync")).all()[-1]
    assert "mass_deletion_allowed" in entry.detail_json


@pytest.mark.parametrize(
    ("live", "removing", "read", "stops"),
    [
        (296, 296, 0, True),  # header-only export
        (296, 60, 236, True),  # 20.3%
        (296, 59, 237, False),  # 19.9%: ordinary churn
        (3, 1, 2, False),  # a small workspace losing one deal
        (3, 3, 0, True),  # ...but never everything at once
        (0, 0, 0, False),  # nothing to lose
        (20, 5, 15, True),  # 25% and at least five rows
    ],
)
def test_the_rule(live, removing, read, stops):
    found = mass_deletion(Domain.PIPELINE, live=live, removing=removing, read=read, share=0.2)
    assert (found is not None) is stops
