"""Movements that contradict their customer's history are listed with the rule and what they should be."""

from datetime import date

import polars as pl

from domain.insights.movement_checks import (
    CHANGE_WITHOUT_ARR,
    CHURN_NOT_TO_ZERO,
    NEW_WITH_ARR,
    REACTIVATION_AFTER_WINDOW,
    REACTIVATION_WITH_ARR,
    RETURN_TYPED_NEW,
    customer_history,
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
        "CRM ID",
    ]
    assert view(Role.VIEWER).height == full.height
    from domain.roles import mask_amounts

    messy = movement_exceptions(_moves((1, "2025-01-01", "new", 1000.0), (1, "2025-02-01", "new", 300.0)))
    masked = mask_amounts(messy, Access("v", Role.VIEWER))
    assert masked["arr_delta"].to_list() == [MASKED] and masked["arr_before"].to_list() == [MASKED]


def test_a_reactivation_window_makes_a_late_return_new():
    history = _moves(
        (1, "2025-01-01", "new", 1000.0),
        (1, "2025-03-01", "churn", -1000.0),
        (1, "2025-04-15", "reactivation", 500.0),  # 45 days after churn
        (2, "2025-01-01", "new", 800.0),
        (2, "2025-02-01", "churn", -800.0),
        (2, "2025-12-01", "reactivation", 800.0),  # 303 days after churn
        (3, "2025-01-01", "new", 700.0),
        (3, "2025-02-01", "churn", -700.0),
        (3, "2026-01-01", "new", 700.0),  # a year later, typed new
    )
    any_time = movement_exceptions(history).select("account", "problem").rows()
    assert any_time == [("Customer 3", RETURN_TYPED_NEW)]  # by default a return is always a reactivation
    windowed = movement_exceptions(history, reactivation_window_days=90).select("account", "problem", "should_be")
    assert windowed.rows() == [("Customer 2", REACTIVATION_AFTER_WINDOW, "new")]


def test_the_history_preview_shows_arr_before_and_after_each_movement():
    history = customer_history(_moves((1, "2025-01-01", "new", 1000.0), (1, "2025-03-01", "churn", -1000.0)))
    assert history.select("movement_component", "arr_before", "arr_after", "problem").rows() == [
        ("new", 0.0, 1000.0, None),
        ("churn", 1000.0, 0.0, None),
    ]


def test_the_preview_says_what_the_policy_says_of_each_movement(data):
    from domain.insights.data import RevenueFilters
    from domain.insights.revenue_view import customer_history_view, customer_names
    from domain.roles import MASKED, Access, Role

    name = customer_names(data)[0]
    shown = customer_history_view(data, name, Access("f", Role.FINANCE), RevenueFilters())
    assert list(shown.columns) == ["Effective date", "Movement", "ARR change", "ARR before", "ARR after", "Policy says"]
    assert shown.height == data.movements.filter(pl.col("account") == name).height
    assert set(shown["Policy says"]) == {"fits the policy"}
    masked = customer_history_view(data, name, Access("v", Role.VIEWER), RevenueFilters())
    assert set(masked["ARR before"]) == {MASKED} and set(masked["ARR after"]) == {MASKED}


def test_the_running_figures_match_a_plain_per_customer_walk():
    import random

    rng = random.Random(3)
    rows = []
    for _ in range(400):
        account = rng.randint(1, 25)
        day = date(2025, 1, 1).toordinal() + rng.randint(0, 400)
        rows.append(
            (
                account,
                date.fromordinal(day).isoformat(),
                rng.choice(["new", "churn", "expansion"]),
                float(rng.randint(-5, 5) * 100),
            )
        )
    movements = _moves(*rows)
    history = customer_history(movements)
    expected = {}
    for account in sorted({r[0] for r in rows}):
        mine = movements.filter(pl.col("account_id") == account).sort("effective_date", "source_id")
        arr, had, zero_since = 0.0, False, None
        for row in mine.iter_rows(named=True):
            before = round(arr, 2)
            after = round(before + row["arr_delta"], 2)
            days = None if zero_since is None else (row["effective_date"] - zero_since).days
            expected[row["source_id"]] = (before, after, int(had), days)
            if after <= 0 and (had or before > 0):
                zero_since = row["effective_date"]
            had = had or before > 0
            arr = after
    got = {
        r[0]: tuple(r[1:])
        for r in history.select("source_id", "arr_before", "arr_after", "had_arr_before", "days_since_zero").iter_rows()
    }
    assert got == expected
