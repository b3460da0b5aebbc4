"""Step 4's account decisions on both databases: merges move CRM IDs and undo restores them, related pairs link an
entity under its parent, and only a role that may approve suggestions decides."""

import polars as pl
import pytest

from domain.errors import DecisionConflict, NotPermitted
from domain.roles import Access, Role
from services import account_review
from services.reconcile import reconcile_by_id
from services.startup import start
from storage import review
from storage.accounts import load_crosswalk
from storage.audit import recent
from storage.db import session_scope

DANA = Access("dana", Role.FINANCE)


def test_a_merge_moves_crm_ids_and_undo_restores_them_and_a_rejected_pair_never_returns(settings):
    engine = start(settings)
    with session_scope(engine) as session:
        reconcile_by_id(
            session,
            1,
            "crm",
            pl.DataFrame({"source_account_id": ["A", "B", "C"], "name": ["Acme Inc.", "ACME", "Globex"]}),
            actor="t",
        )
        from services.suggestions import suggest_duplicate_accounts

        assert suggest_duplicate_accounts(session, 1).added == 1
    pair = review.duplicate_review_frame(engine, 1).row(0, named=True)
    with session_scope(engine) as session:
        account_review.merge_pair(session, pair["id"], pair["version"], surviving_name="Acme Inc.", access=DANA)
    crosswalk = load_crosswalk(engine, 1)
    assert crosswalk.filter(pl.col("source_account_id").is_in(["A", "B"]))["account_id"].n_unique() == 1
    with session_scope(engine) as session:
        assert recent(session, 1)[0].action == "merge"
        account_review.unmerge_pair(session, pair["id"], access=DANA)
        assert recent(session, 1)[0].action == "unmerge"
    assert load_crosswalk(engine, 1).filter(pl.col("source_account_id").is_in(["A", "B"]))["account_id"].n_unique() == 2
    pair = review.duplicate_review_frame(engine, 1).row(0, named=True)
    with session_scope(engine) as session:
        account_review.keep_apart(session, pair["id"], pair["version"], access=DANA)
        from services.suggestions import suggest_duplicate_accounts

        assert suggest_duplicate_accounts(session, 1).added == 0
    engine.dispose()


def test_a_related_pair_links_the_entity_under_its_parent_and_the_revenue_rollup_follows(settings):
    from services.revenue import load_revenue_data
    from services.suggestions import suggest_duplicate_accounts
    from storage.insights import account_hierarchy, data_version

    engine = start(settings)
    with session_scope(engine) as session:
        reconcile_by_id(
            session,
            1,
            "crm",
            pl.DataFrame(
                {
                    "source_account_id": ["A", "B", "C", "D"],
                    "name": ["Acme Inc.", "Acme (EMEA)", "Globex", "Initech"],
                    "parent_source_id": [None, None, None, "C"],
                }
            ),
            actor="t",
        )
        # Initech's CRM parent is Globex: a pair the CRM already linked is not suggested again.
        assert suggest_duplicate_accounts(session, 1).added == 1
    pair = review.duplicate_review_frame(engine, 1).row(0, named=True)
    assert pair["relation"] == "related" and pair["band"] == "review"
    parent_id = pair["parent_account_id"]
    assert {parent_id} == {pair[f"id_{s}"] for s in ("a", "b") if pair[f"name_{s}"] == "Acme Inc."}
    before = data_version(engine, 1)
    with session_scope(engine) as session:
        account_review.link_parent(session, pair["id"], pair["version"], parent_id=parent_id, access=DANA)
        assert recent(session, 1)[0].action == "link"
    hierarchy = account_hierarchy(engine, 1)
    emea = hierarchy.filter(pl.col("account") == "Acme (EMEA)").row(0, named=True)
    assert emea["parent_id"] == parent_id and data_version(engine, 1) != before
    assert set(load_revenue_data(engine, 1).opportunities.columns) >= {"account_group"}
    # A second decision on the same pair, or a link that would make a loop, is refused.
    with session_scope(engine) as session, pytest.raises(DecisionConflict):
        account_review.link_parent(
            session, pair["id"], pair["version"], parent_id=parent_id, access=Access("sam", Role.REVIEWER)
        )
    with session_scope(engine) as session:
        account_review.unlink_parent(session, pair["id"], access=DANA)
        assert recent(session, 1)[0].action == "unlink"
    assert account_hierarchy(engine, 1).filter(pl.col("account") == "Acme (EMEA)")["parent_id"].item() is None
    engine.dispose()


