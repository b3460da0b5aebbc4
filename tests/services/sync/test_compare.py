"""The sync's comparison alone: stored rows in, plan out, no database."""

import polars as pl

from domain.canonical import Domain
from services.sync.compare import VALUE_COLUMNS, plan_changes

ARR_SCHEMA = {
    "source_id": pl.String,
    "is_deleted": pl.Boolean,
    "account_id": pl.Int64,
    "source": pl.String,
    "source_object": pl.String,
    "effective_date": pl.Date,
    "arr_delta": pl.Float64,
    "movement_component": pl.String,
    "currency": pl.String,
    "arr_delta_reporting": pl.Float64,
}


def _rows(rows):
    frame = pl.DataFrame(
        [
            {
                "source": "crm",
                "source_object": "m",
                "effective_date": None,
                "currency": "USD",
                "movement_component": "new",
                "account_id": 1,
                "is_deleted": False,
                **r,
            }
            for r in rows
        ],
        schema=ARR_SCHEMA,
    )
    return frame.with_columns(pl.col("arr_delta").alias("arr_delta_reporting"))


def _incoming(rows, priority=1):
    return _rows(rows).drop("is_deleted").with_columns(pl.lit(priority).alias("_priority"))


NONE = pl.Series("source_id", [], pl.String)


def test_new_changed_unchanged_and_deleted_records_are_told_apart():
    stored = _rows(
        [
            {"source_id": "a", "arr_delta": 10.0},
            {"source_id": "b", "arr_delta": 20.0},
            {"source_id": "c", "arr_delta": 30.0},
        ]
    )
    incoming = _incoming(
        [
            {"source_id": "a", "arr_delta": 10.0},
            {"source_id": "b", "arr_delta": 25.0},
            {"source_id": "d", "arr_delta": 40.0},
        ]
    )
    plan = plan_changes(Domain.ARR_ACTUALS, incoming, stored, ["c"], full=False, quarantined_ids=NONE)
    assert (plan.added, plan.changed, plan.unchanged) == (1, 1, 1)
    assert sorted(plan.upserts["source_id"]) == ["b", "d"] and plan.replaced_ids == ["b"]
    assert plan.tombstone_ids == ["c"]
    # What the figures lose: the replaced and the removed stored versions.
    assert sorted(plan.leaving["source_id"]) == ["b", "c"]
    assert set(VALUE_COLUMNS[Domain.ARR_ACTUALS]) <= set(plan.upserts.columns)


def test_a_full_read_tombstones_what_it_no_longer_holds_except_rows_now_quarantined():
    stored = _rows([{"source_id": s, "arr_delta": 1.0} for s in ("a", "b", "c")])
    incoming = _incoming([{"source_id": "a", "arr_delta": 1.0}])
    quarantined = pl.Series("source_id", ["b"], pl.String)
    plan = plan_changes(Domain.ARR_ACTUALS, incoming, stored, [], full=True, quarantined_ids=quarantined)
    assert plan.tombstone_ids == ["c"] and plan.unchanged == 1


def test_a_scoped_run_never_lets_a_lower_priority_source_overwrite_a_higher_one():
    stored = _rows([{"source_id": "a", "arr_delta": 1.0, "source": "primary"}])
    incoming = _incoming([{"source_id": "a", "arr_delta": 99.0, "source": "secondary"}], priority=2)
    plan = plan_changes(
        Domain.ARR_ACTUALS,
        incoming,
        stored,
        [],
        full=False,
        quarantined_ids=NONE,
        priority_of={("primary", "m"): 1, ("secondary", "m"): 2},
    )
    assert plan.upserts.is_empty() and plan.added == plan.changed == 0


def test_an_account_run_tombstones_only_that_accounts_records():
    stored = _rows(
        [{"source_id": "a", "arr_delta": 1.0, "account_id": 1}, {"source_id": "b", "arr_delta": 1.0, "account_id": 2}]
    )
    plan = plan_changes(
        Domain.ARR_ACTUALS, _incoming([]), stored, ["a", "b"], full=False, quarantined_ids=NONE, account_id=1
    )
    assert plan.tombstone_ids == ["a"]


def test_a_deleted_record_that_comes_back_is_changed_not_new():
    stored = _rows([{"source_id": "a", "arr_delta": 1.0, "is_deleted": True}])
    plan = plan_changes(
        Domain.ARR_ACTUALS,
        _incoming([{"source_id": "a", "arr_delta": 1.0}]),
        stored,
        [],
        full=False,
        quarantined_ids=NONE,
    )
    assert (plan.added, plan.changed) == (0, 1) and plan.replaced_ids == ["a"]
