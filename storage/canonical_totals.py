"""Running totals of the live canonical rows, per stage (pipeline) or movement component (ARR).

A run's before-figures are sums over every live row; summing a million-row table on each incremental run makes its
cost follow the size of the workspace rather than its changes. So every write adds what arrives and takes away
what leaves (both O(changes)) in the same transaction as the rows, and a run reads a handful of total rows. The
totals are counted afresh from the rows when missing: the first run after the migration, and after a rollback
(which rewrites rows wholesale and simply forgets them). Money stays in integer thousandths, so a delta is exact.
"""

from __future__ import annotations

from typing import Any

import polars as pl
from sqlalchemy import BigInteger, cast, delete, func, insert, literal, select
from sqlmodel import Session, SQLModel

from domain.canonical import Domain
from domain.money import from_thousandths
from storage.stored_money import to_stored
from storage.tables import ArrMovement, CanonicalTotal, Opportunity, table_of

# The table each domain's canonical rows live in (storage/canonical_rows.py uses it too).
CANONICAL_MODEL: dict[Domain, type[SQLModel]] = {Domain.PIPELINE: Opportunity, Domain.ARR_ACTUALS: ArrMovement}
# Per domain: the column rows are grouped by, the weighted money column (pipeline only) and the amount column.
_COLUMNS = {
    Domain.PIPELINE: ("stage", "weighted_amount", "amount_reporting"),
    Domain.ARR_ACTUALS: ("movement_component", None, "arr_delta_reporting"),
}
COUNTED = "*"  # a total row that only says 'counted' (no stage or component is called '*'): an empty domain
_SCHEMA = {"group_key": pl.String, "weighted_amount": pl.Int64, "amount": pl.Int64, "row_count": pl.Int64}


def _sum(column: Any) -> Any:
    return cast(func.coalesce(func.sum(column), 0), BigInteger)


def sums_statement(domain: Domain, rows: Any) -> Any:
    """SELECT of the live `rows` (a canonical table or anything with its columns, such as the rows a DELETE
    returned) summed per group, in thousandths."""
    key, weighted, amount = _COLUMNS[domain]
    return (
        select(
            func.coalesce(rows.c[key], "").label("group_key"),
            _sum(rows.c[weighted]).label("weighted_amount") if weighted else literal(0).label("weighted_amount"),
            _sum(rows.c[amount]).label("amount"),
            cast(func.count(), BigInteger).label("row_count"),
        )
        .where(rows.c.is_deleted.is_(False))
        .group_by(rows.c[key])
    )


class CanonicalTotals:
    """One workspace's running totals in the caller's unit of work."""

    def __init__(self, session: Session) -> None:
        self.session = session

    def group_sums(self, workspace_id: int, domain: Domain, *wheres) -> pl.DataFrame:
        """The live rows (optionally narrowed by `wheres`) summed in SQL per group, in integer thousandths."""
        table = table_of(CANONICAL_MODEL[domain])
        return self.sums_of(sums_statement(domain, table).where(table.c.workspace_id == workspace_id, *wheres))

    def sums_of(self, statement: Any) -> pl.DataFrame:
        """The rows of a `sums_statement` as a totals frame."""
        rows = self.session.execute(statement).all()
        return pl.DataFrame([tuple(r) for r in rows], schema=_SCHEMA, orient="row")

    def arriving(self, domain: Domain, upserts: pl.DataFrame) -> pl.DataFrame:
        """New row versions summed per group, in thousandths (converted exactly as the rows are stored)."""
        key, weighted, amount = _COLUMNS[domain]
        if upserts.is_empty():
            return pl.DataFrame(schema=_SCHEMA)
        stored = to_stored(upserts.select([c for c in (key, weighted, amount) if c]))
        return (
            stored.group_by(pl.col(key).fill_null("").alias("group_key"))
            .agg(
                (pl.col(weighted).sum() if weighted else pl.lit(0)).cast(pl.Int64).alias("weighted_amount"),
                pl.col(amount).sum().cast(pl.Int64).alias("amount"),
                pl.len().cast(pl.Int64).alias("row_count"),
            )
            .select(list(_SCHEMA))
        )

    def kept(self, workspace_id: int, domain: Domain) -> pl.DataFrame | None:
        """The totals as kept, or None when they must be counted again."""
        table = table_of(CanonicalTotal)
        rows = self.session.execute(
            select(table.c.group_key, table.c.weighted_amount, table.c.amount, table.c.row_count).where(
                table.c.workspace_id == workspace_id, table.c.domain == domain.value
            )
        ).all()
        if not rows:
            return None
        frame = pl.DataFrame([tuple(r) for r in rows], schema=_SCHEMA, orient="row")
        return frame.filter(pl.col("group_key") != COUNTED)

    def _store(self, workspace_id: int, domain: Domain, totals: pl.DataFrame) -> None:
        table = table_of(CanonicalTotal)
        self.session.execute(delete(table).where(table.c.workspace_id == workspace_id, table.c.domain == domain.value))
        rows = totals.filter(pl.col("row_count") != 0).to_dicts() + [
            {"group_key": COUNTED, "weighted_amount": 0, "amount": 0, "row_count": 0}
        ]
        self.session.execute(insert(table), [{**r, "workspace_id": workspace_id, "domain": domain.value} for r in rows])

    def totals(self, workspace_id: int, domain: Domain) -> pl.DataFrame:
        """The live rows' totals per group (thousandths): the kept ones, or counted now and kept."""
        kept = self.kept(workspace_id, domain)
        if kept is not None:
            return kept
        counted = self.group_sums(workspace_id, domain)
        self._store(workspace_id, domain, counted)
        return counted

    def add(self, workspace_id: int, domain: Domain, arriving: pl.DataFrame, leaving: pl.DataFrame | None) -> None:
        """Totals += arriving - leaving. Called before the rows change: missing totals are counted from the rows
        as they still are, so the first write after a migration or a rollback starts them."""
        leaving = pl.DataFrame(schema=_SCHEMA) if leaving is None else leaving
        kept = self.kept(workspace_id, domain)
        if kept is None:
            kept = self.group_sums(workspace_id, domain)
        elif arriving.is_empty() and leaving.is_empty():
            return
        signed = pl.concat(
            [kept, arriving, leaving.with_columns(pl.col("weighted_amount", "amount", "row_count") * -1)]
        )
        self._store(workspace_id, domain, signed.group_by("group_key").agg(pl.all().sum()))

    def forget(self, workspace_id: int) -> None:
        """Drop the workspace's totals (after a rollback): the next read counts them from the rows."""
        table = table_of(CanonicalTotal)
        self.session.execute(delete(table).where(table.c.workspace_id == workspace_id))


def as_figure_sums(domain: Domain, totals: pl.DataFrame) -> pl.DataFrame:
    """Totals in the shape `domain.figures` reads: by stage (weighted_amount, amount_reporting) for pipeline, by
    movement component (arr_delta_reporting) for ARR, with `rows`; money as amounts."""
    key, weighted, amount = _COLUMNS[domain]
    return totals.select(
        pl.col("group_key").alias(key),
        *([from_thousandths(pl.col("weighted_amount")).alias(weighted)] if weighted else []),
        from_thousandths(pl.col("amount")).alias(amount),
        pl.col("row_count").alias("rows"),
    )
