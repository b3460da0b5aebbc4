"""Where each incremental read resumes: the newest modification time a run landed per routed object."""

from __future__ import annotations

from datetime import datetime

from sqlmodel import Session
from sqlmodel import select as sm_select

from storage.tables import SourceCursor, utcnow


class Cursors:
    """A workspace's read cursors in one unit of work."""

    def __init__(self, session: Session) -> None:
        self.session = session

    def _row(self, workspace_id: int, connection_id: int, object_name: str) -> SourceCursor | None:
        return self.session.exec(
            sm_select(SourceCursor).where(
                SourceCursor.workspace_id == workspace_id,
                SourceCursor.connection_id == connection_id,
                SourceCursor.object_name == object_name,
            )
        ).first()

    def cursor_of(self, workspace_id: int, connection_id: int, object_name: str) -> datetime | None:
        row = self._row(workspace_id, connection_id, object_name)
        return datetime.fromisoformat(row.cursor_value) if row and row.cursor_value else None

    def fingerprint_of(self, workspace_id: int, connection_id: int, object_name: str) -> str | None:
        """The file fingerprint the last successful run read (None for a CRM, or before any run)."""
        row = self._row(workspace_id, connection_id, object_name)
        return row.content_fingerprint if row else None

    def save(
        self,
        workspace_id: int,
        connection_id: int,
        object_name: str,
        value: datetime | None,
        run_id: int,
        fingerprint: str | None = None,
    ) -> None:
        """Record where the next incremental read resumes: the newest modification read (kept when this run read
        none) and, for a file, its fingerprint."""
        row = self._row(workspace_id, connection_id, object_name) or SourceCursor(
            workspace_id=workspace_id, connection_id=connection_id, object_name=object_name, cursor_field="modified"
        )
        if value is not None:
            row.cursor_value = value.isoformat()
        row.content_fingerprint = fingerprint
        row.run_id, row.updated_at = run_id, utcnow()
        self.session.add(row)
