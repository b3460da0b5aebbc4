"""Stage weights against what actually closed: hand-made histories give the expected rates and intervals (issue 22)."""

from datetime import date

import polars as pl
import pytest

from domain.figures import weighted_open_pipeline, weighted_open_pipeline_at_rates
from domain.insights.weightings import forecast_by_weighting
from domain.mapping_config import StageMap
from domain.stage_calibration import MIN_DEALS, canonical_history, historical_rates, stage_conversion, wilson_interval
from domain.stage_set import default_stage_set

STAGES = default_stage_set()


def _history(paths: dict[str, list[str]]) -> pl.DataFrame:
    return pl.DataFrame(
        [(deal, stage) for deal, path in paths.items() for stage in path], schema=["deal_id", "stage"], orient="row"
    )


def test_rates_count_deals_that_reached_a_stage_or_skipped_past_it_and_only_closed_ones():
    paths = {
        "won-all-the-way": ["prospecting", "qualification", "evaluation", "proposal", "negotiation"],
        "won-skipping": ["qualification", "negotiation"],  # skipped evaluation and proposal: still passed them
        "lost-early": ["prospecting", "qualification"],
        "lost-late": ["prospecting", "qualification", "evaluation", "proposal"],
        "still-open": ["prospecting", "qualification", "evaluation"],
    }
    deals = pl.DataFrame(
        {
            "deal_id": list(paths),
            "stage": ["closed_won", "closed_won", "closed_lost", "closed_lost", "evaluation"],
            "closed_on": [date(2025, 3, 1), date(2025, 4, 1), date(2025, 2, 1), date(2025, 5, 1), None],
        }
    )
    table = stage_conversion(_history(paths), deals, STAGES)
    rows = {r["stage"]: r for r in table.to_dicts()}
    assert list(rows) == ["prospecting", "qualification", "evaluation", "proposal", "negotiation"]
    # Qualification: all four closed deals reached it, two won. Proposal: both winners (one by skipping) and the
    # late loser. Negotiation: only the winners. The open deal counts nowhere.
    assert {k: (r["closed_deals"], r["won"]) for k, r in rows.items()} == {
        "prospecting": (4, 2),  # 'won-skipping' never entered prospecting but won: it passed that bar
        "qualification": (4, 2),
        "evaluation": (3, 2),
        "proposal": (3, 2),
        "negotiation": (2, 2),
    }
    assert rows["negotiation"]["historical_rate"] == 1.0 and rows["evaluation"]["historical_rate"] == 2 / 3
    assert not any(r["enough_data"] for r in rows.values())  # 4 deals are not enough to suggest a weight
    # A window on the close date: only deals closed from April on.
    april = {
        r["stage"]: r for r in stage_conversion(_history(paths), deals, STAGES, closed_from=date(2025, 4, 1)).to_dicts()
    }
    assert (april["qualification"]["closed_deals"], april["qualification"]["won"]) == (2, 1)


def test_the_wilson_interval_matches_the_textbook_values_and_is_empty_without_deals():
    frame = pl.DataFrame({"won": [8, 0, 30], "n": [12, 0, 30]})
    low, high = wilson_interval(pl.col("won"), pl.col("n"))
    got = frame.select(low.alias("low"), high.alias("high"))
    # 8 of 12: Wilson 95% is 0.3906 to 0.8619; 30 of 30: 0.8865 to 1.
    assert got["low"][0] == pytest.approx(0.3906, abs=1e-4) and got["high"][0] == pytest.approx(0.8619, abs=1e-4)
    assert got["low"][1] is None and got["high"][1] is None
    assert got["low"][2] == pytest.approx(0.8865, abs=1e-4) and got["high"][2] == pytest.approx(1.0)


