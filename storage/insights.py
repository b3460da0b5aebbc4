"""Read what the Revenue page and the insights CLI need: live canonical rows with account names, and the plan."""

from __future__ import annotations

from datetime import date
from typing import Any

import polars as pl
from sqlalchemy import Engine, and_, delete, func, select
from sqlalchemy.sql.elements import Label
from sqlalchemy.sql.selectable import NamedFromClause

from domain.insights.data import first_date, last_date
from domain.insights.plan import PLAN_SCHEMA
from storage.frames import read_frame
from storage.stored_money import to_thousandths
from storage.tables import (
    ArrMovement,
    AuditEntry,
    CanonicalAccount,
    Opportunity,
    RevenuePlan,
    SyncRun,
    table_of,
    utcnow,
)


def _account_columns() -> tuple[NamedFromClause, NamedFromClause, Label[Any], Label[Any]]:
    # A merged-away account reads as the account it was merged into, so figures follow the merge at once.
    account, survivor = table_of(CanonicalAccount).alias("account"), table_of(CanonicalAccount).alias("survivor")
    account_id = func.coalesce(survivor.c.id, account.c.id).label("account_id")
    name = func.coalesce(survivor.c.name, account.c.name).label("account")
    return account, survivor, account_id, name


def live_opportunities(engine: Engine, workspace_id: int) -> pl.DataFrame:
    """Every opportunity that is not tombstoned, with its (surviving) canonical account's name."""
    account, survivor, account_id, name = _account_columns()
    o = table_of(Opportunity).c
    statement = (
        select(
            o.source,
            o.source_id,
            o.name.label("opportunity"),
            account_id,
            name,
            o.segment,
            o.opportunity_type,
            o.owner,
            o.pipeline_id.label("pipeline"),
            o.stage,
            o.weight,
            o.probability_override,
            o.amount,
            o.currency,
            o.amount_reporting,
            o.weighted_amount,
            o.expected_close,
            o.run_id,
        )
        .select_from(table_of(Opportunity))
        .outerjoin(account, account.c.id == o.account_id)
        .outerjoin(survivor, survivor.c.id == account.c.merged_into_id)
        .where(and_(o.workspace_id == workspace_id, o.is_deleted.is_(False)))
    )
    schema = {
        "source": pl.String,
        "source_id": pl.String,
        "opportunity": pl.String,
        "account_id": pl.Int64,
        "account": pl.String,
        "segment": pl.String,
        "opportunity_type": pl.String,
        "owner": pl.String,
        "pipeline": pl.String,
        "stage": pl.String,
        "weight": pl.Float64,
        "probability_override": pl.Float64,
        "amount": pl.Float64,
        "currency": pl.String,
        "amount_reporting": pl.Float64,
        "weighted_amount": pl.Float64,
        "expected_close": pl.Date,
        "run_id": pl.Int64,
    }
    return _read(engine, statement, schema)


def live_movements(engine: Engine, workspace_id: int) -> pl.DataFrame:
    """Every ARR movement that is not tombstoned, with its (surviving) canonical account's name."""
    account, survivor, account_id, name = _account_columns()
    m = table_of(ArrMovement).c
    statement = (
        select(
            m.source,
            m.source_id,
            account_id,
            name,
            m.effective_date,
            m.movement_component,
            m.arr_delta,
            m.currency,
            m.arr_delta_reporting,
            m.run_id,
        )
        .select_from(table_of(ArrMovement))
        .outerjoin(account, account.c.id == m.account_id)
        .outerjoin(survivor, survivor.c.id == account.c.merged_into_id)
        .where(and_(m.workspace_id == workspace_id, m.is_deleted.is_(False)))
    )
    schema = {
        "source": pl.String,
        "source_id": pl.String,
        "account_id": pl.Int64,
        "account": pl.String,
        "effective_date": pl.Date,
        "movement_component": pl.String,
        "arr_delta": pl.Float64,
        "currency": pl.String,
        "arr_delta_reporting": pl.Float64,
        "run_id": pl.Int64,
    }
    return _read(engine, statement, schema)


