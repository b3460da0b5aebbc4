"""Canonical rows as a sync reads and writes them: the stored rows a comparison needs, the figures over the live
rows, and the writes of a run (every replaced version archived, for rollback), inside the caller's transaction."""

from __future__ import annotations

import json
from collections.abc import Iterator

import polars as pl
from sqlalchemy import BigInteger, String, delete, func, insert, literal, select, update
from sqlalchemy.dialects.postgresql import ARRAY
from sqlmodel import Session, SQLModel

from domain.canonical import Domain
from domain.errors import BrokenReference, NotFound
from storage.bulk_insert import bulk_insert
from storage.canonical_totals import CANONICAL_MODEL, CanonicalTotals, as_figure_sums, sums_statement
from storage.frames import read_frame, table_schema
from storage.tables import ArrMovementHistory, CanonicalAccount, OpportunityHistory, SyncRun, table_of

CANONICAL_TABLE = {Domain.PIPELINE: "opportunities", Domain.ARR_ACTUALS: "arr_movements"}
_MODEL = CANONICAL_MODEL
_HISTORY: dict[Domain, type[SQLModel]] = {Domain.PIPELINE: OpportunityHistory, Domain.ARR_ACTUALS: ArrMovementHistory}


def _among(column, ids: list[str] | list[int], dialect: str) -> Iterator:
    """WHERE-clauses that together select rows whose `column` is in `ids`, however many there are.

    SQLite and PostgreSQL get ONE bound parameter (a JSON array / a text or bigint array), so ten thousand IDs
    cost no statement compilation; other databases get IN-lists of 5,000.
    """
    if not ids:
        return
    if dialect == "sqlite":
        yield column.in_(select(func.json_each(json.dumps(ids)).table_valued("value").c.value))
    elif dialect == "postgresql":
        # IN (SELECT unnest(…)) and not = ANY(…): the planner walks the array and probes the unique index per ID
        # (50 ms for 10,000 IDs in a million rows), where = ANY chose a bitmap or sequential scan (0.3–0.4 s).
        array = literal(ids, type_=ARRAY(BigInteger if isinstance(ids[0], int) else String))
        yield column.in_(select(func.unnest(array)))
    else:
        for start in range(0, len(ids), 5000):
            yield column.in_(ids[start : start + 5000])


