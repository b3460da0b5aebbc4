"""Stage weights against what actually closed: hand-made histories give the expected rates and intervals (issue 22)."""

from datetime import date

import polars as pl
import pytest

from domain.stage_calibration import MIN_DEALS, stage_conversion, wilson_interval
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
