"""Review decisions on both databases: audited, never lost between two reviewers, merges undoable."""

import threading

import polars as pl
import pytest

from domain.errors import DecisionConflict
from domain.suggestions.fields import SourceField, canonical_type, suggest_fields
from services.startup import start
from storage import review
from storage.accounts import load_crosswalk, reconcile_by_id
from storage.audit import recent
from storage.db import session_scope
from storage.tables import FieldMapping

FIELDS = [SourceField("salesforce", "Opportunity", n, n, t, ()) for n, t in
          (("StageName", "picklist"), ("Amount", "currency"), ("CloseDate", "date"), ("Foo__c", "string"))]


@pytest.fixture
def engine(settings):
    engine = start(settings)
    with session_scope(engine) as session:
        review.store_field_suggestions(session, 1, 1, "Opportunity", "pipeline", suggest_fields(FIELDS),
                                       {f.name: (f.label, f.type) for f in FIELDS}, canonical_type)
    yield engine
    engine.dispose()


def _rows(engine):
    return {r["source_field"]: r for r in review.review_frame(engine, "field", 1).iter_rows(named=True)}


def test_two_reviewers_deciding_at_once_never_lose_a_decision(engine):
    rows = _rows(engine)
    barrier = threading.Barrier(2)
    outcome: dict[str, object] = {}

    def reviewer(name: str, field: str, target: str) -> None:
        barrier.wait()
        try:
            with session_scope(engine) as session:
                review.decide(session, "field", rows[field]["id"], rows[field]["version"], review.APPROVED,
                              actor=name, target=target)
            outcome[name] = "ok"
        except DecisionConflict as exc:
            outcome[name] = exc

    # different rows at the same moment: both land
    threads = [threading.Thread(target=reviewer, args=("ana", "StageName", "stage")),
               threading.Thread(target=reviewer, args=("ben", "Amount", "amount"))]
    [t.start() for t in threads]
    [t.join() for t in threads]
    after = _rows(engine)
    assert outcome == {"ana": "ok", "ben": "ok"}
    assert (after["StageName"]["decided_by"], after["Amount"]["decided_by"]) == ("ana", "ben")

    # the same row at the same moment: one lands, the other is refused with a message naming the first
    outcome.clear()
    threads = [threading.Thread(target=reviewer, args=("ana", "CloseDate", "expected_close")),
               threading.Thread(target=reviewer, args=("ben", "CloseDate", "segment"))]
    [t.start() for t in threads]
    [t.join() for t in threads]
    winner = next(name for name, result in outcome.items() if result == "ok")
    loser = next(result for result in outcome.values() if result != "ok")
    assert f"decided by {winner}" in str(loser)
    assert _rows(engine)["CloseDate"]["decided_by"] == winner


def test_every_decision_is_audited_with_suggestion_score_and_final_choice(engine):
    row = _rows(engine)["Foo__c"]
    with session_scope(engine) as session:
        review.decide(session, "field", row["id"], row["version"], review.APPROVED, actor="dana", target="segment")
        entry = recent(session, 1)[0]
    assert entry.actor == "dana" and entry.action == "approved"
    detail = entry.detail_json
    assert '"suggested": null' in detail and '"final": "segment"' in detail and '"score"' in detail
    with session_scope(engine) as session:
        assert session.get(FieldMapping, row["id"]).field_type == "string"


def test_accept_all_in_the_auto_band_and_a_refresh_keeps_decisions(engine):
    with session_scope(engine) as session:
        accepted = review.accept_auto_band(session, "field", 1, actor="dana")
    assert accepted == sum(1 for r in _rows(engine).values() if r["band"] == "auto-accept")
    with session_scope(engine) as session:
        counts = review.store_field_suggestions(session, 1, 1, "Opportunity", "pipeline", suggest_fields(FIELDS),
                                                {f.name: (f.label, f.type) for f in FIELDS}, canonical_type)
    assert counts["kept"] == accepted and counts["new"] == 0


def test_a_merge_moves_crm_ids_and_undo_restores_them_and_a_rejected_pair_never_returns(settings):
    engine = start(settings)
    with session_scope(engine) as session:
        reconcile_by_id(session, 1, "crm", pl.DataFrame({"source_account_id": ["A", "B", "C"],
                                                         "name": ["Acme Inc.", "ACME", "Globex"]}), actor="t")
        from services.suggestions import suggest_duplicate_accounts
        assert suggest_duplicate_accounts(session, 1).added == 1
    pair = review.duplicate_review_frame(engine, 1).row(0, named=True)
    with session_scope(engine) as session:
        review.merge_pair(session, pair["id"], pair["version"], surviving_name="Acme Inc.", actor="dana")
    crosswalk = load_crosswalk(engine, 1)
    assert crosswalk.filter(pl.col("source_account_id").is_in(["A", "B"]))["account_id"].n_unique() == 1
    with session_scope(engine) as session:
        assert recent(session, 1)[0].action == "merge"
        review.unmerge_pair(session, pair["id"], actor="dana")
        assert recent(session, 1)[0].action == "unmerge"
    assert load_crosswalk(engine, 1).filter(pl.col("source_account_id").is_in(["A", "B"]))["account_id"].n_unique() == 2
    pair = review.duplicate_review_frame(engine, 1).row(0, named=True)
    with session_scope(engine) as session:
        review.decide(session, "account", pair["id"], pair["version"], review.REJECTED, actor="dana")
        from services.suggestions import suggest_duplicate_accounts
        assert suggest_duplicate_accounts(session, 1).added == 0
    engine.dispose()


