"""ARR movements derived from contracts, checked by hand on the histories finance teams argue about (issue 22)."""

from datetime import date

import polars as pl

from domain.contract_arr import CONTRACT_COLUMNS, arr_by_month, derive_movements, end_from_term


def _contracts(*rows) -> pl.DataFrame:
    """(contract, account, start, end, annual amount[, currency, amount in the reporting currency])."""
    full = [row if len(row) == 7 else (*row, "USD", row[4]) for row in rows]
    return pl.DataFrame(full, schema=CONTRACT_COLUMNS, orient="row")


def _moves(frame: pl.DataFrame) -> list[tuple]:
    return [
        (r["effective_date"].isoformat(), r["movement_component"], r["arr_delta"], r["currency"], r["contracts"])
        for r in frame.to_dicts()
    ]


def test_a_renewal_the_day_after_the_end_is_continuous_and_one_without_a_renewal_churns():
    contracts = _contracts(
        ("C1", 1, date(2024, 1, 1), date(2024, 12, 31), 120_000.0),
        ("C2", 1, date(2025, 1, 1), date(2025, 12, 31), 120_000.0),  # same price, the day after: no movement
        ("C3", 2, date(2024, 3, 10), date(2025, 3, 9), 50_000.0),  # mid-month end, not renewed
    )
    assert _moves(derive_movements(contracts)) == [
        ("2024-01-01", "new", 120_000.0, "USD", ["C1"]),
        ("2026-01-01", "churn", -120_000.0, "USD", ["C2"]),
        ("2024-03-10", "new", 50_000.0, "USD", ["C3"]),
        # Ends 9 Mar: it counted last at the end of February, so the churn is in March.
        ("2025-03-10", "churn", -50_000.0, "USD", ["C3"]),
    ]


def test_an_upgrade_mid_term_and_a_downgrade_at_renewal():
    contracts = _contracts(
        ("C1", 1, date(2024, 1, 1), date(2024, 6, 30), 100_000.0),
        ("C2", 1, date(2024, 7, 1), date(2024, 12, 31), 150_000.0),  # upgraded mid-term: replaces C1
        ("C3", 1, date(2025, 1, 1), date(2025, 12, 31), 80_000.0),  # renewed smaller
    )
    moves = _moves(derive_movements(contracts, until=date(2025, 6, 30)))
    assert moves == [
        ("2024-01-01", "new", 100_000.0, "USD", ["C1"]),
        ("2024-07-01", "expansion", 50_000.0, "USD", ["C1", "C2"]),
        ("2025-01-01", "contraction", -70_000.0, "USD", ["C2", "C3"]),
    ]


def test_a_gap_then_a_return_is_a_reactivation_within_the_window_and_new_after_it():
    contracts = _contracts(
        ("C1", 1, date(2024, 1, 1), date(2024, 3, 31), 60_000.0),
        ("C2", 1, date(2024, 6, 1), date(2024, 12, 31), 60_000.0),  # back two months later
        ("C3", 1, date(2026, 1, 1), None, 30_000.0),  # back a year after churning again, open-ended
    )
    always = _moves(derive_movements(contracts))
    assert [m[1] for m in always] == ["new", "churn", "reactivation", "churn", "reactivation"]
    assert always[1][0] == "2024-04-01" and always[2][0] == "2024-06-01"
    windowed = _moves(derive_movements(contracts, reactivation_window_days=90))
    assert [m[1] for m in windowed] == ["new", "churn", "reactivation", "churn", "new"]


def test_overlapping_contracts_add_and_one_ending_is_a_contraction_not_a_churn():
    contracts = _contracts(
        ("C1", 1, date(2024, 1, 1), date(2025, 12, 31), 100_000.0),
        ("C2", 1, date(2024, 4, 15), date(2024, 10, 14), 20_000.0),  # an add-on for six months
    )
    assert [(m[0], m[1], m[2]) for m in _moves(derive_movements(contracts, until=date(2025, 1, 1)))] == [
        ("2024-01-01", "new", 100_000.0),
        ("2024-04-15", "expansion", 20_000.0),
        ("2024-10-15", "contraction", -20_000.0),
    ]


