"""The stages each CRM deal entered, as the sync read them: written in the run's unit of work, read whole for
the stage calibration (domain/stage_calibration.py)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import polars as pl
from sqlalchemy import Engine, delete, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlmodel import Session

from domain.canonical import TEXT_LIMITS
from domain.storable_text import has_nul, too_long
from storage.bulk_insert import bulk_insert
from storage.frames import read_frame
from storage.tables import StageHistoryEntry, StageHistoryMark, table_of

HISTORY_SCHEMA: dict[str, pl.DataType] = {
    "source": pl.String(),
    "source_id": pl.String(),
    "stage": pl.String(),
    "entered_at": pl.Datetime("us", "UTC"),
}
_BATCH = 5_000


class StageHistory:
    """One workspace's stored stage history, in the caller's unit of work."""

    def __init__(self, session: Session) -> None:
        self.session = session

    def add(self, workspace_id: int, source: str, entries: pl.DataFrame, run_id: int | None, *, whole: bool) -> int:
        """Store what one read of `source` gave (source_id, stage, entered_at). `whole`: the read covered every
        deal, so it replaces what was stored (a deal deleted in the CRM takes its history with it); otherwise it
        adds the entries not stored yet (a re-read entry is the same entry). Returns the entries read."""
        table = table_of(StageHistoryEntry)
        if whole:
            self.session.execute(delete(table).where(table.c.workspace_id == workspace_id, table.c.source == source))
        # An entry no column can hold (a NUL byte, a stage or ID past its length) could never map onto a canonical
        # stage either: it is left out rather than failing the run's whole write on PostgreSQL.
        storable = ~has_nul(pl.col("stage")) & ~has_nul(pl.col("source_id"))
        storable &= ~too_long(pl.col("stage"), TEXT_LIMITS["stage"]) & ~too_long(
            pl.col("source_id"), TEXT_LIMITS["source_id"]
        )
        frame = (
            entries.filter(storable)
            .unique(["source_id", "stage", "entered_at"])
            .with_columns(
                pl.lit(workspace_id).alias("workspace_id"),
                pl.lit(source).alias("source"),
                pl.lit(run_id, dtype=pl.Int64).alias("run_id"),
            )
            .select("workspace_id", "source", "source_id", "stage", "entered_at", "run_id")
        )
        self._move_mark(workspace_id, source, frame["entered_at"].max(), whole=whole)  # type: ignore[arg-type]
        if whole:
            # Nothing of this source is stored any more, and the entries are unique: the bulk path, as a first read
            # of a million deals' history is millions of entries (row-by-row it took a minute and a half).
            bulk_insert(self.session, table, frame)
            return frame.height
        rows = frame.to_dicts()
        dialect = self.session.get_bind().dialect.name
        insert: Any = postgresql.insert if dialect == "postgresql" else sqlite.insert
        for first in range(0, len(rows), _BATCH):
            statement = insert(table).on_conflict_do_nothing(
                index_elements=["workspace_id", "source", "source_id", "stage", "entered_at"]
            )
            self.session.execute(statement, rows[first : first + _BATCH])
        return len(rows)

    def newest(self, workspace_id: int, source: str) -> datetime | None:
        """When the newest stored entry of `source` was made (None: nothing stored yet)."""
        mark = self.session.get(StageHistoryMark, (workspace_id, source))
        return None if mark is None else _aware(mark.newest_entered_at)

    def _move_mark(self, workspace_id: int, source: str, newest: datetime | None, *, whole: bool) -> None:
        """Keep the source's mark at its newest stored entry: a whole read sets it (or clears it, when it read
        nothing), a partial one only moves it on."""
        mark = self.session.get(StageHistoryMark, (workspace_id, source))
        if newest is None:
            if whole and mark is not None:
                self.session.delete(mark)
                self.session.flush()  # or a get() in this unit of work still finds it
            return
        if mark is None:
            self.session.add(StageHistoryMark(workspace_id=workspace_id, source=source, newest_entered_at=newest))
        elif whole or _aware(newest) > _aware(mark.newest_entered_at):
            mark.newest_entered_at = newest
            self.session.add(mark)


def _aware(moment: datetime) -> datetime:
    """SQLite gives timestamps back without their zone; every stored one is UTC."""
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def stored_history(engine: Engine, workspace_id: int) -> pl.DataFrame:
    """Every stored entry of the workspace (HISTORY_SCHEMA)."""
    table = table_of(StageHistoryEntry)
    statement = select(*(table.c[name] for name in HISTORY_SCHEMA)).where(table.c.workspace_id == workspace_id)
    with engine.connect() as connection:
        return read_frame(statement, connection, HISTORY_SCHEMA)
