"""Counts of what a workspace has set up, read in one place for the wizard."""

from __future__ import annotations

from sqlalchemy import func
from sqlmodel import Session, col, select

from core.canonical import Domain
from core.wizard import SetupFacts
from storage.tables import AccountCrosswalk, Connection, DomainRoute, FieldMapping, StageMapping, SyncRun


def setup_facts(session: Session, workspace_id: int) -> SetupFacts:
    """Everything the wizard needs to say what is done and what is next."""
    ws = workspace_id
    connections = session.exec(select(Connection).where(Connection.workspace_id == ws)).all()
    routed = session.exec(
        select(DomainRoute.domain, func.count()).where(DomainRoute.workspace_id == ws).group_by(DomainRoute.domain)
    ).all()
    approved_fields = session.exec(
        select(FieldMapping.domain, FieldMapping.canonical_field)
        .where(FieldMapping.workspace_id == ws, FieldMapping.status == "approved", col(FieldMapping.canonical_field).is_not(None))
    ).all()
    stage_counts = dict(session.exec(
        select(StageMapping.status, func.count()).where(StageMapping.workspace_id == ws).group_by(StageMapping.status)
    ).all())
    crosswalk_counts = dict(session.exec(
        select(AccountCrosswalk.status, func.count()).where(AccountCrosswalk.workspace_id == ws).group_by(AccountCrosswalk.status)
    ).all())
    successful_runs = session.exec(
        select(func.count()).select_from(SyncRun)
        .where(SyncRun.workspace_id == ws, SyncRun.status == "succeeded", col(SyncRun.dry_run).is_(False))
    ).one()
    mapped: dict[Domain, set[str]] = {d: set() for d in Domain}
    for domain, field in approved_fields:
        mapped[Domain(domain)].add(field)
    return SetupFacts(
        connections=len(connections),
        connections_ok=sum(1 for c in connections if c.last_test_ok),
        routed_domains=frozenset(Domain(d) for d, n in routed if n),
        mapped_fields={d: frozenset(f) for d, f in mapped.items()},
        stages_approved=stage_counts.get("approved", 0),
        stages_pending=stage_counts.get("suggested", 0),
        accounts_approved=crosswalk_counts.get("approved", 0),
        accounts_pending=crosswalk_counts.get("suggested", 0),
        successful_syncs=successful_runs,
    )
