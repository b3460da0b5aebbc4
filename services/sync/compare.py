"""Compare what a run read with what is stored: which rows to add or replace, which records to tombstone.

A pure function over frames (stored rows in, plan out): no database, no clock, unit-tested alone. Set work is
joins over ID columns, not Python sets, so a million-row full run stays columnar.
"""

from __future__ import annotations

from dataclasses import dataclass

import polars as pl

from domain.canonical import Domain

# Columns whose change makes a canonical row "changed" (provenance and bookkeeping excluded).
VALUE_COLUMNS = {
    Domain.PIPELINE: [
        "name",
        "account_id",
        "stage",
        "source_stage",
        "pipeline_id",
        "weight",
        "amount",
        "currency",
        "amount_reporting",
        "weighted_amount",
        "expected_close",
        "owner",
        "segment",
        "opportunity_type",
        "probability_override",
        "source",
        "source_object",
    ],
    Domain.ARR_ACTUALS: [
        "account_id",
        "effective_date",
        "arr_delta",
        "movement_component",
        "currency",
        "arr_delta_reporting",
        "source",
        "source_object",
    ],
}


def stored_columns(domain: Domain) -> list[str]:
    """The stored columns a comparison reads."""
    return list(
        dict.fromkeys(["source_id", "is_deleted", "account_id", "source", "source_object", *VALUE_COLUMNS[domain]])
    )


@dataclass(frozen=True)
class ChangePlan:
    """What a run writes for one domain, and what it counted on the way."""

    upserts: pl.DataFrame  # new and changed rows, in the canonical shape
    replaced_ids: list[str]  # source IDs already stored whose current version the upserts replace
    tombstone_ids: list[str]  # live source IDs deleted in the source (or gone from a full read)
    leaving: pl.DataFrame  # the stored live rows those replace or remove (what the figures lose)
    added: int
    changed: int
    unchanged: int


def plan_changes(
    domain: Domain,
    incoming: pl.DataFrame,
    stored: pl.DataFrame,
    tombstones: list[str],
    *,
    full: bool,
    quarantined_ids: pl.Series,
    priority_of: dict[tuple[str, str], int] | None = None,
    account_id: int | None = None,
) -> ChangePlan:
    """The plan for `incoming` (with a `_priority` column) against `stored` (the columns of `stored_columns`).

    `full`: the read is the whole truth, so live rows it no longer holds are gone (except rows whose new version
    is quarantined: the last good version stays until it is fixed). `priority_of` ((source, object) ->
    priority) is given for scoped runs, which read only some routes: a lower-priority source never overwrites a
    record a higher-priority one supplied. `account_id`: a deletion seen while re-reading one account tombstones
    only that account's records.
    """
    columns = VALUE_COLUMNS[domain]
    tombstone_frame = pl.DataFrame({"source_id": tombstones}, schema={"source_id": pl.String})
    if account_id is not None:
        tombstone_frame = tombstone_frame.join(
            stored.filter(pl.col("account_id") == account_id).select("source_id"), on="source_id", how="semi"
        )
    if priority_of:
        priorities = pl.DataFrame(
            [(src, obj, p) for (src, obj), p in priority_of.items()],
            orient="row",
            schema={"source": pl.String, "source_object": pl.String, "_stored_priority": pl.Int64},
        )
        held = (
            stored.filter(~pl.col("is_deleted"))
            .join(priorities, on=["source", "source_object"], how="left")
            .select("source_id", "_stored_priority")
        )
        incoming = (
            incoming.join(held, on="source_id", how="left")
            .filter(pl.col("_stored_priority").is_null() | (pl.col("_priority") <= pl.col("_stored_priority")))
            .drop("_stored_priority")
        )
    incoming = incoming.drop("_priority")
    incoming_hash = incoming.select("source_id", pl.struct(columns).hash().alias("_h"))
    stored_hash = stored.select("source_id", "is_deleted", pl.struct(columns).hash().alias("_h_old"))
    compared = incoming_hash.join(stored_hash, on="source_id", how="left")
    is_new = pl.col("_h_old").is_null()
    is_changed = ~is_new & ((pl.col("_h") != pl.col("_h_old")) | pl.col("is_deleted"))
    added, changed = compared.select(is_new.sum().alias("new"), is_changed.sum().alias("changed")).row(0)
    writing = compared.filter(is_new | is_changed)
    upserts = (
        incoming.join(writing.select("source_id"), on="source_id", how="semi")
        if writing.height < compared.height
        else incoming
    )
    replaced_ids = writing.filter(~is_new)["source_id"].to_list()
    live = stored.filter(~pl.col("is_deleted")).select("source_id")
    gone = tombstone_frame
    if full:
        vanished = live.join(incoming.select("source_id"), on="source_id", how="anti").filter(
            ~pl.col("source_id").is_in(quarantined_ids.implode())
        )
        gone = pl.concat([gone, vanished])
    tombstone_ids = sorted(gone.join(live, on="source_id", how="semi")["source_id"].unique().to_list())
    leaving_ids = pl.Series("source_id", tombstone_ids + replaced_ids, pl.String)
    leaving = stored.filter(~pl.col("is_deleted") & pl.col("source_id").is_in(leaving_ids.implode()))
    return ChangePlan(upserts, replaced_ids, tombstone_ids, leaving, added, changed, compared.height - added - changed)
