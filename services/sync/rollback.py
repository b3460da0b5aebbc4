"""Rolling a workspace back to what one run produced: recorded as a run and in the audit log."""

from __future__ import annotations

from sqlalchemy import Engine

from domain.canonical import Domain
from domain.errors import NotFound, ValidationError
from domain.roles import Access, Permission
from services.sync.lifecycle import start_run
from storage import audit
from storage.sync_runs import finish_run, get_run
from storage.unit_of_work import UnitOfWork


def rollback_to(engine: Engine, workspace_id: int, run_id: int, *, access: Access) -> dict[Domain, int]:
    """Restore exactly the canonical data run `run_id` produced (itself undoable: what it replaces is archived)."""
    access.require(Permission.RUN_SYNC)
    target = get_run(engine, run_id)
    if target is None or target.workspace_id != workspace_id:
        # Checked before a rollback run starts, so a mistyped number leaves no failed run in the history.
        raise NotFound(f"Run #{run_id} does not exist in this workspace.")
    if target.status != "succeeded" or target.dry_run:
        raise ValidationError(
            f"Run #{run_id} is a {'dry run' if target.dry_run else target.status + ' run'}: only a "
            "succeeded sync produced data to go back to."
        )
    run = start_run(engine, workspace_id, trigger="rollback", dry_run=False)
    try:
        with UnitOfWork(engine) as uow:
            restored = uow.canonical.restore_as_of(workspace_id, run_id, run.id)
            audit.record(
                uow.session,
                actor=access.actor,
                action="rollback",
                entity="workspace",
                entity_id=workspace_id,
                workspace_id=workspace_id,
                detail={"to_run": run_id, "rows": {d.value: n for d, n in restored.items()}},
            )
            uow.commit()
    except Exception as exc:
        finish_run(engine, run.id, status="failed", error=str(exc))
        raise
    finish_run(engine, run.id, status="succeeded", rows_read=sum(restored.values()))
    return restored
