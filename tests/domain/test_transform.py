"""Source rows -> canonical rows + quarantine, on the demo data and on small hand-made cases."""

from datetime import date

import polars as pl
import pytest

from connectors.files import FileSource
from domain.config import PROJECT_ROOT
from domain.errors import SourceError, ValidationError
from domain.mapping_config import from_yaml
from domain.stage_set import default_stage_set
from domain.transform import transform
from sandbox.demo_data import DemoSpec, write_demo

MAPPING = from_yaml((PROJECT_ROOT / "docs" / "demo-export-mapping.yaml").read_text())
OPPS, MOVES = MAPPING.objects


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    folder = tmp_path_factory.mktemp("demo")
    write_demo(DemoSpec(), folder)
    source = FileSource(folder, source_key="demo")
    accounts = source.read("accounts")
    crosswalk = accounts.select(pl.col("Id").alias("source_account_id")).with_row_index("account_id", offset=1)
    import json

    truth = json.loads((folder / "truth.json").read_text())
    return source, crosswalk.with_columns(pl.col("account_id").cast(pl.Int64)), truth


def _run(frame, obj, crosswalk, config=MAPPING):
    return transform(frame, obj, config, default_stage_set(), crosswalk)


@pytest.mark.parametrize("obj", [OPPS, MOVES], ids=["pipeline", "arr"])
def test_every_planted_bad_row_is_quarantined_with_its_reason_field_and_value(demo, obj):
    source, crosswalk, truth = demo
    frame = source.read(obj.object_name)
    result = _run(frame, obj, crosswalk)
    planted = [b for b in truth["bad_rows"] if b["object"] == obj.object_name]
    got = {(q["source_id"], q["reason_code"], q["field"]): q["value"] for q in result.quarantine.to_dicts()}
    for bad in planted:
        key = (bad["id"], bad["reason"], bad["field"])
        assert key in got, f"{bad} not quarantined; got {sorted(got)}"
        if bad["value"] is not None:
            assert float(got[key]) == bad["value"] if isinstance(bad["value"], float) else got[key] == bad["value"]
    assert {q[0] for q in got} == {b["id"] for b in planted}  # nothing else is quarantined
    assert result.canonical.height == frame.height - len(planted) - result.excluded_by_policy
    assert not set(result.canonical["source_id"]) & {b["id"] for b in planted}


def test_pipeline_rows_carry_stage_weight_fx_and_provenance(demo):
    source, crosswalk, _ = demo
    result = _run(source.read("opportunities"), OPPS, crosswalk)
    rows = result.canonical
    assert set(rows["stage"]) <= {s.key for s in default_stage_set()}
    won = rows.filter(pl.col("stage") == "closed_won")
    assert (won["weight"] == 1.0).all() and won["weighted_amount"].equals(
        won["amount_reporting"].alias("weighted_amount")
    )
    eur = rows.filter(pl.col("currency") == "EUR")
    early = eur.filter(pl.col("expected_close") < date(2025, 7, 1)).head(1).to_dicts()[0]
    late = eur.filter(pl.col("expected_close") >= date(2025, 7, 1)).head(1).to_dicts()[0]
    assert early["amount_reporting"] == round(early["amount"] * 1.08, 2)  # rate in force on the close date
    assert late["amount_reporting"] == round(late["amount"] * 1.12, 2)
    usd = rows.filter(pl.col("currency") == "USD")
    assert usd["amount_reporting"].equals(usd["amount"].alias("amount_reporting"))
    assert (rows["source"] == "demo").all() and (rows["source_object"] == "opportunities").all()
    legacy = rows.filter(pl.col("source_stage") == "Legacy - Technical Eval")
    assert legacy.height > 0 and (legacy["stage"] == "evaluation").all()  # inactive CRM stage, still mapped