def test_linking_a_parent_under_its_own_entity_is_refused(settings):
    engine = start(settings)
    with session_scope(engine) as session:
        reconcile_by_id(
            session,
            1,
            "crm",
            pl.DataFrame({"source_account_id": ["A", "B"], "name": ["Acme Inc.", "Acme (EMEA)"]}),
            actor="t",
        )
        from services.suggestions import suggest_duplicate_accounts

        suggest_duplicate_accounts(session, 1)
    pair = review.duplicate_review_frame(engine, 1).row(0, named=True)
    with session_scope(engine) as session:
        account_review.link_parent(session, pair["id"], pair["version"], parent_id=pair["id_a"], access=DANA)
    # The same two accounts suggested again the other way round (a person re-opens the question) make a loop.
    with session_scope(engine) as session:
        from storage.tables import AccountMatch, CanonicalAccount

        session.add(
            AccountMatch(
                workspace_id=1,
                account_id_a=pair["id_b"],
                account_id_b=pair["id_a"],
                score=0.7,
                band="review",
                reason="test",
                origin="test",
                relation="related",
            )
        )
    again = review.duplicate_review_frame(engine, 1).filter(pl.col("status") == review.SUGGESTED).row(0, named=True)
    with session_scope(engine) as session, pytest.raises(DecisionConflict, match="loop"):
        account_review.link_parent(session, again["id"], again["version"], parent_id=pair["id_b"], access=DANA)
    with session_scope(engine) as session:
        assert session.get(CanonicalAccount, pair["id_a"]).parent_id is None
    engine.dispose()


def test_a_pending_pair_whose_account_was_merged_away_is_no_longer_offered(settings):
    from services.suggestions import suggest_duplicate_accounts

    engine = start(settings)
    with session_scope(engine) as session:
        reconcile_by_id(
            session,
            1,
            "crm",
            pl.DataFrame({"source_account_id": ["A", "B", "C"], "name": ["Acme Inc.", "ACME", "Acme (EMEA)"]}),
            actor="t",
        )
        suggest_duplicate_accounts(session, 1)
    pairs = review.duplicate_review_frame(engine, 1)
    same = pairs.filter(pl.col("relation") == "same").row(0, named=True)
    assert pairs.height == 3 and pairs["both_live"].all()
    with session_scope(engine) as session:
        account_review.merge_pair(session, same["id"], same["version"], surviving_name="Acme Inc.", access=DANA)
    after = review.duplicate_review_frame(engine, 1)
    # The folded account's related pair is stale: not offered (a new search suggests it for the survivor).
    stale = after.filter(~pl.col("both_live"))
    assert stale.height == 2 and set(stale["status"]) == {review.MERGED, review.SUGGESTED}
    engine.dispose()


def test_a_viewer_may_not_merge_and_nothing_changes(settings):
    from services.suggestions import suggest_duplicate_accounts

    engine = start(settings)
    with session_scope(engine) as session:
        reconcile_by_id(
            session, 1, "crm", pl.DataFrame({"source_account_id": ["A", "B"], "name": ["Acme Inc.", "ACME"]}), actor="t"
        )
        suggest_duplicate_accounts(session, 1)
    pair = review.duplicate_review_frame(engine, 1).row(0, named=True)
    with session_scope(engine) as session, pytest.raises(NotPermitted, match="may not approve suggestions"):
        account_review.merge_pair(
            session, pair["id"], pair["version"], surviving_name="Acme", access=Access("vera", Role.VIEWER)
        )
    assert review.duplicate_review_frame(engine, 1).row(0, named=True)["status"] == review.SUGGESTED
    engine.dispose()