class CanonicalRows:
    """A workspace's canonical rows in one unit of work."""

    def __init__(self, session: Session) -> None:
        self.session = session
        self.totals = CanonicalTotals(session)

    def stored(
        self,
        workspace_id: int,
        domain: Domain,
        source_ids: list[str] | None = None,
        *,
        columns: list[str] | None = None,
    ) -> pl.DataFrame:
        """Current canonical rows of a domain: all of them, or only those with the given record IDs.

        `columns` reads only those columns (a comparison needs the values, not the bookkeeping).
        """
        table = table_of(_MODEL[domain])
        full_schema = table_schema(CANONICAL_TABLE[domain])
        names = list(dict.fromkeys(columns)) if columns else list(full_schema)
        schema = {name: full_schema[name] for name in names}
        chosen = [table.c[name] for name in names]
        connection = self.session.connection()
        parts = []
        if source_ids is None:
            parts.append(read_frame(select(*chosen).where(table.c.workspace_id == workspace_id), connection, schema))
        for among in _among(table.c.source_id, source_ids or [], connection.dialect.name):
            statement = select(*chosen).where(table.c.workspace_id == workspace_id, among)
            parts.append(read_frame(statement, connection, schema))
        return pl.concat(parts, how="vertical_relaxed") if parts else pl.DataFrame(schema=schema)

    def live_ids(self, workspace_id: int, domain: Domain) -> set[str]:
        table = table_of(_MODEL[domain])
        return set(
            self.session.execute(
                select(table.c.source_id).where(table.c.workspace_id == workspace_id, table.c.is_deleted.is_(False))
            ).scalars()
        )

    def sums(self, workspace_id: int, domain: Domain) -> pl.DataFrame:
        """The live rows summed, in the shape `domain.figures` reads: by stage (weighted_amount, amount_reporting)
        for pipeline, by movement component (arr_delta_reporting) for ARR; `rows` counts them. Read from the
        running totals (storage/canonical_totals.py), counted from the rows only when they are missing."""
        return as_figure_sums(domain, self.totals.totals(workspace_id, domain))

    def _archive(self, workspace_id: int, domain: Domain, run_id: int, source_ids: list[str]) -> None:
        """Copy the current versions of these records into history, closed by `run_id` (O(changes))."""
        table = table_of(_MODEL[domain])
        history = table_of(_HISTORY[domain])
        columns = [c.name for c in table.columns]
        for among in _among(table.c.source_id, source_ids, self.session.connection().dialect.name):
            chosen = select(*[table.c[c] for c in columns], literal(run_id).label("closed_by_run")).where(
                table.c.workspace_id == workspace_id, among
            )
            self.session.execute(insert(history).from_select([*columns, "closed_by_run"], chosen))

    def apply(
        self,
        workspace_id: int,
        domain: Domain,
        run_id: int,
        *,
        upserts: pl.DataFrame,
        replaced_ids: list[str],
        tombstone_ids: list[str],
    ) -> None:
        """Archive the versions being replaced, then replace changed rows, add new ones and mark deleted ones.

        `replaced_ids` are the stored records the upserts supersede; new records need no archive or delete,
        which is what keeps a first full load of a million rows from touching the history at all.
        """
        table = table_of(_MODEL[domain])
        ids = replaced_ids
        dialect = self.session.connection().dialect.name
        self._check_references(workspace_id, run_id, upserts)
        self.totals.totals(workspace_id, domain)  # counted now if missing, from the rows as they still are
        # What leaves the live rows (replaced or removed), summed as it goes: the totals move by the changes.
        leaving = [
            self.totals.group_sums(workspace_id, domain, among)
            for among in _among(
                table.c.source_id, tombstone_ids if dialect == "postgresql" else ids + tombstone_ids, dialect
            )
        ]
        if dialect == "postgresql":
            # One statement archives, deletes and sums the replaced rows: one walk of the index instead of three.
            leaving += [
                self._archive_delete_and_sum(workspace_id, domain, run_id, among)
                for among in _among(table.c.source_id, ids, dialect)
            ]
            self._archive(workspace_id, domain, run_id, tombstone_ids)
        else:
            self._archive(workspace_id, domain, run_id, ids + tombstone_ids)
            for among in _among(table.c.source_id, ids, dialect):
                self.session.execute(delete(table).where(table.c.workspace_id == workspace_id, among))
        self.totals.add(
            workspace_id,
            domain,
            self.totals.arriving(domain, upserts),
            pl.concat(leaving) if leaving else None,
        )
        if upserts.height:
            columns = [c.name for c in table.columns if c.name != "id"]
            rows = upserts.with_columns(
                pl.lit(workspace_id).alias("workspace_id"),
                pl.lit(run_id).alias("run_id"),
                pl.lit(False).alias("is_deleted"),
            ).select(columns)
            bulk_insert(self.session, table, rows)
        for among in _among(table.c.source_id, tombstone_ids, dialect):
            self.session.execute(
                update(table).where(table.c.workspace_id == workspace_id, among).values(is_deleted=True, run_id=run_id)
            )

    def _archive_delete_and_sum(self, workspace_id: int, domain: Domain, run_id: int, among) -> pl.DataFrame:
        """PostgreSQL: delete the chosen rows, archive what was deleted (closed by `run_id`) and return the live
        ones' sums per group, in one statement (data-modifying CTEs)."""
        table = table_of(_MODEL[domain])
        history = table_of(_HISTORY[domain])
        columns = [c.name for c in table.columns]
        deleted = delete(table).where(table.c.workspace_id == workspace_id, among).returning(*table.c).cte("deleted")
        archived = insert(history).from_select(
            [*columns, "closed_by_run"], select(*[deleted.c[c] for c in columns], literal(run_id))
        )
        return self.totals.sums_of(sums_statement(domain, deleted).add_cte(archived.cte("archived")))

    def _check_references(self, workspace_id: int, run_id: int, upserts: pl.DataFrame) -> None:
        """The run and every account the rows point to belong to this workspace: once per run, as a set, in
        place of per-row foreign keys (migration 0020). Raises BrokenReference before anything is written."""
        run = self.session.get(SyncRun, run_id)
        if run is None or run.workspace_id != workspace_id:
            raise BrokenReference(f"Sync run #{run_id} is not a run of this workspace; nothing was written.")
        if "account_id" not in upserts.columns:
            return
        wanted = upserts["account_id"].drop_nulls().unique().cast(pl.Int64).to_list()
        found: set[int] = set()
        accounts = table_of(CanonicalAccount)
        for among in _among(accounts.c.id, wanted, self.session.connection().dialect.name):
            statement = select(accounts.c.id).where(accounts.c.workspace_id == workspace_id, among)
            found.update(self.session.execute(statement).scalars())
        missing = sorted(set(wanted) - found)
        if missing:
            raise BrokenReference(
                f"{len(missing):,} canonical account(s) the run's rows point to are not in this workspace "
                f"(first: #{missing[0]}); nothing was written.",
                hint="Reconcile the source's accounts again, then run the sync.",
            )

    def restore_as_of(self, workspace_id: int, run_id: int, rollback_run_id: int) -> dict[Domain, int]:
        """Make the canonical tables exactly what they were when run `run_id` finished.

        The version of a record at run R is the history row with run_id <= R < closed_by_run, else the current
        row if it was last written at or before R; records first written after R disappear. Everything the
        rollback replaces is archived too, so a rollback can itself be rolled back.
        """
        run = self.session.get(SyncRun, run_id)
        if run is None or run.workspace_id != workspace_id:
            raise NotFound(f"Run #{run_id} does not exist in this workspace.")
        self.totals.forget(workspace_id)  # rows change wholesale here: the next run counts them again
        restored = {}
        for domain, name in CANONICAL_TABLE.items():
            table = table_of(_MODEL[domain])
            history = table_of(_HISTORY[domain])
            schema = table_schema(name)
            connection = self.session.connection()
            current = read_frame(select(table).where(table.c.workspace_id == workspace_id), connection, schema)
            earlier = read_frame(
                select(*[history.c[c] for c in schema]).where(
                    history.c.workspace_id == workspace_id, history.c.run_id <= run_id, history.c.closed_by_run > run_id
                ),
                connection,
                schema,
            )
            keep = current.filter(
                (pl.col("run_id") <= run_id) & ~pl.col("source_id").is_in(earlier["source_id"].implode())
            )
            replaced = current.filter(~pl.col("id").is_in(keep["id"].implode()))["source_id"].to_list()
            self._archive(workspace_id, domain, rollback_run_id, replaced)
            for among in _among(table.c.source_id, replaced, connection.dialect.name):
                self.session.execute(delete(table).where(table.c.workspace_id == workspace_id, among))
            bulk_insert(self.session, table, earlier)
            restored[domain] = keep.height + earlier.height
        return restored
