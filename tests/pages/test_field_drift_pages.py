"""A field that appears in the source after approval is shown where a user looks: Pipelines, Sync and step 3."""

import polars as pl

from domain.config import load_settings
from domain.roles import system_access
from services.connections import check_connection
from services.sync import run_sync
from storage.db import session_scope
from tests.conftest import file_workspace
from tests.pages.conftest import texts


def test_a_new_source_field_is_shown_as_held_for_review_on_pipelines_sync_and_step_3(
    open_page, env, monkeypatch, tmp_path
):
    monkeypatch.setenv("REVENUE_CONNECTOR_DEMO", "0")
    settings = load_settings({**env, "REVENUE_CONNECTOR_DEMO": "0"})
    folder = tmp_path / "export"
    engine, ws = file_workspace(settings, folder)
    with session_scope(engine) as session:
        check_connection(session, 1, settings, access=system_access("t"))  # step 1 done, so step 3 opens
    run_sync(engine, settings, ws, trigger="test", access=system_access("t"))
    path = folder / "opportunities.csv"
    frame = pl.read_csv(path, infer_schema=False)
    frame.with_columns(pl.lit("EMEA").alias("Region__c")).write_csv(path)
    run_sync(engine, settings, ws, trigger="test", access=system_access("t"))
    engine.dispose()

    at = open_page("pipelines", ws="Acme")
    assert not at.exception
    assert "1 new source field(s) appeared after the mapping was approved" in texts(at)
    held = next(d.value for d in at.dataframe if "suggested mapping" in d.value.columns)
    assert held["field"].tolist() == ["Region__c"] and held["object"].tolist() == ["opportunities"]

    at = open_page("sync", ws="Acme")
    assert not at.exception and "Time by phase: read" in texts(at)
    assert "held for review" in texts(at)

    at = open_page("mapping", ws="Acme")
    assert not at.exception
    assert "appeared in the source after the mapping was approved: Region__c" in texts(at)