def data_version(engine: Engine, workspace_id: int) -> tuple:
    """Changes whenever the canonical data, the accounts (a merge, a parent link, or either undone) or the plan
    change: a cache key for the Revenue page."""
    with engine.connect() as connection:
        runs, plans, audit_log = table_of(SyncRun), table_of(RevenuePlan), table_of(AuditEntry)
        last_run = connection.execute(
            select(func.max(runs.c.id)).where(runs.c.workspace_id == workspace_id, runs.c.status == "succeeded")
        ).scalar_one()
        plan = connection.execute(
            select(func.count(), func.max(plans.c.uploaded_at)).where(plans.c.workspace_id == workspace_id)
        ).one()
        # Every account decision is audited, so the latest one marks the account hierarchy's version.
        accounts = connection.execute(
            select(func.max(audit_log.c.id)).where(
                audit_log.c.workspace_id == workspace_id, audit_log.c.entity == "accounts"
            )
        ).scalar_one()
    return last_run, plan[0], str(plan[1]), accounts


def latest_change(engine: Engine, workspace_id: int) -> int | None:
    """The workspace's newest audit entry: every sync, setup change and approval writes one in its own transaction,
    so this changes whenever anything a page derives from the workspace may have changed (a cache key)."""
    audit_log = table_of(AuditEntry)
    with engine.connect() as connection:
        return connection.execute(
            select(func.max(audit_log.c.id)).where(audit_log.c.workspace_id == workspace_id)
        ).scalar_one()


def account_hierarchy(engine: Engine, workspace_id: int) -> pl.DataFrame:
    """account_id, parent_id, account: every live canonical account and its parent, a merged-away parent read as
    the account it was merged into."""
    account, parent = table_of(CanonicalAccount).alias("account"), table_of(CanonicalAccount).alias("parent")
    statement = (
        select(
            account.c.id.label("account_id"),
            func.coalesce(parent.c.merged_into_id, parent.c.id).label("parent_id"),
            account.c.name.label("account"),
        )
        .select_from(account)
        .outerjoin(parent, parent.c.id == account.c.parent_id)
        .where(account.c.workspace_id == workspace_id, account.c.merged_into_id.is_(None))
    )
    return _read(engine, statement, {"account_id": pl.Int64, "parent_id": pl.Int64, "account": pl.String})


def load_plan(engine: Engine, workspace_id: int) -> pl.DataFrame:
    p = table_of(RevenuePlan).c
    statement = (
        select(p.month, p.segment, p.planned_ending_arr, p.planned_net_new_arr)
        .where(p.workspace_id == workspace_id)
        .order_by(p.month, p.segment)
    )
    return _read(engine, statement, PLAN_SCHEMA)


def replace_plan(session, workspace_id: int, plan: pl.DataFrame, *, actor: str) -> int:
    """Replace the workspace's plan with a validated one, in the caller's transaction."""
    from storage import audit

    session.execute(delete(table_of(RevenuePlan)).where(table_of(RevenuePlan).c.workspace_id == workspace_id))
    now = utcnow()
    for row in plan.to_dicts():  # a plan is a few hundred rows at most
        session.add(
            RevenuePlan(
                workspace_id=workspace_id,
                month=row["month"],
                segment=row["segment"] or "",
                planned_ending_arr=to_thousandths(row["planned_ending_arr"]),
                planned_net_new_arr=to_thousandths(row["planned_net_new_arr"]),
                uploaded_by=actor,
                uploaded_at=now,
            )
        )
    months = plan["month"]
    audit.record(
        session,
        actor=actor,
        action="upload",
        entity="plan",
        workspace_id=workspace_id,
        detail={"rows": plan.height, "from": _iso(first_date(months)), "to": _iso(last_date(months))},
    )
    return plan.height


def _iso(value: date | None) -> str | None:
    return value.isoformat() if value else None


def _read(engine: Engine, statement, schema: dict) -> pl.DataFrame:
    with engine.connect() as connection:
        return read_frame(statement, connection, schema)
