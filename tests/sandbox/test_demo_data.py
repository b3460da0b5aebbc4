import json
from datetime import date

import polars as pl
import pytest

from domain.canonical import MovementComponent, QuarantineReason
from sandbox.demo_data import MOVEMENT_LABELS, STAGE_MASTER, DemoSpec, generate, write_demo

LABEL_TO_COMPONENT = {label: c for c, labels in MOVEMENT_LABELS.items() for label in labels}


@pytest.fixture(scope="module")
def demo():
    return generate(DemoSpec())


def test_same_seed_same_data_other_seed_other_data():
    a, b, c = generate(DemoSpec(seed=3)), generate(DemoSpec(seed=3)), generate(DemoSpec(seed=4))
    for name in ("accounts", "opportunities", "arr_movements"):
        assert a[name].equals(b[name])
        assert not a[name].equals(c[name])
    assert a["truth"] == b["truth"]


def test_default_sizes_meet_the_demo_brief(demo):
    assert len(demo["accounts"]) >= 500
    assert len(demo["opportunities"]) >= 3000
    assert len(demo["arr_movements"]) >= 2000


def test_two_pipelines_with_their_own_stage_names(demo):
    opps = demo["opportunities"]
    assert set(opps["Pipeline"].unique()) == {"New Business", "Renewals & Expansion"}
    stages_by_pipeline = opps.group_by("Pipeline").agg(pl.col("StageName").unique())
    names = {row["Pipeline"]: set(row["StageName"]) for row in stages_by_pipeline.to_dicts()}
    assert not (names["New Business"] & names["Renewals & Expansion"])
    assert "Legacy - Technical Eval" in names["New Business"]  # inactive stage still on old deals
    master = {s for _, s, *_ in STAGE_MASTER}
    assert (names["New Business"] | names["Renewals & Expansion"]) - master == {"Pilot Extension"}  # the planted one


def test_two_currencies_and_24_months_of_every_movement_component(demo):
    moves = demo["arr_movements"]
    assert set(demo["opportunities"]["CurrencyIsoCode"].unique()) == {"USD", "EUR"}
    components = {LABEL_TO_COMPONENT[label] for label in moves["MovementType"].unique()}
    assert components == {c.value for c in MovementComponent}
    dates = moves["EffectiveDate"].str.to_date(strict=False).drop_nulls()  # the planted "2025-13-45" drops out
    months = dates.dt.strftime("%Y-%m").unique()
    assert len(months) == 24
    assert moves["EffectiveDate"].max() < str(DemoSpec().as_of)


def test_signs_follow_components_and_clean_arr_never_goes_negative(demo):
    bad_ids = {b["id"] for b in demo["truth"]["bad_rows"]}
    clean = (
        demo["arr_movements"]
        .filter(~pl.col("Id").is_in(bad_ids))
        .with_columns(component=pl.col("MovementType").replace_strict(LABEL_TO_COMPONENT))
    )
    positive = clean.filter(pl.col("component").is_in(["new", "expansion", "reactivation"]))
    negative = clean.filter(pl.col("component").is_in(["contraction", "churn"]))
    assert (positive["ARRChange"] > 0).all() and (negative["ARRChange"] < 0).all()
    running = clean.with_columns(level=pl.col("ARRChange").cum_sum().over("AccountId"))
    assert running["level"].min() >= 0


def test_duplicates_renames_and_parents_are_planted(demo):
    accounts = demo["accounts"]
    truth = demo["truth"]
    by_id = {r["Id"]: r for r in accounts.to_dicts()}
    assert len(truth["duplicates"]) >= 20
    for original, duplicate in truth["duplicates"]:
        assert original != duplicate
        assert by_id[original]["BillingCountry"] == by_id[duplicate]["BillingCountry"]
    assert len(truth["renamed"]) >= 10
    for renamed in truth["renamed"]:
        assert by_id[renamed["id"]]["Name"] == renamed["new_name"] != renamed["old_name"]
        # Older deals still carry the name the account had then.
    old_names = {r["old_name"] for r in truth["renamed"]}
    assert demo["opportunities"].filter(pl.col("Account.Name").is_in(old_names)).height > 0
    children = accounts.filter(pl.col("ParentId").is_not_null())
    assert len(children) >= 20 and set(children["ParentId"]) <= set(accounts["Id"])
    # Some regional entities were never linked in the CRM: step 4 suggests them as related.
    unlinked = {c for _, c in truth["unlinked_children"]}
    assert unlinked and accounts.filter(pl.col("Id").is_in(list(unlinked)))["ParentId"].is_null().all()
    assert accounts["Id"].is_unique().all() and (accounts["Id"].str.len_chars() == 18).all()


def test_bad_rows_are_in_the_data_as_truth_says(demo):
    assert {b["reason"] for b in demo["truth"]["bad_rows"]} <= {r.value for r in QuarantineReason}
    reasons = {(b["object"], b["reason"]) for b in demo["truth"]["bad_rows"]}
    assert reasons >= {
        ("opportunities", "unmapped_stage"),
        ("opportunities", "unreconciled_account"),
        ("opportunities", "missing_value"),
        ("opportunities", "invalid_value"),
        ("arr_movements", "sign_contradicts_component"),
        ("arr_movements", "invalid_value"),
        ("arr_movements", "unreconciled_account"),
        ("arr_movements", "missing_value"),
    }
    frames = {"opportunities": demo["opportunities"], "arr_movements": demo["arr_movements"]}
    for bad in demo["truth"]["bad_rows"]:
        row = frames[bad["object"]].filter(pl.col("Id") == bad["id"]).to_dicts()[0]
        assert row[bad["field"]] == bad["value"]


@pytest.mark.parametrize("fmt", ["csv", "parquet"])
def test_write_demo_round_trips(tmp_path, fmt):
    spec = DemoSpec(seed=11, accounts=60, opportunities=200, movements=150, as_of=date(2026, 1, 1))
    counts = write_demo(spec, tmp_path, file_format=fmt)
    assert counts == {"accounts": 60, "opportunities": 200, "arr_movements": 150, "stages": 14, "owners": 12}
    read = pl.read_csv if fmt == "csv" else pl.read_parquet
    opps = (
        read(tmp_path / f"opportunities.{fmt}", infer_schema=False)
        if fmt == "csv"
        else read(tmp_path / f"opportunities.{fmt}")
    )
    assert len(opps) == 200 and "StageName" in opps.columns
    assert json.loads((tmp_path / "truth.json").read_text())["spec"]["seed"] == "11"
    assert not list(tmp_path.glob("*.tmp"))
