"""Domain routing (step 2): which source objects feed pipeline and ARR actuals, in priority order."""

from __future__ import annotations

from sqlmodel import Session, col, delete, select

from domain.canonical import Domain
from domain.errors import ValidationError
from domain.routing import RouteChoice
from storage import audit
from storage.tables import Connection, DomainRoute, utcnow


def load_routes(session: Session, workspace_id: int) -> dict[Domain, list[DomainRoute]]:
    """Routes per domain, highest priority first."""
    rows = session.exec(
        select(DomainRoute)
        .where(DomainRoute.workspace_id == workspace_id)
        .order_by(col(DomainRoute.domain), col(DomainRoute.priority))
    )
    routes: dict[Domain, list[DomainRoute]] = {domain: [] for domain in Domain}
    for row in rows:
        routes[Domain(row.domain)].append(row)
    return routes


def save_routes(
    session: Session, workspace_id: int, domain: Domain, choices: list[RouteChoice], *, actor: str
) -> list[DomainRoute]:
    """Replace a domain's routes with `choices` (priority = order) and audit before/after."""
    seen: set[tuple[int, str]] = set()
    for choice in choices:
        key = (choice.connection_id, choice.object_name)
        if key in seen:
            raise ValidationError(f"{domain.label}: '{choice.object_name}' is listed twice.")
        seen.add(key)
        connection = session.get(Connection, choice.connection_id)
        if connection is None or connection.workspace_id != workspace_id:
            raise ValidationError(f"{domain.label}: connection #{choice.connection_id} is not in this workspace.")
    before = [(r.connection_id, r.object_name) for r in load_routes(session, workspace_id)[domain]]
    session.exec(
        delete(DomainRoute).where(
            col(DomainRoute.workspace_id) == workspace_id, col(DomainRoute.domain) == domain.value
        )
    )
    session.flush()
    saved = []
    for priority, choice in enumerate(choices, start=1):
        row = DomainRoute(
            workspace_id=workspace_id,
            domain=domain.value,
            connection_id=choice.connection_id,
            object_name=choice.object_name,
            priority=priority,
            updated_at=utcnow(),
            updated_by=actor,
        )
        session.add(row)
        saved.append(row)
    session.flush()
    audit.record(
        session,
        actor=actor,
        action="update",
        entity="domain_routing",
        entity_id=domain.value,
        workspace_id=workspace_id,
        detail={"before": before, "after": [(c.connection_id, c.object_name) for c in choices]},
    )
    return saved