def test_a_stage_with_enough_closed_deals_is_marked_as_trustworthy():
    paths = {f"d{i}": ["qualification", "proposal"] for i in range(MIN_DEALS)}
    deals = pl.DataFrame(
        {
            "deal_id": list(paths),
            "stage": ["closed_won" if i % 3 == 0 else "closed_lost" for i in range(MIN_DEALS)],
            "closed_on": [date(2025, 1, 1)] * MIN_DEALS,
        }
    )
    rows = {r["stage"]: r for r in stage_conversion(_history(paths), deals, STAGES).to_dicts()}
    assert rows["proposal"]["enough_data"] and rows["proposal"]["historical_rate"] == pytest.approx(1 / 3)
    assert rows["negotiation"]["closed_deals"] == MIN_DEALS // 3  # only the winners passed it


def test_crm_history_maps_onto_canonical_stages_through_each_deals_pipeline():
    history = pl.DataFrame(
        {
            "source": ["sf", "sf", "sf", "sf", "sf", "hs"],
            "source_id": ["a", "a", "b", "b", "gone", "a"],
            "stage": ["Discovery", "Review", "Discovery", "Unmapped", "Discovery", "1034001"],
        }
    )
    deals = pl.DataFrame(
        {"source": ["sf", "sf", "hs"], "source_id": ["a", "b", "a"], "pipeline": ["new", "renew", "default"]}
    )
    maps = [
        StageMap("new", "Discovery", "prospecting"),
        StageMap("new", "Review", "evaluation"),
        StageMap("renew", "Discovery", "qualification"),  # the same CRM stage means another thing in another pipeline
        StageMap("default", "1034001", "proposal"),
    ]
    got = canonical_history(history, deals, maps).sort("deal_id", "stage")
    # The deal no longer live and the stage the mapping does not map say nothing; sources do not mix.
    assert got.rows() == [
        ("hs:a", "proposal"),
        ("sf:a", "evaluation"),
        ("sf:a", "prospecting"),
        ("sf:b", "qualification"),
    ]


def test_the_forecast_under_both_weightings_uses_trusted_rates_and_keeps_overrides():
    deals = pl.DataFrame(
        {
            "stage": ["proposal", "proposal", "negotiation", "evaluation", "closed_won"],
            "amount_reporting": [1000.0, 2000.0, 500.0, 300.0, 9000.0],
            "weighted_amount": [600.0, 1000.0, 400.0, 120.0, 9000.0],  # the second proposal deal: its own 50%
            "probability_override": [None, 0.5, None, None, None],
        }
    )
    calibration = pl.DataFrame(
        {
            "stage": ["evaluation", "proposal", "negotiation"],
            "historical_rate": [0.2, 0.45, 0.9],
            "closed_deals": [12, 80, 60],
            "enough_data": [False, True, True],  # 12 deals are too few: evaluation keeps its 40%
        }
    )
    rates = historical_rates(calibration)
    assert rates == {"proposal": 0.45, "negotiation": 0.9}
    configured = weighted_open_pipeline(deals, STAGES)
    at_rates = weighted_open_pipeline_at_rates(deals, STAGES, rates, "USD")
    assert configured == 600 + 1000 + 400 + 120
    assert at_rates == 450 + 1000 + 450 + 120  # proposal at 45%, the override kept, negotiation 90%, evaluation 40%
    table = {r["stage"]: r for r in forecast_by_weighting(deals, STAGES, calibration, "USD").to_dicts()}
    assert (table["proposal"]["weighted_configured"], table["proposal"]["weighted_historical"]) == (1600.0, 1450.0)
    assert table["proposal"]["overridden_deals"] == 1 and table["proposal"]["open_deals"] == 2
    assert table["evaluation"]["historical_rate"] is None  # not trusted, not shown as the rate
    assert table["prospecting"]["open_deals"] == 0 and table["prospecting"]["weighted_historical"] == 0.0
    assert sum(r["weighted_historical"] for r in table.values()) == at_rates
    assert sum(r["weighted_configured"] for r in table.values()) == configured
