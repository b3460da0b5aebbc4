"""Counts of what a workspace has set up, read in one place for the wizard."""

from __future__ import annotations

from sqlalchemy import func
from sqlmodel import Session, col, select

from domain.canonical import Domain
from domain.mapping_config import mapped_fields_by_domain
from domain.setup_steps import SetupFacts
from storage.mappings import latest_mapping
from storage.tables import AccountCrosswalk, Connection, DomainRoute, StageMapping, SyncRun


def setup_facts(session: Session, workspace_id: int) -> SetupFacts:
    """Everything the wizard needs to say what is done and what is next."""
    ws = workspace_id
    connections = session.exec(select(Connection).where(Connection.workspace_id == ws)).all()
    routed = session.exec(
        select(DomainRoute.domain, func.count()).where(DomainRoute.workspace_id == ws).group_by(DomainRoute.domain)
    ).all()
    mapping = latest_mapping(session, ws)
    stages_pending = session.exec(
        select(func.count())
        .select_from(StageMapping)
        .where(StageMapping.workspace_id == ws, StageMapping.status == "suggested")
    ).one()
    crosswalk_counts = dict(
        session.exec(
            select(AccountCrosswalk.status, func.count())
            .where(AccountCrosswalk.workspace_id == ws)
            .group_by(AccountCrosswalk.status)
        ).all()
    )
    successful_runs = session.exec(
        select(func.count())
        .select_from(SyncRun)
        .where(SyncRun.workspace_id == ws, SyncRun.status == "succeeded", col(SyncRun.dry_run).is_(False))
    ).one()
    mapped = mapped_fields_by_domain(mapping[1]) if mapping else {d: frozenset() for d in Domain}
    return SetupFacts(
        connections=len(connections),
        connections_ok=sum(1 for c in connections if c.last_test_ok),
        routed_domains=frozenset(Domain(d) for d, n in routed if n),
        mapped_fields=mapped,
        stages_approved=len(mapping[1].stages) if mapping else 0,
        stages_pending=stages_pending,
        accounts_approved=crosswalk_counts.get("approved", 0),
        accounts_pending=crosswalk_counts.get("suggested", 0),
        successful_syncs=successful_runs,
    )
