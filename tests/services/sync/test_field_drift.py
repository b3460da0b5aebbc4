"""Drift guard for fields: a field that appears in the source after approval is held for review in step 3,
never mapped by default, and a dry run only reports it."""

import polars as pl
import pytest

from domain.canonical import Domain
from domain.roles import system_access
from services.sync import run_sync
from storage import review
from storage.db import session_scope
from storage.frames import read_workspace_table
from storage.mappings import latest_mapping


def _sync(workspace, **kwargs):
    settings, engine, ws, _ = workspace
    return run_sync(engine, settings, ws, trigger="test", access=system_access("t"), **kwargs)


def _add_column(folder, name, values):
    path = folder / "opportunities.csv"
    frame = pl.read_csv(path, infer_schema=False)
    frame.with_columns(pl.Series(name, [values[i % len(values)] for i in range(frame.height)])).write_csv(path)


def test_a_field_that_appears_after_the_first_sync_is_held_for_review_and_not_mapped(workspace):
    settings, engine, ws, folder = workspace
    first = _sync(workspace)
    assert first.new_fields == {}
    # The mapping was written as code: the first sync records the fields it saw, none of them is drift.
    assert review.review_frame(engine, "field", ws).is_empty()
    with session_scope(engine) as session:
        known = review.known_source_fields(session, ws, 1, "opportunities")
        version_before = latest_mapping(session, ws)[0].version
    assert {"Id", "Amount", "StageName", "Account.Name"} <= known

    _add_column(folder, "Region__c", ["EMEA", "AMER", "APAC"])
    dry = _sync(workspace, dry_run=True)
    assert dry.new_fields == {"demo · opportunities": ["Region__c"]}
    assert any("would be held for review" in line and "Region__c" in line for line in dry.lines())
    assert review.fields_held_for_review(engine, ws).is_empty()  # a dry run writes nothing

    real = _sync(workspace)
    assert real.new_fields == {"demo · opportunities": ["Region__c"]}
    held = review.fields_held_for_review(engine, ws)
    assert held.select("source", "object", "field").rows() == [("demo", "opportunities", "Region__c")]
    assert "first seen in run" in held["why"].item()
    pending = review.review_frame(engine, "field", ws)
    assert pending.height == 1 and pending["status"].item() == review.SUGGESTED
    assert pending["band"].item() == "review" and pending["origin"].item() == review.DRIFT_ORIGIN
    # Nothing maps it: the mapping in force is the same version, and the rows landed as before.
    with session_scope(engine) as session:
        assert latest_mapping(session, ws)[0].version == version_before
        assert review.accept_auto_band(session, "field", ws, actor="t") == 0
    assert real.domains[Domain.PIPELINE].changed == 0

    again = _sync(workspace)
    assert again.new_fields == {}  # held once; the pending suggestion stays for review
    assert review.fields_held_for_review(engine, ws).height == 1


def test_a_new_field_resembling_one_already_mapped_is_not_offered_as_a_second_mapping(workspace):
    settings, engine, ws, folder = workspace
    _sync(workspace)
    _add_column(folder, "Amount_EUR", ["100.0", "250.5"])
    _sync(workspace)
    held = review.review_frame(engine, "field", ws)
    row = held.row(0, named=True)
    assert row["source_field"] == "Amount_EUR" and row["canonical_field"] is None
    assert "taken by Amount" in row["reason"]


def test_suggest_mappings_may_still_suggest_a_field_first_seen_by_a_sync(workspace):
    settings, engine, ws, _ = workspace
    _sync(workspace)
    from services.suggestions import suggest_mappings

    with session_scope(engine) as session:
        run = suggest_mappings(session, engine, ws, settings)
    assert run.fields["refreshed"] > 0
    frame = review.review_frame(engine, "field", ws)
    assert frame.filter(pl.col("source_field") == "Amount")["status"].item() == review.SUGGESTED
    assert read_workspace_table(engine, "opportunities", ws).height > 0