def test_multi_currency_contracts_keep_their_currency_and_are_classified_by_the_account_total():
    contracts = _contracts(
        ("C1", 1, date(2024, 1, 1), date(2024, 12, 31), 100_000.0, "EUR", 108_000.0),
        ("C2", 1, date(2024, 7, 1), date(2025, 6, 30), 40_000.0, "GBP", 50_800.0),
    )
    moves = _moves(derive_movements(contracts, until=date(2025, 3, 1)))
    assert moves == [
        ("2024-01-01", "new", 100_000.0, "EUR", ["C1"]),
        ("2024-07-01", "expansion", 40_000.0, "GBP", ["C2"]),
        # The euro contract ends while the pound one still runs: the account contracts, it does not churn.
        ("2025-01-01", "contraction", -100_000.0, "EUR", ["C1"]),
    ]


def test_a_contract_within_one_month_never_counts_and_a_term_in_months_ends_the_day_before():
    contracts = _contracts(("C1", 1, date(2024, 3, 3), date(2024, 3, 20), 10_000.0))
    assert derive_movements(contracts).is_empty()
    ends = pl.DataFrame({"start": [date(2024, 1, 1), date(2024, 1, 31)], "term": [12, 1]}).select(
        end_from_term(pl.col("start"), pl.col("term"))
    )
    assert ends.to_series().to_list() == [date(2024, 12, 31), date(2024, 2, 28)]


def test_the_movements_of_an_account_add_up_to_its_arr_every_month():
    import random

    rng = random.Random(22)
    rows = []
    for i in range(400):
        start = date(2023, rng.randint(1, 12), rng.randint(1, 28))
        months = rng.choice([1, 6, 12, 24, 36])
        end = pl.select(end_from_term(pl.lit(start), pl.lit(months))).item() if rng.random() > 0.1 else None
        rows.append((f"C{i}", rng.randint(1, 60), start, end, float(rng.randint(1, 500) * 1000)))
    contracts = _contracts(*rows)
    moves = derive_movements(contracts)
    months = pl.date_range(date(2023, 1, 1), date(2027, 12, 1), "1mo", eager=True).to_list()
    expected = arr_by_month(contracts, months)
    running = (
        moves.with_columns(pl.col("effective_date").dt.truncate("1mo").alias("first"))
        .join(pl.DataFrame({"month": months}), how="cross")
        .filter(pl.col("first") <= pl.col("month"))
        .group_by("account_id", "month")
        .agg(pl.col("arr_delta").sum().round(2).alias("arr"))
        .filter(pl.col("arr") != 0)
    )
    assert running.sort("account_id", "month").equals(
        expected.with_columns(pl.col("arr").round(2)).sort("account_id", "month")
    )


def test_a_mapping_file_states_arr_from_contracts_and_round_trips():
    import pytest

    from domain.canonical import Domain
    from domain.errors import ValidationError
    from domain.mapping_config import from_yaml, mapped_fields_by_domain, to_yaml

    text = """
objects:
  - source: crm
    object: Subscription__c
    domain: arr_actuals
    arr_from: contracts
    amount_per: month
    fields:
      Account__c: {to: account}
      Start__c: {to: contract_start, type: date}
      Term__c: {to: contract_term_months, type: number}
      MRR__c: {to: recurring_amount, type: currency}
"""
    config = from_yaml(text)
    obj = config.objects[0]
    assert obj.from_contracts and obj.amount_per == "month"
    assert from_yaml(to_yaml(config)) == config
    # Step 3's progress: contracts give ARR actuals the movement fields a sync needs.
    assert {"effective_date", "arr_delta", "movement_component"} <= mapped_fields_by_domain(config)[Domain.ARR_ACTUALS]
    with pytest.raises(ValidationError, match=r"objects\[0\]\.fields\.Start__c\.to"):
        from_yaml(text.replace("arr_from: contracts", "arr_from: movements"))  # a contract field on movements
    with pytest.raises(ValidationError, match=r"objects\[0\]\.arr_from"):
        from_yaml(text.replace("domain: arr_actuals", "domain: pipeline"))
