"""The running totals a run reads its before-figures from equal a full recount of the live rows after random
changes, deletions, additions, full and incremental runs, and a rollback (issue 20), on SQLite and PostgreSQL."""

import random

import polars as pl

from domain.canonical import Domain
from domain.roles import system_access
from services.sync import run_sync
from services.sync.rollback import rollback_to
from storage.canonical_totals import CanonicalTotals
from storage.db import session_scope

STAMP = "2026-12-0{}T09:00:00.000+0000"


def _kept_and_recounted(engine, ws) -> dict[Domain, tuple[pl.DataFrame | None, pl.DataFrame]]:
    with session_scope(engine) as session:
        totals = CanonicalTotals(session)
        return {d: (totals.kept(ws, d), totals.group_sums(ws, d)) for d in Domain}


def _same(kept: pl.DataFrame | None, recounted: pl.DataFrame) -> bool:
    assert kept is not None, "totals are kept after a run"
    return kept.sort("group_key").equals(recounted.filter(pl.col("row_count") > 0).sort("group_key"))


def _change_at_random(folder, rng: random.Random, round_: int) -> None:
    """As a CRM would: new amounts, moved stages, deleted and new records, each with a newer modification time."""
    opportunities = pl.read_csv(folder / "opportunities.csv", infer_schema=False)
    stages = opportunities["StageName"].unique().sort().to_list()
    n = opportunities.height
    amount = {i: f"{rng.randint(1, 900_000)}.{rng.randint(0, 99):02d}" for i in rng.sample(range(n), n // 10)}
    stage = {i: rng.choice(stages) for i in rng.sample(range(n), n // 20)}
    deleted = set(rng.sample(range(n), n // 50))
    index = pl.int_range(pl.len())
    touched = index.is_in(list(amount) + list(stage) + list(deleted))
    opportunities = opportunities.with_columns(
        index.replace_strict(amount, default=None).fill_null(pl.col("Amount")).alias("Amount"),
        index.replace_strict(stage, default=None).fill_null(pl.col("StageName")).alias("StageName"),
        pl.when(index.is_in(list(deleted))).then(pl.lit("true")).otherwise(pl.col("IsDeleted")).alias("IsDeleted"),
        pl.when(touched)
        .then(pl.lit(STAMP.format(round_)))
        .otherwise(pl.col("LastModifiedDate"))
        .alias("LastModifiedDate"),
    )
    added = opportunities.sample(5, seed=round_).with_columns(
        (pl.col("Id").str.slice(0, 10) + pl.lit(f"NEW{round_}") + pl.col("Id").str.slice(13)).alias("Id"),
        pl.lit("false").alias("IsDeleted"),
        pl.lit(STAMP.format(round_)).alias("LastModifiedDate"),
    )
    pl.concat([opportunities, added]).write_csv(folder / "opportunities.csv")

    movements = pl.read_csv(folder / "arr_movements.csv", infer_schema=False)
    m = movements.height
    scale = {i: rng.choice(["1.5", "0.5", "2"]) for i in rng.sample(range(m), m // 10)}
    index = pl.int_range(pl.len())
    factor = index.replace_strict(scale, default="1").cast(pl.Float64)
    movements.with_columns(
        (pl.col("ARRChange").cast(pl.Float64) * factor).round(2).cast(pl.String).alias("ARRChange"),
        pl.when(index.is_in(list(scale)))
        .then(pl.lit(STAMP.format(round_)))
        .otherwise(pl.col("LastModifiedDate"))
        .alias("LastModifiedDate"),
    ).write_csv(folder / "arr_movements.csv")


def test_running_totals_equal_a_full_recount_after_random_changes_and_a_rollback(workspace):
    settings, engine, ws, folder = workspace
    rng = random.Random(20)
    first = run_sync(engine, settings, ws, trigger="test", access=system_access("t"))
    for domain, (kept, recounted) in _kept_and_recounted(engine, ws).items():
        assert _same(kept, recounted), domain
    for round_ in range(1, 5):
        _change_at_random(folder, rng, round_)
        summary = run_sync(engine, settings, ws, trigger="test", access=system_access("t"), full=round_ % 2 == 0)
        assert summary.domains[Domain.PIPELINE].changed > 0
        for domain, (kept, recounted) in _kept_and_recounted(engine, ws).items():
            assert _same(kept, recounted), (round_, domain)
    # The next run's before-figures are the figures this state really has.
    dry = run_sync(engine, settings, ws, trigger="test", access=system_access("t"), dry_run=True)
    assert dry.domains[Domain.PIPELINE].totals_before == summary.domains[Domain.PIPELINE].totals_after
    # A rollback rewrites rows wholesale: the totals are forgotten and counted again from the rows.
    rollback_to(engine, ws, first.run_id, access=system_access("t"))
    assert all(kept is None for kept, _ in _kept_and_recounted(engine, ws).values())
    again = run_sync(engine, settings, ws, trigger="test", access=system_access("t"), dry_run=True)
    assert again.domains[Domain.PIPELINE].totals_before == first.domains[Domain.PIPELINE].totals_after
    _change_at_random(folder, rng, 5)
    run_sync(engine, settings, ws, trigger="test", access=system_access("t"))  # the next write starts them again
    for domain, (kept, recounted) in _kept_and_recounted(engine, ws).items():
        assert _same(kept, recounted), domain