def test_approving_a_held_field_adds_it_to_the_mapping_written_as_code_without_dropping_the_rest(workspace):
    from domain.errors import ValidationError
    from services.suggestions import apply_approved, approved_in_force

    settings, engine, ws, folder = workspace
    _sync(workspace)
    _add_column(folder, "Region__c", ["EMEA", "AMER"])
    _sync(workspace)
    with session_scope(engine) as session:
        before = latest_mapping(session, ws)[1]
    row = review.review_frame(engine, "field", ws).row(0, named=True)
    with session_scope(engine) as session:
        # The reviewer decides the region is the segment (it replaces Segment__c, which mapped it before).
        review.decide(session, "field", row["id"], row["version"], review.APPROVED, actor="rev", target="segment")
        apply_approved(session, ws, access=system_access("rev"))
        after = latest_mapping(session, ws)[1]
        assert approved_in_force(session, "field", ws) == {row["id"]}
        # Putting the same approvals in force again would only repeat the version: refused, nothing written.
        with pytest.raises(ValidationError, match="already in force"):
            apply_approved(session, ws, access=system_access("rev"))
        assert latest_mapping(session, ws)[1] == after
    old_opps, new_opps = before.objects[0], after.objects[0]
    assert [o.object_name for o in after.objects] == [o.object_name for o in before.objects]
    assert after.objects[1] == before.objects[1]  # the object nobody reviewed is untouched
    assert new_opps.source_field_for("segment") == "Region__c"
    assert {f.source_field for f in new_opps.fields} == {f.source_field for f in old_opps.fields} - {"Segment__c"} | {
        "Region__c"
    }
    assert after.fx_rates == before.fx_rates and after.stages == before.stages
    resync = _sync(workspace, full=True)
    segments = read_workspace_table(engine, "opportunities", ws).filter(~pl.col("is_deleted"))["segment"]
    assert set(segments.unique()) == {"EMEA", "AMER"}
    assert resync.domains[Domain.PIPELINE].quarantined == 4


def test_the_baseline_of_a_mapping_written_as_code_includes_columns_a_read_adds_beyond_the_properties(workspace):
    from datetime import UTC, datetime
    from types import SimpleNamespace

    from connectors.hubspot import HubSpotConnector
    from domain.mapping_config import ObjectMapping
    from sandbox.demo_data import DemoSpec, generate
    from sandbox.demo_org import demo_hubspot_portal
    from sandbox.hubspot import HubSpotSandbox
    from services.field_drift import detect_field_drift

    _, engine, ws, _ = workspace
    with HubSpotSandbox(demo_hubspot_portal(data=generate(DemoSpec(accounts=20, opportunities=30, movements=5)))) as hs:
        connector = HubSpotConnector({"host": hs.url}, {"access_token": hs.portal.token}, source_key="hubspot")
        # A first incremental window in which nothing changed: no record, so no value of any added column.
        empty_read = connector.read("deals", since=datetime(2030, 1, 1, tzinfo=UTC))
    assert empty_read.is_empty()
    # A HubSpot connection with no review rows yet; the baseline needs no connector call.
    hubspot = SimpleNamespace(id=99, name="HubSpot", kind="hubspot")
    obj = ObjectMapping(source="hubspot", object_name="deals", domain=Domain.PIPELINE, fields=())
    with session_scope(engine) as session:
        known = review.known_source_fields(session, ws, hubspot.id, obj.object_name)
    drift = detect_field_drift(known, hubspot, None, obj, empty_read)
    assert {"dealstage", "associated_company_id", "owner.email", "owner.name"} <= set(drift.baseline)
    assert not drift.new


def test_a_column_name_no_database_can_store_is_not_a_field():
    import polars as pl

    from services.field_drift import present_fields

    read = pl.DataFrame({"Amount": [1], "Bad\x00Name": [2], "x" * 500: [3], "source_id": ["a"]})
    assert present_fields(read) == ["Amount"]
