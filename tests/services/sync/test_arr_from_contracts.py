"""A workspace whose CRM has no ARR-movement object: ARR actuals come from contracts, the sync derives the
movements, and a changed contract re-derives its account's movements on the next (incremental) run (issue 22)."""

from datetime import date

import polars as pl

from domain.canonical import Domain
from domain.config import PROJECT_ROOT
from domain.roles import system_access
from sandbox.demo_data import DemoSpec, write_demo
from services.sync import run_sync
from storage.frames import read_workspace_table
from tests.conftest import file_workspace

CONTRACTS_OBJECT = """
  - source: demo
    object: contracts
    domain: arr_actuals
    arr_from: contracts
    amount_per: month
    fields:
      AccountId: {to: account, type: string}
      StartDate: {to: contract_start, type: date}
      EndDate: {to: contract_end, type: date}
      TermMonths: {to: contract_term_months, type: number}
      MonthlyFee: {to: recurring_amount, type: currency}
      CurrencyIsoCode: {to: currency, type: string}
"""


def _write_contracts(folder, accounts: list[str], rows: list[tuple]) -> None:
    pl.DataFrame(
        [
            (cid, accounts[a], start, end, term, fee, currency, modified, "false")
            for cid, a, start, end, term, fee, currency, modified in rows
        ],
        schema=[
            "Id",
            "AccountId",
            "StartDate",
            "EndDate",
            "TermMonths",
            "MonthlyFee",
            "CurrencyIsoCode",
            "LastModifiedDate",
            "IsDeleted",
        ],
        orient="row",
    ).write_csv(folder / "contracts.csv")


def contracts_export(folder) -> list[str]:
    """The demo export (deals, accounts) in `folder`, to which a test adds contracts.csv; the account IDs."""
    write_demo(DemoSpec(seed=21, accounts=80, opportunities=200, movements=10), folder)
    return pl.read_csv(folder / "accounts.csv", infer_schema=False)["Id"].to_list()


def _workspace(settings, folder):
    """A workspace on the demo export whose ARR actuals come from contracts.csv: routed, mapped, reconciled."""
    mapping = (PROJECT_ROOT / "docs" / "demo-export-mapping.yaml").read_text()
    start_of_arr = mapping.index("  - source: demo\n    object: arr_movements")
    end_of_arr = mapping.index("stages:")
    mapping = mapping[:start_of_arr] + CONTRACTS_OBJECT.lstrip("\n") + mapping[end_of_arr:]
    return file_workspace(
        settings, folder, name="Contracts", write_export=False, arr_object="contracts", mapping=mapping
    )


def _movements(engine, ws) -> list[tuple]:
    rows = read_workspace_table(engine, "arr_movements", ws).filter(~pl.col("is_deleted"))
    return sorted(
        (r["effective_date"].isoformat(), r["movement_component"], r["arr_delta"], r["currency"])
        for r in rows.to_dicts()
    )


