"""What the Revenue page and the insights CLI read: a workspace's live canonical rows, shaped once per data
version for every insight (the figures themselves are in the domain)."""

from __future__ import annotations

from datetime import date

import polars as pl
from sqlalchemy import Engine

from domain.insights.data import FX_SCHEMA, RevenueData, shape_revenue_data
from domain.insights.forecast import slipped_by_owner
from domain.roles import Access
from storage.db import fetch, session_scope
from storage.insights import account_hierarchy, live_movements, live_opportunities, load_plan
from storage.mappings import latest_mapping
from storage.tables import Workspace
from storage.workspaces import load_stage_set


def load_revenue_data(engine: Engine, workspace_id: int) -> RevenueData:
    """Read and shape everything the insights need for one workspace."""
    with session_scope(engine) as session:
        workspace = fetch(session, Workspace, workspace_id)
        stages = tuple(load_stage_set(session, workspace_id))
        mapping = latest_mapping(session, workspace_id)
    reporting = mapping[1].reporting_currency if mapping else workspace.reporting_currency
    rates = mapping[1].fx_rates if mapping else ()
    fx = pl.DataFrame(
        {
            "currency": [r.currency for r in rates],
            "valid_from": [r.valid_from for r in rates],
            "rate": [r.rate for r in rates],
        },
        schema=FX_SCHEMA,
    )
    return shape_revenue_data(
        live_opportunities(engine, workspace_id),
        live_movements(engine, workspace_id),
        fx,
        reporting,
        stages,
        load_plan(engine, workspace_id),
        pipeline_labels=mapping[1].pipelines if mapping else {},
        hierarchy=account_hierarchy(engine, workspace_id),
    )


def slipped_deals_by_owner(engine: Engine, workspace_id: int, access: Access, as_of: date) -> pl.DataFrame:
    """Open deals whose close date passed, per owner, in the page's words; the amount at stake only for roles that
    see amounts (per owner, it would be a customer's amount for a small book)."""
    data = load_revenue_data(engine, workspace_id)
    frame = slipped_by_owner(data.opportunities, data.stages, as_of)
    if not access.sees_amounts:
        frame = frame.with_columns(pl.lit(None, pl.Float64).alias("weighted_amount"))
    return frame.rename(
        {
            "owner": "Owner",
            "deals": "Slipped deals",
            "accounts": "Accounts",
            "weighted_amount": f"Weighted amount ({data.reporting_currency})",
            "oldest_close": "Oldest expected close",
        }
    )
