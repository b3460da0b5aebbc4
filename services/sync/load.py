"""Landing a run: every write of one run in the caller's unit of work, so they land together or not at all."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

import polars as pl

from domain.canonical import Domain
from services.field_drift import FieldDrift, hold_field_drift
from services.sync.compare import ChangePlan
from services.sync.stage_history import HistoryRead
from storage import audit
from storage.unit_of_work import UnitOfWork


@dataclass(frozen=True)
class RunWrites:
    """Everything one run writes."""

    workspace_id: int
    run_id: int
    plans: dict[Domain, ChangePlan]
    quarantine: pl.DataFrame  # what did not roll up this time (with raw records)
    read_objects: list[tuple[str, str]]  # (source, object) read whole enough to release their quarantine
    # (connection, object, newest modification read or None, the file's fingerprint or None)
    cursors: list[tuple[int, str, datetime | None, str | None]]
    drifts: list[FieldDrift]
    actor: str
    mapping_version: int
    full: bool
    forced_deletions: list[str] = field(default_factory=list)  # mass deletions the actor allowed, in words
    histories: list[HistoryRead] = field(default_factory=list)  # stage history read with the pipeline


def write_run(uow: UnitOfWork, writes: RunWrites) -> None:
    """Canonical rows (versions they replace archived), quarantine, cursors, held fields and the audit entry."""
    workspace_id, run_id = writes.workspace_id, writes.run_id
    for domain, plan in writes.plans.items():
        uow.canonical.apply(
            workspace_id,
            domain,
            run_id,
            upserts=plan.upserts,
            replaced_ids=plan.replaced_ids,
            tombstone_ids=plan.tombstone_ids,
        )
    uow.quarantine.replace(workspace_id, run_id, writes.read_objects, writes.quarantine)
    for connection_id, object_name, newest, fingerprint in writes.cursors:
        uow.cursors.save(workspace_id, connection_id, object_name, newest, run_id, fingerprint)
    for history in writes.histories:
        uow.stage_history.add(workspace_id, history.source, history.entries, run_id, whole=history.whole)
    # An object routed to both domains is one set of fields: record it once.
    for drift in {(d.connection_id, d.obj.object_name): d for d in writes.drifts}.values():
        hold_field_drift(uow.session, workspace_id, drift, run_id=run_id)
    audit.record(
        uow.session,
        actor=writes.actor,
        action="sync",
        entity="workspace",
        entity_id=workspace_id,
        workspace_id=workspace_id,
        detail={
            "run": run_id,
            "mapping_version": writes.mapping_version,
            "full": writes.full,
            **({"mass_deletion_allowed": writes.forced_deletions} if writes.forced_deletions else {}),
        },
    )
