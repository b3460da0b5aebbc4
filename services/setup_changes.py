"""Changes to a workspace's setup, each allowed to the roles that may make it (checked here, once, for the pages,
the CLI and the declarative `apply` alike): workspaces and their stage sets, connections, routing, the mapping,
suggestion decisions, alert settings and the revenue plan. Storage does the writing and the auditing."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import polars as pl
from sqlmodel import Session

from domain.canonical import CONTRACTS, MOVEMENTS, CanonicalStage, Domain
from domain.errors import ValidationError
from domain.insights.forecast import SlippedPolicy
from domain.mapping_config import MappingConfig, ObjectMapping, to_yaml
from domain.roles import Access, Permission
from domain.routing import RouteChoice
from domain.source_kinds import SourceKind
from storage import alerts as alert_store
from storage import connections as connection_store
from storage import insights as insight_store
from storage import mappings as mapping_store
from storage import review, routing, workspaces
from storage.secret_box import SecretBox
from storage.tables import AlertSettings, Connection, DomainRoute, MappingVersion, Workspace


def create_workspace(session: Session, name: str, *, access: Access, reporting_currency: str = "USD") -> Workspace:
    """A new workspace with the default stages."""
    access.require(Permission.EDIT_SETUP)
    return workspaces.create_workspace(session, name, actor=access.actor, reporting_currency=reporting_currency)


def save_stage_set(
    session: Session, workspace_id: int, stages: list[CanonicalStage], *, access: Access
) -> list[CanonicalStage]:
    access.require(Permission.EDIT_SETUP)
    return workspaces.save_stage_set(session, workspace_id, stages, actor=access.actor)


def create_connection(
    session: Session,
    workspace_id: int,
    *,
    name: str,
    kind: SourceKind,
    settings: dict[str, Any],
    secrets: dict[str, str] | None,
    box: SecretBox | None,
    access: Access,
) -> Connection:
    access.require(Permission.MANAGE_CONNECTIONS)
    return connection_store.create_connection(
        session, workspace_id, name=name, kind=kind, settings=settings, secrets=secrets, box=box, actor=access.actor
    )


def update_connection(
    session: Session,
    connection_id: int,
    *,
    settings: dict[str, Any],
    secrets: dict[str, str] | None,
    box: SecretBox | None,
    access: Access,
) -> bool:
    access.require(Permission.MANAGE_CONNECTIONS)
    return connection_store.update_connection(
        session, connection_id, settings=settings, secrets=secrets, box=box, actor=access.actor
    )


def delete_connection(session: Session, connection_id: int, *, access: Access) -> None:
    access.require(Permission.MANAGE_CONNECTIONS)
    connection_store.delete_connection(session, connection_id, actor=access.actor)


def save_routes(
    session: Session, workspace_id: int, domain: Domain, choices: list[RouteChoice], *, access: Access
) -> list[DomainRoute]:
    access.require(Permission.EDIT_SETUP)
    return routing.save_routes(session, workspace_id, domain, choices, actor=access.actor)


def set_arr_source(
    session: Session,
    workspace_id: int,
    choices: list[RouteChoice],
    *,
    contracts: bool,
    amount_per: str = "year",
    access: Access,
) -> MappingVersion | None:
    """Say whether the ARR objects routed in step 2 hold movement events or contracts, as the next mapping version
    (None when the mapping in force already says so). An object not in the mapping yet gets an entry with no fields
    for step 3 to fill; switching modes keeps only the fields both modes share (account, currency)."""
    access.require(Permission.EDIT_SETUP)
    current = mapping_store.latest_mapping(session, workspace_id)
    workspace = session.get(Workspace, workspace_id)
    base = (
        current[1]
        if current
        else MappingConfig(reporting_currency=workspace.reporting_currency if workspace else "USD")
    )
    mode = CONTRACTS if contracts else MOVEMENTS
    keys = {c.connection_id: connection_store.get_connection(session, c.connection_id).source_key for c in choices}
    wanted = {(keys[c.connection_id], c.object_name) for c in choices}
    shared = {"account", "currency"}
    objects = []
    for obj in base.objects:
        if obj.domain == Domain.ARR_ACTUALS and (obj.source, obj.object_name) in wanted:
            if obj.arr_from != mode or (contracts and obj.amount_per != amount_per):
                fields = (
                    obj.fields if obj.arr_from == mode else tuple(f for f in obj.fields if f.canonical_field in shared)
                )
                obj = replace(obj, arr_from=mode, amount_per=amount_per if contracts else "year", fields=fields)
            wanted.discard((obj.source, obj.object_name))
        objects.append(obj)
    if contracts:
        objects += [
            ObjectMapping(source, name, Domain.ARR_ACTUALS, (), arr_from=CONTRACTS, amount_per=amount_per)
            for source, name in sorted(wanted)
        ]
    changed = replace(base, objects=tuple(objects))
    if current is not None and to_yaml(changed) == to_yaml(base):
        return None
    if current is None and not contracts:
        return None  # movements are what a mapping without the object means already
    return mapping_store.save_mapping(
        session,
        workspace_id,
        to_yaml(changed),
        actor=access.actor,
        note=f"ARR read as {mode}" + (f" (amount per {amount_per})" if contracts else ""),
    )


def save_mapping(
    session: Session, workspace_id: int, yaml_text: str, *, access: Access, note: str | None = None
) -> MappingVersion:
    """A mapping written as code becomes the next version in force."""
    access.require(Permission.EDIT_SETUP)
    return mapping_store.save_mapping(session, workspace_id, yaml_text, actor=access.actor, note=note)


def decide(
    session: Session,
    kind: str,
    row_id: int,
    seen_version: int,
    decision: str,
    *,
    access: Access,
    target: str | None = None,
    weight: float | None = None,
) -> None:
    """Approve (with the suggested or another target) or reject one suggestion of step 3."""
    access.require(Permission.APPROVE_SUGGESTIONS)
    review.decide(session, kind, row_id, seen_version, decision, actor=access.actor, target=target, weight=weight)


def accept_auto_band(session: Session, kind: str, workspace_id: int, *, access: Access) -> int:
    access.require(Permission.APPROVE_SUGGESTIONS)
    return review.accept_auto_band(session, kind, workspace_id, actor=access.actor)


def save_alert_settings(session: Session, workspace_id: int, *, access: Access, **values: Any) -> AlertSettings:
    access.require(Permission.EDIT_SETUP)
    return alert_store.save_alert_settings(session, workspace_id, actor=access.actor, **values)


def acknowledge_alerts(session: Session, workspace_id: int, *, access: Access) -> int:
    """Mark every open alert as seen (whoever may run syncs answers for them)."""
    access.require(Permission.RUN_SYNC)
    return alert_store.acknowledge_alerts(session, workspace_id, actor=access.actor)


def replace_plan(session: Session, workspace_id: int, plan: pl.DataFrame, *, access: Access) -> int:
    """The uploaded plan (already parsed and checked) replaces the workspace's plan."""
    access.require(Permission.EDIT_SETUP)
    return insight_store.replace_plan(session, workspace_id, plan, actor=access.actor)


