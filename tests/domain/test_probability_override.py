"""A deal's own probability (a CRM field mapped onto probability_override) replaces its stage's weight while the
deal is open, in the CRM's percent or as a share, and an impossible one is held by name (issue 22)."""

import polars as pl

from domain.mapping_config import from_yaml
from domain.stage_set import default_stage_set
from domain.transform import transform

CROSSWALK = pl.DataFrame({"source_account_id": ["A"], "account_id": [1]})


def _mapping(kind: str):
    return from_yaml(f"""
reporting_currency: USD
objects:
  - {{source: s, object: deals, domain: pipeline,
     fields: {{Acct: {{to: account}}, Stage: {{to: stage}}, Amt: {{to: amount, type: currency}},
              Close: {{to: expected_close, type: date}}, Prob: {{to: probability_override, type: {kind}}}}}}}
stages: [{{pipeline: default, stage: P, to: proposal}}, {{pipeline: default, stage: W, to: closed_won}},
         {{pipeline: default, stage: L, to: closed_lost}}]
""")


def _deals(stages: list[str], probabilities: list[str | None]) -> pl.DataFrame:
    n = len(stages)
    return pl.DataFrame(
        {
            "source": ["s"] * n,
            "source_id": [f"d{i}" for i in range(n)],
            "is_deleted": [False] * n,
            "source_modified_at": [None] * n,
            "Acct": ["A"] * n,
            "Stage": stages,
            "Amt": ["1000"] * n,
            "Close": ["2026-03-01"] * n,
            "Prob": probabilities,
        },
        schema_overrides={"source_modified_at": pl.Datetime("us", "UTC"), "Prob": pl.String},
    )


def test_an_open_deals_own_percent_replaces_its_stage_weight_closed_ones_keep_theirs():
    config = _mapping("percent")
    frame = _deals(["P", "P", "P", "W", "L"], ["25", None, "33.5%", "10", "90"])
    result = transform(frame, config.objects[0], config, default_stage_set(), CROSSWALK)
    rows = {r["source_id"]: r for r in result.canonical.to_dicts()}
    assert result.quarantine.is_empty()
    assert (rows["d0"]["weight"], rows["d0"]["weighted_amount"], rows["d0"]["probability_override"]) == (
        0.25,
        250.0,
        0.25,
    )
    assert (rows["d1"]["weight"], rows["d1"]["probability_override"]) == (0.6, None)  # the proposal stage's 60%
    assert rows["d2"]["weight"] == 0.335 and rows["d2"]["weighted_amount"] == 335.0
    # Won is 100% and lost 0% whatever a rep typed; the override is not kept on them.
    assert (rows["d3"]["weight"], rows["d3"]["probability_override"]) == (1.0, None)
    assert (rows["d4"]["weight"], rows["d4"]["probability_override"]) == (0.0, None)


def test_a_share_field_reads_as_a_share_and_impossible_values_are_held_by_name():
    config = _mapping("number")
    frame = _deals(["P"] * 5, ["0.4", "1.4", "-0.1", "NaN", "1e309"])
    result = transform(frame, config.objects[0], config, default_stage_set(), CROSSWALK)
    assert result.canonical["source_id"].to_list() == ["d0"]
    assert result.canonical["weight"].to_list() == [0.4]
    held = {(q["source_id"], q["reason_code"], q["field"], q["value"]) for q in result.quarantine.to_dicts()}
    assert held == {
        ("d1", "out_of_range", "Prob", "1.4"),
        ("d2", "out_of_range", "Prob", "-0.1"),
        ("d3", "invalid_value", "Prob", "NaN"),
        ("d4", "invalid_value", "Prob", "1e309"),
    }