def test_arr_rows_are_signed_by_component_and_renamed_accounts_stay_one_account(demo):
    source, crosswalk, truth = demo
    result = _run(source.read("arr_movements"), MOVES, crosswalk)
    rows = result.canonical
    assert set(rows["movement_component"]) == {"new", "expansion", "contraction", "churn", "reactivation"}
    assert (rows.filter(pl.col("movement_component").is_in(["contraction", "churn"]))["arr_delta"] < 0).all()
    renamed = truth["renamed"][0]["id"]
    ids = crosswalk.filter(pl.col("source_account_id") == renamed)["account_id"].to_list()
    raw = source.read("arr_movements").filter(pl.col("AccountId") == renamed)
    assert raw["Account.Name"].n_unique() >= 1
    assert set(rows.filter(pl.col("account_id").is_in(ids))["source_id"]) == set(raw["source_id"]) - {
        b["id"] for b in truth["bad_rows"]
    }


def _frame(**columns):
    n = len(next(iter(columns.values())))
    base = {
        "source": ["s"] * n,
        "source_id": [f"r{i}" for i in range(n)],
        "is_deleted": [False] * n,
        "source_modified_at": [None] * n,
    }
    return pl.DataFrame({**base, **columns}, schema_overrides={"source_modified_at": pl.Datetime("us", "UTC")})


SMALL = from_yaml("""
reporting_currency: USD
fx_rates: [{currency: EUR, from: 2025-01-01, rate: 1.1}]
amount_policy: {include_zero: false, include_negative: false}
objects:
  - {source: s, object: deals, domain: pipeline, filters: [{field: Type, in: [New]}],
     fields: {Acct: {to: account}, Stage: {to: stage}, Amt: {to: amount, type: currency},
              Cur: {to: currency}, Close: {to: expected_close, type: date}}}
stages: [{pipeline: default, stage: S1, to: proposal, weight: 0.5}, {pipeline: default, stage: W, to: closed_won, weight: 0.3}]
""")
CROSSWALK = pl.DataFrame({"source_account_id": ["A", "B"], "account_id": [1, 2]})


def test_filters_policy_duplicates_currency_and_tombstones():
    frame = _frame(
        Acct=["A", "A", "B", "A", "A", "B", "A"],
        Stage=["S1", "W", "S1", "S1", "S1", "S1", "S1"],
        Amt=["100", "200", "0", "-5", "50", "70", "80"],
        Cur=["EUR", "usd", "USD", "USD", "GBP", "USD", "USD"],
        Close=["2025-03-01"] * 7,
        Type=["New", "New", "New", "New", "New", "Renewal", "New"],
    )
    frame = frame.with_columns(
        source_id=pl.Series(["r0", "r1", "r2", "r3", "r4", "r5", "r5"]),
        is_deleted=pl.Series([False, False, False, False, False, False, False]),
    )
    frame = pl.concat(
        [
            frame,
            _frame(Acct=["A"], Stage=["S1"], Amt=[None], Cur=[None], Close=[None], Type=["New"]).with_columns(
                source_id=pl.lit("gone"), is_deleted=pl.lit(True)
            ),
        ]
    )
    result = transform(frame, SMALL.objects[0], SMALL, default_stage_set(), CROSSWALK)
    assert result.filtered_out == 1  # the Renewal r5 is filtered by rule before the duplicate check
    assert result.tombstones["source_id"].to_list() == ["gone"]
    assert {(q["source_id"], q["reason_code"]) for q in result.quarantine.to_dicts()} == {("r4", "unknown_currency")}
    assert result.excluded_by_policy == 2  # zero (r2) and negative (r3)
    rows = {r["source_id"]: r for r in result.canonical.to_dicts()}
    assert set(rows) == {"r0", "r1", "r5"}  # the remaining r5 is unique once the filter ran
    assert rows["r0"]["amount_reporting"] == 110.0 and rows["r0"]["weighted_amount"] == 55.0
    assert rows["r1"]["weight"] == 1.0  # closed won keeps 100% whatever the mapping said
    assert rows["r1"]["currency"] == "USD"


