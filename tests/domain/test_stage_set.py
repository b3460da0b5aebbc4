import pytest

from domain.canonical import CanonicalStage, StageSemantics
from domain.errors import InvalidStageSet
from domain.stage_set import default_stage_set, stage_key_from_label, stages_from_rows, validate_stage_set


def _rows():
    return [{"key": s.key, "label": s.label, "weight": s.weight, "order": s.order} for s in default_stage_set()]


def test_rename_reweight_add_and_reorder():
    rows = _rows()
    rows[0]["label"] = "Discovery"
    rows[1]["weight"] = 0.25
    rows.insert(3, {"key": "", "label": "Security review", "weight": 0.5, "order": 4})
    rows[2]["order"] = 10  # evaluation moves to the end of the open stages
    ordered = validate_stage_set(stages_from_rows(rows))
    assert [s.key for s in ordered] == [
        "prospecting",
        "qualification",
        "security_review",
        "proposal",
        "negotiation",
        "evaluation",
        "closed_won",
        "closed_lost",
    ]
    assert ordered[0].label == "Discovery" and ordered[1].weight == 0.25
    assert [s.order for s in ordered] == list(range(1, 9))


def test_closed_stages_can_be_renamed_but_keep_meaning_and_weight():
    rows = _rows()
    rows[5]["label"] = "Won"
    ordered = validate_stage_set(stages_from_rows(rows))
    won = next(s for s in ordered if s.key == "closed_won")
    assert won.label == "Won" and won.semantics == StageSemantics.WON and won.weight == 1.0

    rows[5]["weight"] = 0.9
    with pytest.raises(InvalidStageSet, match="must keep weight 100%"):
        validate_stage_set(stages_from_rows(rows))


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda rows: rows.pop(6), "must keep 'closed_lost'"),
        (lambda rows: rows[0].update(weight=1.5), "weight 1.5"),
        (lambda rows: rows[1].update(label="Prospecting"), "used twice"),
        (lambda rows: rows[2].update(label="  "), "empty label"),
        (lambda rows: rows[3].update(weight=None), "no weight"),
    ],
)
def test_invalid_stage_sets_are_refused_with_the_stage_named(change, message):
    rows = _rows()
    change(rows)
    with pytest.raises(InvalidStageSet, match=message):
        validate_stage_set(stages_from_rows(rows))


def test_an_open_stage_cannot_claim_to_be_won():
    stages = default_stage_set() + [CanonicalStage("won_again", "Won again", 1.0, StageSemantics.WON, 9)]
    with pytest.raises(InvalidStageSet, match="cannot be 'won'"):
        validate_stage_set(stages)


def test_stage_key_from_label():
    assert stage_key_from_label("Security Review / Legal") == "security_review_legal"
    assert stage_key_from_label("3rd call") == "stage_3rd_call"
