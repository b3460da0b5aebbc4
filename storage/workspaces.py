"""Workspaces and their canonical stage sets."""

from __future__ import annotations

from sqlmodel import Session, col, delete, select

from domain.canonical import CanonicalStage, StageSemantics
from domain.errors import NotFound, ValidationError
from domain.stage_set import default_stage_set, validate_stage_set
from storage import audit
from storage.db import fetch
from storage.tables import CanonicalStageRow, Workspace


def list_workspaces(session: Session) -> list[Workspace]:
    """All workspaces, the demo first, then by name."""
    rows = session.exec(select(Workspace).order_by(col(Workspace.is_demo).desc(), Workspace.name))
    return list(rows)


def get_workspace(session: Session, workspace_id: int) -> Workspace:
    workspace = session.get(Workspace, workspace_id)
    if workspace is None:
        raise NotFound(f"Workspace #{workspace_id} does not exist.")
    return workspace


def find_workspace(session: Session, name: str) -> Workspace | None:
    return session.exec(select(Workspace).where(Workspace.name == name)).first()


def require_workspace(session: Session, name: str) -> Workspace:
    """The workspace of that name, or a NotFound that lists the ones that exist."""
    workspace = find_workspace(session, name)
    if workspace is None:
        names = ", ".join(w.name for w in list_workspaces(session)) or "none yet"
        raise NotFound(f"There is no workspace named '{name}'.", hint=f"Workspaces: {names}.")
    return workspace


def create_workspace(
    session: Session, name: str, *, actor: str, is_demo: bool = False, reporting_currency: str = "USD"
) -> Workspace:
    """A new workspace seeded with the default canonical stages."""
    name = name.strip()
    if not name:
        raise ValidationError("Workspace name: enter a name.")
    if len(name) > 80:
        raise ValidationError("Workspace name: use at most 80 characters.")
    if find_workspace(session, name) is not None:
        raise ValidationError(f"Workspace name: '{name}' is already taken.")
    currency = reporting_currency.strip().upper()
    if len(currency) != 3 or not currency.isalpha():
        raise ValidationError(f"Reporting currency: '{reporting_currency}' is not a 3-letter ISO code.")
    workspace = Workspace(name=name, is_demo=is_demo, reporting_currency=currency)
    session.add(workspace)
    session.flush()
    _write_stages(session, workspace.id, default_stage_set())
    audit.record(
        session,
        actor=actor,
        action="create",
        entity="workspace",
        entity_id=workspace.id,
        workspace_id=workspace.id,
        detail={"name": name, "demo": is_demo},
    )
    return workspace


def load_stage_set(session: Session, workspace_id: int) -> list[CanonicalStage]:
    """The workspace's canonical stages in funnel order."""
    rows = session.exec(
        select(CanonicalStageRow)
        .where(CanonicalStageRow.workspace_id == workspace_id)
        .order_by(col(CanonicalStageRow.sort_order))
    )
    return [CanonicalStage(r.key, r.label, r.weight, StageSemantics(r.semantics), r.sort_order) for r in rows]


def save_stage_set(
    session: Session, workspace_id: int, stages: list[CanonicalStage], *, actor: str
) -> list[CanonicalStage]:
    """Validate and replace the workspace's stage set; the change is audited with before and after."""
    ordered = validate_stage_set(stages)
    before = load_stage_set(session, workspace_id)
    session.exec(delete(CanonicalStageRow).where(col(CanonicalStageRow.workspace_id) == workspace_id))
    _write_stages(session, workspace_id, ordered)
    audit.record(
        session,
        actor=actor,
        action="update",
        entity="stage_set",
        workspace_id=workspace_id,
        detail={
            "before": [(s.key, s.label, s.weight) for s in before],
            "after": [(s.key, s.label, s.weight) for s in ordered],
        },
    )
    return ordered


def _write_stages(session: Session, workspace_id: int | None, stages: list[CanonicalStage]) -> None:
    assert workspace_id is not None
    for stage in stages:
        session.add(
            CanonicalStageRow(
                workspace_id=workspace_id,
                key=stage.key,
                label=stage.label,
                weight=stage.weight,
                semantics=stage.semantics.value,
                sort_order=stage.order,
            )
        )
    session.flush()


def set_slipped_policy(session: Session, workspace_id: int, policy: str, *, actor: str) -> None:
    """Record how the forecast treats slipped deals, and who changed it."""
    workspace = fetch(session, Workspace, workspace_id)
    before, workspace.slipped_policy = workspace.slipped_policy, policy
    session.add(workspace)
    audit.record(
        session,
        actor=actor,
        action="set slipped-deal policy",
        entity="workspace",
        entity_id=workspace_id,
        workspace_id=workspace_id,
        detail={"before": before, "after": policy},
    )


def set_movement_policy(
    session: Session, workspace_id: int, *, reactivation_window_days: int | None, net_same_month_churn: bool, actor: str
) -> None:
    """Record the movement policy (reactivation window, same-month new and churn), and who changed it."""
    workspace = fetch(session, Workspace, workspace_id)
    before = {
        "reactivation window (days)": workspace.reactivation_window_days,
        "net same-month new and churn": workspace.net_same_month_churn,
    }
    workspace.reactivation_window_days = reactivation_window_days
    workspace.net_same_month_churn = net_same_month_churn
    session.add(workspace)
    audit.record(
        session,
        actor=actor,
        action="set movement policy",
        entity="workspace",
        entity_id=workspace_id,
        workspace_id=workspace_id,
        detail={
            "before": before,
            "after": {
                "reactivation window (days)": reactivation_window_days,
                "net same-month new and churn": net_same_month_churn,
            },
        },
    )
