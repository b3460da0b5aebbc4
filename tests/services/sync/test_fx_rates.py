"""FX rates uploaded as CSV: validated with the line and column named, and put in force for the next sync."""

import polars as pl
import pytest

from domain.errors import ValidationError
from domain.fx_rates import parse_fx_rates, with_fx_rates
from domain.roles import system_access
from services.fx_rates import put_fx_rates_in_force
from services.sync import run_sync
from storage.db import session_scope
from storage.frames import read_workspace_table
from storage.mappings import latest_mapping, save_mapping


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("currency,rate\nEUR,1.1\n", "column 'from': is missing"),
        (
            "currency,from,rate\nEUR,2025-01-01,1.1\neuro,2025-01-01,1.1\n",
            "line 3, column 'currency': 'EURO' is not a 3-letter",
        ),
        ("currency,from,rate\nEUR,01/02/2025,1.1\n", "line 2, column 'from': '01/02/2025' is not a date"),
        ("currency,from,rate\nEUR,2025-01-01,-1\n", "line 2, column 'rate': '-1' is not a finite number above 0"),
        ("currency,from,rate\nUSD,2025-01-01,1\n", "'USD' is the reporting currency"),
        ("currency,from,rate\nEUR,2025-01-01,1.1\nEUR,2025-01-01,1.2\n", "line 2, column 'from': '2025-01-01' repeats"),
    ],
)
def test_a_bad_rates_file_names_the_line_and_column(text, message):
    with pytest.raises(ValidationError, match=message):
        parse_fx_rates(text.encode(), "USD")


def test_rates_parse_sorted_with_a_header_in_any_case():
    rates = parse_fx_rates(
        b"Currency,From,Rate\ngbp,2025-01-01,1.27\nEUR,2025-07-01,1.12\nEUR,2025-01-01,1.08\n", "USD"
    )
    assert [(r.currency, r.valid_from.isoformat(), r.rate) for r in rates] == [
        ("EUR", "2025-01-01", 1.08),
        ("EUR", "2025-07-01", 1.12),
        ("GBP", "2025-01-01", 1.27),
    ]


def test_uploaded_rates_release_rows_held_for_an_unknown_currency_and_convert_at_the_records_date(workspace):
    settings, engine, ws, _ = workspace
    with session_scope(engine) as session:
        config = latest_mapping(session, ws)[1]
        save_mapping(session, ws, with_fx_rates(config, ()), actor="t", note="no rates")
    run_sync(engine, settings, ws, trigger="test", access=system_access("t"))
    held = read_workspace_table(engine, "quarantine", ws).filter(pl.col("reason_code") == "unknown_currency")
    assert held.height > 0 and set(held["value"]) == {"EUR"}
    with session_scope(engine) as session:
        row = put_fx_rates_in_force(
            session,
            ws,
            b"currency,from,rate\nEUR,2000-01-01,1.10\nEUR,2026-01-01,1.20\n",
            access=system_access("t"),
            file_name="rates.csv",
        )
    assert row.note == "FX rates from rates.csv"
    run_sync(engine, settings, ws, trigger="test", access=system_access("t"))
    quarantine = read_workspace_table(engine, "quarantine", ws)
    assert quarantine.filter(pl.col("reason_code") == "unknown_currency")["released_run_id"].is_not_null().all()
    euros = read_workspace_table(engine, "opportunities", ws).filter(pl.col("currency") == "EUR")
    assert euros.height > 0
    expected = pl.when(pl.col("expected_close") >= pl.date(2026, 1, 1)).then(1.20).otherwise(1.10) * pl.col("amount")
    assert euros.select(((pl.col("amount_reporting") - expected).abs() < 0.01).all()).item()


def test_the_fx_rates_a_sync_would_still_miss_come_from_held_rows_then_from_a_newer_dry_run(workspace):
    from domain.canonical import Domain
    from domain.fx_rates import MissingRate
    from services.setup_progress import workspace_facts

    settings, engine, ws, _ = workspace

    def missing():
        with session_scope(engine) as session:
            return list(workspace_facts(session, ws).missing_rates)

    with session_scope(engine) as session:
        config = latest_mapping(session, ws)[1]
        save_mapping(session, ws, with_fx_rates(config, ()), actor="t", note="no rates")
    run_sync(engine, settings, ws, trigger="test", access=system_access("t"))
    # A real sync and no dry run after it: the rows held right now speak for the data.
    held = read_workspace_table(engine, "quarantine", ws).filter(pl.col("reason_code") == "unknown_currency")
    deals = held.filter(pl.col("domain") == "pipeline")["source_id"].n_unique()
    movements = held.filter(pl.col("domain") == "arr_actuals")["source_id"].n_unique()
    assert deals and movements
    assert missing() == [
        MissingRate(Domain.PIPELINE, "EUR", deals, None),
        MissingRate(Domain.ARR_ACTUALS, "EUR", movements, None),
    ]
    with session_scope(engine) as session:
        put_fx_rates_in_force(
            session, ws, b"currency,from,rate\nEUR,2030-01-01,1.10\n", access=system_access("t"), file_name="r.csv"
        )
    # A rate exists now, so the rows held for having none are taken as covered until a run says otherwise...
    assert missing() == []
    # ...and a dry run under a rate that starts too late says how far back rates must reach.
    run_sync(engine, settings, ws, trigger="test", access=system_access("t"), dry_run=True)
    late = missing()
    assert {m.currency for m in late} == {"EUR"} and all(m.earliest is not None for m in late)
    # (rows without a date are held for that, not for the rate)
    assert 0.9 * (deals + movements) < sum(m.rows for m in late) <= deals + movements
    with session_scope(engine) as session:
        put_fx_rates_in_force(
            session, ws, b"currency,from,rate\nEUR,2000-01-01,1.10\n", access=system_access("t"), file_name="r.csv"
        )
    assert missing() == []  # the rates reach back before every held row
    run_sync(engine, settings, ws, trigger="test", access=system_access("t"), dry_run=True)
    assert missing() == []
