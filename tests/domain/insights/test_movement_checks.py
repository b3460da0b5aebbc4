"""Movements that contradict their customer's history are listed with the rule and what they should be."""

from datetime import date

import polars as pl

from domain.insights.movement_checks import (
    CHANGE_WITHOUT_ARR,
    CHURN_NOT_TO_ZERO,
    NEW_WITH_ARR,
    REACTIVATION_WITH_ARR,
    RETURN_TYPED_NEW,
    movement_exceptions,
)


def _moves(*rows):
    return pl.DataFrame(
        [
            (f"m{i}", account, f"Customer {account}", date.fromisoformat(day), kind, amount)
            for i, (account, day, kind, amount) in enumerate(rows)
        ],
        schema=["source_id", "account_id", "account", "effective_date", "movement_component", "arr_delta"],
        orient="row",
    )


def test_a_clean_history_raises_nothing():
    clean = _moves(
        (1, "2025-01-01", "new", 1000.0),
        (1, "2025-04-01", "expansion", 500.0),
        (1, "2025-07-01", "contraction", -200.0),
        (1, "2025-10-01", "churn", -1300.0),
        (1, "2026-02-01", "reactivation", 800.0),
    )
    assert movement_exceptions(clean).is_empty()


def test_each_contradiction_is_named_with_what_it_should_be():
    messy = _moves(
        (1, "2025-01-01", "new", 1000.0),
        (1, "2025-02-01", "new", 300.0),  # already has ARR
        (1, "2025-03-01", "churn", -500.0),  # leaves 800
        (1, "2025-04-01", "churn", -800.0),
        (1, "2025-06-01", "new", 900.0),  # came back: a reactivation
        (1, "2025-07-01", "reactivation", 100.0),  # still active
        (2, "2025-01-15", "expansion", 400.0),  # never had ARR
    )
    found = movement_exceptions(messy).select("account", "problem", "should_be").rows()
    assert found == [
        ("Customer 2", CHANGE_WITHOUT_ARR, "new"),
        ("Customer 1", NEW_WITH_ARR, "expansion"),
        ("Customer 1", CHURN_NOT_TO_ZERO, "contraction"),
        ("Customer 1", RETURN_TYPED_NEW, "reactivation"),
        ("Customer 1", REACTIVATION_WITH_ARR, "expansion"),
    ]


def test_the_revenue_view_lists_them_and_masks_their_amounts_for_a_viewer(data):
    from domain.insights.data import RevenueFilters
    from domain.insights.revenue_view import revenue_view
    from domain.roles import MASKED, Access, Role

    def view(role):
        return revenue_view(
            data, RevenueFilters(), Access("x", role, 2), bridge_start=date(2026, 1, 1), bridge_end=date(2026, 3, 1)
        ).movement_checks

    full = view(Role.FINANCE)
    assert list(full.columns) == [
        "Account",
        "Effective date",
        "Movement",
        "ARR change",
        "ARR before",
        "Problem",
        "Should be",
    ]
    assert view(Role.VIEWER).height == full.height
    from domain.roles import mask_amounts

    messy = movement_exceptions(_moves((1, "2025-01-01", "new", 1000.0), (1, "2025-02-01", "new", 300.0)))
    masked = mask_amounts(messy, Access("v", Role.VIEWER))
    assert masked["arr_delta"].to_list() == [MASKED] and masked["arr_before"].to_list() == [MASKED]