def test_duplicated_source_ids_are_all_quarantined():
    frame = _frame(
        Acct=["A", "B"],
        Stage=["S1", "S1"],
        Amt=["1", "2"],
        Cur=["USD", "USD"],
        Close=["2025-01-01"] * 2,
        Type=["New", "New"],
    ).with_columns(source_id=pl.lit("dup"))
    result = transform(frame, SMALL.objects[0], SMALL, default_stage_set(), CROSSWALK)
    assert result.canonical.is_empty()
    assert result.quarantine["reason_code"].to_list() == ["duplicate_source_id"] * 2


def test_a_field_that_vanished_from_the_source_is_reported():
    frame = _frame(Acct=["A"], Stage=["S1"], Amt=["1"], Cur=["USD"], Type=["New"])
    with pytest.raises(SourceError, match="no longer has the field"):
        transform(frame, SMALL.objects[0], SMALL, default_stage_set(), CROSSWALK)


def test_an_incomplete_mapping_is_refused():
    config = from_yaml("objects: [{source: s, object: d, domain: pipeline, fields: {A: {to: account}}}]")
    with pytest.raises(ValidationError, match="stage, amount, expected_close not mapped"):
        transform(_frame(A=["x"]), config.objects[0], config, default_stage_set(), CROSSWALK)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (
            "objects: [{source: s, object: d, domain: pipline, fields: {}}]",
            "objects[0].domain: 'pipline' is not one of",
        ),
        (
            "objects: [{source: s, object: d, domain: pipeline, fields: {Amount: {to: amout}}}]",
            "objects[0].fields.Amount.to: 'amout' is not a canonical field of pipeline",
        ),
        (
            "objects: [{source: s, object: d, domain: pipeline, fields: {Amount: {to: amount, type: money}}}]",
            "objects[0].fields.Amount.type: 'money' is not one of",
        ),
        ("fx_rates: [{currency: EUR, from: 2025-13-01, rate: 1.1}]", "fx_rates[0].from"),
        ("movement_components: {Upsell: growth}", "movement_components.Upsell: 'growth' is not one of"),
        ("stages: [{pipeline: p, stage: s, to: proposal, weight: 7}]", "stages[0].weight: 7 is outside 0..1"),
        ("objects: [{source: s}", "not valid YAML (line 1"),
    ],
)
def test_yaml_errors_name_the_key(text, message):
    with pytest.raises(ValidationError, match=message.replace("[", r"\[").replace("]", r"\]").replace("(", r"\(")):
        from_yaml(text)


def test_yaml_round_trips():
    from domain.mapping_config import to_yaml

    assert from_yaml(to_yaml(MAPPING)) == MAPPING


def test_a_movement_type_without_a_component_is_held_not_defaulted():
    config = from_yaml("""
objects:
  - {source: s, object: arr, domain: arr_actuals,
     fields: {Acct: {to: account}, Day: {to: effective_date, type: date}, Delta: {to: arr_delta, type: currency},
              Kind: {to: movement_component}}}
movement_components: {Upsell: expansion}
""")
    frame = _frame(
        Acct=["A", "A", "B"], Day=["2025-02-01"] * 3, Delta=["100", "50", "-20"], Kind=["Upsell", "Ramp Deal", "churn"]
    )
    result = transform(frame, config.objects[0], config, default_stage_set(), CROSSWALK)
    assert result.quarantine.select("source_id", "reason_code", "field", "value").to_dicts() == [
        {"source_id": "r1", "reason_code": "unmapped_component", "field": "Kind", "value": "Ramp Deal"}
    ]
    assert result.canonical["movement_component"].to_list() == ["expansion", "churn"]