def set_slipped_policy(session: Session, workspace_id: int, policy: SlippedPolicy, *, access: Access) -> None:
    """How the forecast treats open deals whose expected close has passed (apart, current month, left out)."""
    access.require(Permission.EDIT_SETUP)
    workspaces.set_slipped_policy(session, workspace_id, policy.value, actor=access.actor)


def slipped_policy(session: Session, workspace_id: int) -> SlippedPolicy:
    """The workspace's choice (shown apart until someone chooses)."""
    return SlippedPolicy(workspaces.get_workspace(session, workspace_id).slipped_policy)


def set_movement_policy(
    session: Session,
    workspace_id: int,
    *,
    reactivation_window_days: int | None,
    net_same_month_churn: bool,
    access: Access,
) -> None:
    """The movement policy: a customer returning within `reactivation_window_days` of churning is reactivated
    (None: at any time); with `net_same_month_churn`, a customer new and churned in one month leaves that month's
    New and Churn bars (ChartMogul's default, False, counts both)."""
    access.require(Permission.EDIT_SETUP)
    days = reactivation_window_days
    if days is not None and not 1 <= days <= 3650:
        raise ValidationError(f"Reactivation window: {days} days is not between 1 and 3,650.")
    workspaces.set_movement_policy(
        session,
        workspace_id,
        reactivation_window_days=days,
        net_same_month_churn=net_same_month_churn,
        actor=access.actor,
    )
