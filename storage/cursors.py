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

    def cursor_of(self, workspace_id: int, connection_id: int, object_name: str) -> datetime | None:
        row = self.session.exec(
            sm_select(SourceCursor).where(
                SourceCursor.workspace_id == workspace_id,
                SourceCursor.connection_id == connection_id,
                SourceCursor.object_name == object_name,
            )
        ).first()
        return datetime.fromisoformat(row.cursor_value) if row and row.cursor_value else None

    def save(self, workspace_id: int, connection_id: int, object_name: str, value: datetime, run_id: int) -> None:
        row = self.session.exec(
            sm_select(SourceCursor).where(
                SourceCursor.workspace_id == workspace_id,
                SourceCursor.connection_id == connection_id,
                SourceCursor.object_name == object_name,
            )
        ).first() or SourceCursor(
            workspace_id=workspace_id, connection_id=connection_id, object_name=object_name, cursor_field="modified"
        )
        row.cursor_value, row.run_id, row.updated_at = value.isoformat(), run_id, utcnow()
        self.session.add(row)
