"""Review decisions on both databases: audited, and never lost between two reviewers."""

import threading

import pytest

from domain.errors import DecisionConflict
from domain.suggestions.fields import SourceField, canonical_type, suggest_fields
from services.startup import start
from storage import review
from storage.audit import recent
from storage.db import session_scope
from storage.tables import FieldMapping

FIELDS = [
    SourceField("salesforce", "Opportunity", n, n, t, ())
    for n, t in (("StageName", "picklist"), ("Amount", "currency"), ("CloseDate", "date"), ("Foo__c", "string"))
]


@pytest.fixture
def engine(settings):
    engine = start(settings)
    with session_scope(engine) as session:
        review.store_field_suggestions(
            session,
            1,
            1,
            "Opportunity",
            "pipeline",
            suggest_fields(FIELDS),
            {f.name: (f.label, f.type) for f in FIELDS},
            canonical_type,
        )
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
                review.decide(
                    session,
                    "field",
                    rows[field]["id"],
                    rows[field]["version"],
                    review.APPROVED,
                    actor=name,
                    target=target,
                )
            outcome[name] = "ok"
        except DecisionConflict as exc:
            outcome[name] = exc

    # different rows at the same moment: both land
    threads = [
        threading.Thread(target=reviewer, args=("ana", "StageName", "stage")),
        threading.Thread(target=reviewer, args=("ben", "Amount", "amount")),
    ]
    [t.start() for t in threads]
    [t.join() for t in threads]
    after = _rows(engine)
    assert outcome == {"ana": "ok", "ben": "ok"}
    assert (after["StageName"]["decided_by"], after["Amount"]["decided_by"]) == ("ana", "ben")

    # the same row at the same moment: one lands, the other is refused with a message naming the first
    outcome.clear()
    threads = [
        threading.Thread(target=reviewer, args=("ana", "CloseDate", "expected_close")),
        threading.Thread(target=reviewer, args=("ben", "CloseDate", "segment")),
    ]
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
        counts = review.store_field_suggestions(
            session,
            1,
            1,
            "Opportunity",
            "pipeline",
            suggest_fields(FIELDS),
            {f.name: (f.label, f.type) for f in FIELDS},
            canonical_type,
        )
    assert counts["kept"] == accepted and counts["new"] == 0