def test_a_crm_with_only_contracts_gets_arr_movements_that_follow_its_contracts(settings, tmp_path):
    folder = tmp_path / "export"
    folder.mkdir()
    accounts = contracts_export(folder)
    stamp = "2025-01-05T10:00:00.000+0000"
    _write_contracts(
        folder,
        accounts,
        [
            ("K1", 0, "2024-01-01", "2024-12-31", "", "1000", "USD", stamp),  # 12,000 a year
            ("K2", 0, "2025-01-01", "", "12", "1500", "USD", stamp),  # renewed bigger, a term instead of an end
            ("K3", 1, "2024-03-10", "2024-09-09", "", "500", "EUR", stamp),  # six months, not renewed
            ("K4", 2, "2024-05-01", "2024-04-30", "", "100", "USD", stamp),  # ends before it starts: quarantined
        ],
    )
    engine, ws = _workspace(settings, folder)
    first = run_sync(engine, settings, ws, trigger="test", access=system_access("t"))
    assert _movements(engine, ws) == [
        ("2024-01-01", "new", 12_000.0, "USD"),
        ("2024-03-10", "new", 6_000.0, "EUR"),
        ("2024-09-10", "churn", -6_000.0, "EUR"),
        ("2025-01-01", "expansion", 6_000.0, "USD"),
        ("2026-01-01", "churn", -18_000.0, "USD"),
    ]
    held = read_workspace_table(engine, "quarantine", ws).filter(pl.col("source_object") == "contracts")
    assert held["source_id"].to_list() == ["K4"] and held["reason_code"].to_list() == ["invalid_value"]
    arr = first.domains[Domain.ARR_ACTUALS]
    assert arr.added == 5 and arr.quarantined == 1
    # Euro movements are valued like any movement, at the rate in force on their date.
    eur = read_workspace_table(engine, "arr_movements", ws).filter(pl.col("currency") == "EUR")
    assert eur["arr_delta_reporting"].to_list() == [6_480.0, -6_480.0]

    # The renewal is cut to 1,200 a month and a new add-on starts: the next run re-derives the account.
    _write_contracts(
        folder,
        accounts,
        [
            ("K1", 0, "2024-01-01", "2024-12-31", "", "1000", "USD", stamp),
            ("K2", 0, "2025-01-01", "", "12", "1200", "USD", "2025-02-01T10:00:00.000+0000"),
            ("K3", 1, "2024-03-10", "2024-09-09", "", "500", "EUR", stamp),
            ("K5", 0, "2025-06-15", "2025-12-31", "", "300", "USD", "2025-06-01T10:00:00.000+0000"),
        ],
    )
    second = run_sync(engine, settings, ws, trigger="test", access=system_access("t"))
    assert _movements(engine, ws) == [
        ("2024-01-01", "new", 12_000.0, "USD"),
        ("2024-03-10", "new", 6_000.0, "EUR"),
        ("2024-09-10", "churn", -6_000.0, "EUR"),
        ("2025-01-01", "expansion", 2_400.0, "USD"),
        ("2025-06-15", "expansion", 3_600.0, "USD"),
        ("2026-01-01", "churn", -18_000.0, "USD"),
    ]
    assert second.domains[Domain.ARR_ACTUALS].changed == 1 and second.domains[Domain.ARR_ACTUALS].added == 1
    # The ARR of the account at any month end is what its movements add up to.
    assert sum(m[2] for m in _movements(engine, ws) if m[0] <= date(2025, 7, 31).isoformat() and m[3] == "USD") == (
        12 * 1200 + 12 * 300
    )
    # The euro contract is deleted in the CRM: the movements it caused are no longer derived, so they go.
    _write_contracts(
        folder,
        accounts,
        [
            ("K1", 0, "2024-01-01", "2024-12-31", "", "1000", "USD", stamp),
            ("K2", 0, "2025-01-01", "", "12", "1200", "USD", "2025-02-01T10:00:00.000+0000"),
            ("K5", 0, "2025-06-15", "2025-12-31", "", "300", "USD", "2025-06-01T10:00:00.000+0000"),
        ],
    )
    third = run_sync(engine, settings, ws, trigger="test", access=system_access("t"))
    assert third.domains[Domain.ARR_ACTUALS].tombstoned == 2
    assert [m for m in _movements(engine, ws) if m[3] == "EUR"] == []


def test_a_contract_ending_in_the_future_is_not_churn_yet_nor_a_signed_one_starting_later_arr(settings, tmp_path):
    """ARR actuals are what happened: a run derives movements up to today (in the source's time zone)."""
    folder = tmp_path / "export"
    folder.mkdir()
    accounts = contracts_export(folder)
    stamp = "2025-01-05T10:00:00.000+0000"
    today = date.today()
    _write_contracts(
        folder,
        accounts,
        [
            ("K1", 0, "2025-01-01", f"{today.year + 1}-12-31", "", "1000", "USD", stamp),  # runs past today
            ("K2", 1, f"{today.year + 1}-02-01", f"{today.year + 2}-01-31", "", "800", "USD", stamp),  # signed, later
        ],
    )
    engine, ws = _workspace(settings, folder)
    run_sync(engine, settings, ws, trigger="test", access=system_access("t"))
    assert _movements(engine, ws) == [("2025-01-01", "new", 12_000.0, "USD")]
