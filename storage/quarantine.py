"""Rows that did not roll up: kept with their raw record so a later run processes them again, and released
when the object they came from is read again, inside the caller's transaction."""

from __future__ import annotations

import json

import polars as pl
from sqlalchemy import func, insert, update
from sqlmodel import Session, col
from sqlmodel import select as sm_select

from storage.tables import QuarantinedRow, table_of, utcnow


def held_now(session: Session, workspace_id: int, reason_code: str) -> pl.DataFrame:
    """Rows held right now for one reason, counted by domain and value (domain, reason_code, value, rows)."""
    table = table_of(QuarantinedRow)
    found = session.execute(
        sm_select(table.c.domain, table.c.reason_code, table.c.value, func.count(table.c.source_id.distinct()))
        .where(
            table.c.workspace_id == workspace_id,
            table.c.reason_code == reason_code,
            table.c.released_run_id.is_(None),
        )
        .group_by(table.c.domain, table.c.reason_code, table.c.value)
    ).all()
    return pl.DataFrame(
        [tuple(r) for r in found],
        schema={"domain": pl.String, "reason_code": pl.String, "value": pl.String, "rows": pl.Int64},
        orient="row",
    )


class Quarantine:
    """A workspace's quarantine in one unit of work."""

    def __init__(self, session: Session) -> None:
        self.session = session

    def open_payloads(self, workspace_id: int, source: str, object_name: str) -> list[dict]:
        """Raw rows still in quarantine for one source object, so the next run re-processes them."""
        rows = self.session.exec(
            sm_select(QuarantinedRow.source_id, QuarantinedRow.payload_json).where(
                QuarantinedRow.workspace_id == workspace_id,
                QuarantinedRow.source == source,
                QuarantinedRow.source_object == object_name,
                col(QuarantinedRow.released_run_id).is_(None),
            )
        ).all()
        seen: dict[str, dict] = {}
        for source_id, payload in rows:
            if payload and source_id and source_id not in seen:
                seen[source_id] = json.loads(payload)
        return list(seen.values())

    def open_ids(self, workspace_id: int, source: str, object_name: str) -> list[str]:
        """Source IDs of one source object still held in quarantine (before this run)."""
        return [
            source_id
            for source_id in self.session.exec(
                sm_select(QuarantinedRow.source_id)
                .where(
                    QuarantinedRow.workspace_id == workspace_id,
                    QuarantinedRow.source == source,
                    QuarantinedRow.source_object == object_name,
                    col(QuarantinedRow.released_run_id).is_(None),
                )
                .distinct()
            ).all()
            if source_id is not None
        ]

    def replace(self, workspace_id: int, run_id: int, objects: list[tuple[str, str]], quarantine: pl.DataFrame) -> None:
        """Release the open quarantine of the objects this run read, and record what it quarantined now."""
        for source, object_name in objects:
            table = table_of(QuarantinedRow)
            self.session.execute(
                update(table)
                .where(
                    table.c.workspace_id == workspace_id,
                    table.c.source == source,
                    table.c.source_object == object_name,
                    table.c.released_run_id.is_(None),
                )
                .values(released_run_id=run_id)
            )
        if quarantine.height:
            rows = quarantine.with_columns(
                pl.lit(workspace_id).alias("workspace_id"),
                pl.lit(run_id).alias("run_id"),
                pl.lit(utcnow()).alias("created_at"),
            ).to_dicts()
            self.session.execute(insert(table_of(QuarantinedRow)), rows)