def test_a_related_pair_links_the_entity_under_its_parent_and_the_revenue_rollup_follows(settings):
    from services.revenue import load_revenue_data
    from services.suggestions import suggest_duplicate_accounts
    from storage.insights import account_hierarchy, data_version

    engine = start(settings)
    with session_scope(engine) as session:
        reconcile_by_id(session, 1, "crm", pl.DataFrame({
            "source_account_id": ["A", "B", "C", "D"], "name": ["Acme Inc.", "Acme (EMEA)", "Globex", "Initech"],
            "parent_source_id": [None, None, None, "C"]}), actor="t")
        # Initech's CRM parent is Globex: a pair the CRM already linked is not suggested again.
        assert suggest_duplicate_accounts(session, 1).added == 1
    pair = review.duplicate_review_frame(engine, 1).row(0, named=True)
    assert pair["relation"] == "related" and pair["band"] == "review"
    parent_id = pair["parent_account_id"]
    assert {parent_id} == {pair[f"id_{s}"] for s in ("a", "b") if pair[f"name_{s}"] == "Acme Inc."}
    before = data_version(engine, 1)
    with session_scope(engine) as session:
        review.link_parent(session, pair["id"], pair["version"], parent_id=parent_id, actor="dana")
        assert recent(session, 1)[0].action == "link"
    hierarchy = account_hierarchy(engine, 1)
    emea = hierarchy.filter(pl.col("account") == "Acme (EMEA)").row(0, named=True)
    assert emea["parent_id"] == parent_id and data_version(engine, 1) != before
    assert set(load_revenue_data(engine, 1).opportunities.columns) >= {"account_group"}
    # A second decision on the same pair, or a link that would make a loop, is refused.
    with session_scope(engine) as session, pytest.raises(DecisionConflict):
        review.link_parent(session, pair["id"], pair["version"], parent_id=parent_id, actor="sam")
    with session_scope(engine) as session:
        review.unlink_parent(session, pair["id"], actor="dana")
        assert recent(session, 1)[0].action == "unlink"
    assert account_hierarchy(engine, 1).filter(pl.col("account") == "Acme (EMEA)")["parent_id"].item() is None
    engine.dispose()


def test_linking_a_parent_under_its_own_entity_is_refused(settings):
    engine = start(settings)
    with session_scope(engine) as session:
        reconcile_by_id(session, 1, "crm", pl.DataFrame({
            "source_account_id": ["A", "B"], "name": ["Acme Inc.", "Acme (EMEA)"]}), actor="t")
        from services.suggestions import suggest_duplicate_accounts
        suggest_duplicate_accounts(session, 1)
    pair = review.duplicate_review_frame(engine, 1).row(0, named=True)
    with session_scope(engine) as session:
        review.link_parent(session, pair["id"], pair["version"], parent_id=pair["id_a"], actor="dana")
    # The same two accounts suggested again the other way round (a person re-opens the question) make a loop.
    with session_scope(engine) as session:
        from storage.tables import AccountMatch, CanonicalAccount
        session.add(AccountMatch(workspace_id=1, account_id_a=pair["id_b"], account_id_b=pair["id_a"], score=0.7,
                                 band="review", reason="test", origin="test", relation="related"))
    again = review.duplicate_review_frame(engine, 1).filter(pl.col("status") == review.SUGGESTED).row(0, named=True)
    with session_scope(engine) as session, pytest.raises(DecisionConflict, match="loop"):
        review.link_parent(session, again["id"], again["version"], parent_id=pair["id_b"], actor="dana")
    with session_scope(engine) as session:
        assert session.get(CanonicalAccount, pair["id_a"]).parent_id is None
    engine.dispose()


def test_a_pending_pair_whose_account_was_merged_away_is_no_longer_offered(settings):
    from services.suggestions import suggest_duplicate_accounts

    engine = start(settings)
    with session_scope(engine) as session:
        reconcile_by_id(session, 1, "crm", pl.DataFrame({
            "source_account_id": ["A", "B", "C"], "name": ["Acme Inc.", "ACME", "Acme (EMEA)"]}), actor="t")
        suggest_duplicate_accounts(session, 1)
    pairs = review.duplicate_review_frame(engine, 1)
    same = pairs.filter(pl.col("relation") == "same").row(0, named=True)
    assert pairs.height == 3 and pairs["both_live"].all()
    with session_scope(engine) as session:
        review.merge_pair(session, same["id"], same["version"], surviving_name="Acme Inc.", actor="dana")
    after = review.duplicate_review_frame(engine, 1)
    # The folded account's related pair is stale: not offered (a new search suggests it for the survivor).
    stale = after.filter(~pl.col("both_live"))
    assert stale.height == 2 and set(stale["status"]) == {review.MERGED, review.SUGGESTED}
    engine.dispose()