def test_rows_held_for_want_of_a_rate_say_which_currencies_and_how_far_back_rates_must_reach():
    from dataclasses import replace

    from domain.canonical import Domain
    from domain.fx_rates import MissingRate, held_counts, held_for_rates, missing_in_words, rates_still_missing
    from domain.mapping_config import FxRate

    frame = _frame(
        Acct=["A", "A", "A", "B", "A"],
        Stage=["S1"] * 5,
        Amt=["100", "50", "60", "70", "80"],
        Cur=["EUR", "EUR", "GBP", "GBP", "USD"],
        Close=["2024-06-30", "2024-03-01", "2025-03-01", "2025-04-01", "2025-03-01"],
        Type=["New"] * 5,
    ).with_columns(source_id=pl.Series(["e1", "e2", "g1", "g2", "u1"]))
    result = transform(frame, SMALL.objects[0], SMALL, default_stage_set(), CROSSWALK)
    held = held_for_rates(Domain.PIPELINE, held_counts(result.quarantine))
    # EUR has a rate from 2025-01-01 only, so deals of 2024 wait for an earlier one; GBP has none at all.
    assert held == [
        MissingRate(Domain.PIPELINE, "EUR", 2, date(2024, 3, 1)),
        MissingRate(Domain.PIPELINE, "GBP", 2, None),
    ]
    assert missing_in_words(held) == "EUR (2 deals dated from 2024-03-01), GBP (2 deals)"
    assert rates_still_missing(held, SMALL) == held
    # A GBP rate covers the GBP rows; an EUR rate from 2024-06-01 is still too late for 2024-03-01.
    later = replace(SMALL, fx_rates=(FxRate("EUR", date(2024, 6, 1), 1.1), FxRate("GBP", date(2025, 1, 1), 1.3)))
    assert [m.currency for m in rates_still_missing(held, later)] == ["EUR"]
    early = replace(later, fx_rates=(FxRate("EUR", date(2024, 1, 1), 1.1), FxRate("GBP", date(2025, 1, 1), 1.3)))
    assert rates_still_missing(held, early) == []
    # Switching the reporting currency to EUR covers EUR itself.
    assert [m.currency for m in rates_still_missing(held, replace(SMALL, reporting_currency="EUR"))] == ["GBP"]


def test_a_read_transformed_in_slices_gives_exactly_what_one_pass_gives(monkeypatch):
    """Large reads are transformed in slices to bound memory: same rows out, and an ID twice in the read is held
    even when its two rows fall in different slices."""
    import domain.transform as transform_module

    n = 53
    frame = _frame(
        Acct=[["A", "B", "Z"][i % 3] for i in range(n)],  # every third account is unreconciled
        Stage=[["S1", "W", "??"][i % 5 % 3] for i in range(n)],
        Amt=[str(10 * i) if i % 11 else "" for i in range(n)],
        Cur=[["USD", "EUR", "GBP"][i % 7 % 3] for i in range(n)],
        Close=["2025-03-01"] * n,
        Type=["New" if i % 13 else "Renewal" for i in range(n)],
    ).with_columns(
        source_id=pl.Series([f"r{i}" if i not in (40,) else "r2" for i in range(n)]),  # r2 twice, 38 rows apart
        is_deleted=pl.Series([i % 17 == 0 for i in range(n)]),
    )
    whole = transform(frame, SMALL.objects[0], SMALL, default_stage_set(), CROSSWALK)
    monkeypatch.setattr(transform_module, "CHUNK_ROWS", 7)
    sliced = transform(frame, SMALL.objects[0], SMALL, default_stage_set(), CROSSWALK)
    assert sliced.canonical.equals(whole.canonical)
    assert sliced.quarantine.equals(whole.quarantine)
    assert sliced.tombstones.equals(whole.tombstones)
    assert (sliced.filtered_out, sliced.excluded_by_policy) == (whole.filtered_out, whole.excluded_by_policy)
    assert set(whole.quarantine.filter(pl.col("reason_code") == "duplicate_source_id")["source_id"]) == {"r2"}
    assert whole.canonical.height > 5 and whole.quarantine.height > 10
