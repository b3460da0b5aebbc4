"""A unit of work: one transaction, and the repositories a service reads and writes through inside it.

    with UnitOfWork(engine) as uow:
        stored = uow.canonical.stored(workspace_id, Domain.PIPELINE, ids)
        uow.canonical.apply(...); uow.quarantine.replace(...); uow.cursors.save(...)
        uow.commit()

Leaving the block without `commit()` rolls everything back: a failed or dry run leaves the data as it was.
"""

from __future__ import annotations

from types import TracebackType

from sqlalchemy import Engine
from sqlmodel import Session

from storage.canonical_rows import CanonicalRows
from storage.cursors import Cursors
from storage.quarantine import Quarantine
from storage.stage_history import StageHistory


class UnitOfWork:
    """One transaction over the canonical rows, the quarantine and the read cursors (and, through `session`,
    every other storage module)."""

    session: Session
    canonical: CanonicalRows
    quarantine: Quarantine
    cursors: Cursors
    stage_history: StageHistory

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self._committed = False

    def __enter__(self) -> UnitOfWork:
        self.session = Session(self.engine, expire_on_commit=False)
        self.canonical = CanonicalRows(self.session)
        self.quarantine = Quarantine(self.session)
        self.cursors = Cursors(self.session)
        self.stage_history = StageHistory(self.session)
        return self

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, trace: TracebackType | None
    ) -> None:
        try:
            if not self._committed:
                # What was read stays readable after the block (a read-only unit of work is the common case);
                # rolling back would expire it.
                self.session.expunge_all()
                self.session.rollback()
        finally:
            self.session.close()

    def commit(self) -> None:
        """Make every write of this unit of work permanent at once."""
        self.session.commit()
        self._committed = True
