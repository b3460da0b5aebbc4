"""Everything the Revenue page shows for one set of filters, already masked for the reader's role."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import date

import polars as pl

from domain.figures import close_passed, open_deals, slipped_weighted_pipeline, weighted_open_pipeline
from domain.insights.account_groups import account_group_rollup
from domain.insights.arr_actuals import arr_bridge, arr_by_month, bridge_rows
from domain.insights.data import RevenueData, RevenueFilters, first_date, last_date, month_start, open_stage_keys
from domain.insights.disclosure import (
    coarse_filters,
    masked_bridge,
    period_total,
    quarter_last_month,
    quarter_start,
    quarterly_arr,
    quarterly_pipeline,
)
from domain.insights.movement_checks import customer_history, movement_exceptions
from domain.insights.plan import plan_vs_actual
from domain.insights.reconciliation import (
    EXCEPTIONS,
    ReconciliationRules,
    pipeline_arr_reconciliation,
    reconciliation_summary,
)
from domain.insights.weighted_pipeline import open_pipeline_rows, weighted_pipeline_by_month
from domain.roles import Access, mask_amounts, mask_small_groups

# Drill-down columns in the words of the page, names before IDs.
PIPELINE_DRILL = {
    "opportunity": "Opportunity",
    "account": "Account",
    "stage_label": "Stage",
    "weight": "Weight",
    "amount": "Amount",
    "currency": "Currency",
    "amount_reporting": "Amount (reporting)",
    "weighted_amount": "Weighted amount",
    "expected_close": "Expected close",
    "slipped": "Slipped",
    "owner": "Owner",
    "segment": "Segment",
    "pipeline": "Pipeline",
    "source": "Source",
    "source_id": "CRM ID",
}
MOVEMENT_CHECK_COLUMNS = {
    "account": "Account",
    "effective_date": "Effective date",
    "movement_component": "Movement",
    "arr_delta": "ARR change",
    "arr_before": "ARR before",
    "problem": "Problem",
    "should_be": "Should be",
    "source_id": "CRM ID",
}
MOVEMENT_DRILL = {
    "effective_date": "Effective date",
    "account": "Account",
    "movement_component": "Movement",
    "arr_delta": "ARR change",
    "currency": "Currency",
    "arr_delta_reporting": "ARR change (reporting)",
    "segment": "Segment",
    "source": "Source",
    "source_id": "CRM ID",
}

ACCOUNT_GROUP_COLUMNS = {
    "account_group": "Parent account",
    "accounts": "Accounts",
    "entities": "Parent and entities",
    "open_pipeline": "Open pipeline",
    "weighted_pipeline": "Weighted pipeline",
    "ending_arr": "Ending ARR",
}


@dataclass(frozen=True)
class FilterOptions:
    segments: list[str]
    owners: list[str]
    pipelines: list[str]
    stages: dict[str, str]  # open canonical stage key -> label, in funnel order
    account_groups: list[str]  # parents with linked entities (an account alone is no group worth a filter)
    first_month: date | None
    last_month: date | None
    last_actual_month: date | None  # month of the latest ARR movement


@dataclass(frozen=True)
class RevenueView:
    pipeline_by_month: pl.DataFrame
    arr_by_month: pl.DataFrame
    bridge: pl.DataFrame
    plan_vs_actual: pl.DataFrame
    reconciliation: pl.DataFrame
    reconciliation_summary: pl.DataFrame
    pipeline_rows: pl.DataFrame  # drill-down under the pipeline chart
    bridge_rows: pl.DataFrame  # drill-down under the bridge
    account_groups: pl.DataFrame  # each parent with its linked entities: pipeline and ending ARR rolled up
    headline: dict[str, float | None]  # weighted_pipeline, ending_arr, net_new_arr over the period (None if masked)
    # For a role that may not see amounts: figures by quarter (disclosure.py) and what was set aside, in words.
    by_quarter: bool = False
    notes: tuple[str, ...] = ()
    # Movements that contradict their customer's history (movement_checks.py), in the page's words.
    movement_checks: pl.DataFrame = field(default_factory=pl.DataFrame)


def filter_options(data: RevenueData) -> FilterOptions:
    """The values a user can filter on, from the data itself."""
    o, m = data.opportunities, data.movements
    dates = pl.concat([o.select(pl.col("expected_close").alias("d")), m.select(pl.col("effective_date").alias("d"))])[
        "d"
    ]
    labels = {s.key: s.label for s in data.stages}
    members = pl.concat([o.select("account_group", "account_id"), m.select("account_group", "account_id")]).unique()
    groups = members.drop_nulls("account_id").group_by("account_group").len().filter(pl.col("len") >= 2)
    return FilterOptions(
        segments=sorted(set(o["segment"].unique().to_list()) | set(m["segment"].unique().to_list())),
        owners=sorted(o["owner"].unique().to_list()),
        pipelines=sorted(o["pipeline"].unique().to_list()),
        stages={k: labels[k] for k in open_stage_keys(data.stages)},
        account_groups=sorted(groups["account_group"].to_list()),
        first_month=first_date(dates),
        last_month=last_date(dates),
        last_actual_month=month_start(latest) if (latest := last_date(m["effective_date"])) else None,
    )


def _drill(frame: pl.DataFrame, columns: dict[str, str], access: Access, limit: int) -> pl.DataFrame:
    present = {k: v for k, v in columns.items() if k in frame.columns}
    return mask_amounts(frame.head(limit).select(list(present)), access).rename(present)


def revenue_view(
    data: RevenueData,
    filters: RevenueFilters,
    access: Access,
    *,
    bridge_start: date,
    bridge_end: date,
    rules: ReconciliationRules = ReconciliationRules(),
    drill_limit: int = 1000,
) -> RevenueView:
    """Compute every figure of the Revenue page; amounts are masked according to `access`.

    Aggregates over fewer than `access.min_accounts` accounts are blanked for masked roles; per-deal
    and per-movement rows (drill-downs, reconciliation) never show amounts to them.
    """
    if not access.sees_amounts:
        return _masked_view(data, filters, access, bridge_start, bridge_end, rules, drill_limit)
    reconciled = pipeline_arr_reconciliation(data, filters, rules, include_matched=True)
    exceptions = reconciled.filter(pl.col("case").is_in(EXCEPTIONS))
    pipeline, arr = weighted_pipeline_by_month(data, filters), arr_by_month(data, filters)
    as_of = arr["month"][-1] if arr.height else (filters.end or bridge_end)
    return RevenueView(
        pipeline_by_month=mask_small_groups(pipeline, access, ["weighted_amount", "amount"]),
        arr_by_month=mask_small_groups(arr, access, ["net_new_arr", "ending_arr"]),
        bridge=mask_small_groups(
            arr_bridge(data, filters, bridge_start, bridge_end), access, ["amount", "bar_start", "bar_end"]
        ),
        plan_vs_actual=mask_small_groups(
            plan_vs_actual(data, filters),
            access,
            ["actual_ending_arr", "ending_variance", "ending_variance_pct", "actual_net_new_arr", "net_new_variance"],
        ),
        reconciliation=mask_amounts(exceptions, access),
        reconciliation_summary=mask_small_groups(reconciliation_summary(reconciled), access, ["amount"]),
        pipeline_rows=_drill(open_pipeline_rows(data, filters), PIPELINE_DRILL, access, drill_limit),
        bridge_rows=_drill(bridge_rows(data, filters, bridge_start, bridge_end), MOVEMENT_DRILL, access, drill_limit),
        # Whole units of the reporting currency: a table of parents reads like the headline figures.
        account_groups=mask_small_groups(
            account_group_rollup(data, filters, as_of).with_columns(
                pl.col("open_pipeline", "weighted_pipeline", "ending_arr").round(0)
            ),
            access,
            ["open_pipeline", "weighted_pipeline", "ending_arr"],
        ).rename(ACCOUNT_GROUP_COLUMNS),
        headline=_headline(data, filters, pipeline, arr, access),
        movement_checks=_movement_checks(data, filters, access),
    )


def _masked_view(
    data: RevenueData,
    filters: RevenueFilters,
    access: Access,
    bridge_start: date,
    bridge_end: date,
    rules: ReconciliationRules,
    drill_limit: int,
) -> RevenueView:
    """The page for a role that may not see amounts: quarters, and nothing two views could be subtracted from to
    tell one customer's amount (see disclosure.py). Drill-downs list records with their amounts masked."""
    k = access.min_accounts
    filters, notes = coarse_filters(filters, data, access)
    bridge_start, bridge_end = quarter_start(bridge_start), quarter_last_month(bridge_end)
    pipeline, arr = quarterly_pipeline(data, filters, k), quarterly_arr(data, filters, k)
    reconciled = pipeline_arr_reconciliation(data, filters, rules, include_matched=True)
    exceptions = reconciled.filter(pl.col("case").is_in(EXCEPTIONS))
    plan = plan_vs_actual(data, filters)
    actual = ["actual_ending_arr", "ending_variance", "ending_variance_pct", "actual_net_new_arr", "net_new_variance"]
    groups = account_group_rollup(data, filters, arr["month"][-1] if arr.height else (filters.end or bridge_end))
    return RevenueView(
        pipeline_by_month=pipeline,
        arr_by_month=arr,
        bridge=masked_bridge(
            arr_bridge(data, filters, bridge_start, bridge_end), data, filters, bridge_start, bridge_end, k
        ),
        # Monthly actuals, per-case and per-parent amounts would each give a finer grid than quarters.
        plan_vs_actual=plan.with_columns(pl.lit(None, pl.Float64).alias(c) for c in actual if c in plan.columns),
        reconciliation=mask_amounts(exceptions, access),
        reconciliation_summary=reconciliation_summary(reconciled).with_columns(
            pl.lit(None, pl.Float64).alias("amount")
        ),
        pipeline_rows=_drill(open_pipeline_rows(data, filters), PIPELINE_DRILL, access, drill_limit),
        bridge_rows=_drill(bridge_rows(data, filters, bridge_start, bridge_end), MOVEMENT_DRILL, access, drill_limit),
        account_groups=groups.with_columns(
            pl.lit(None, pl.Float64).alias(c) for c in ("open_pipeline", "weighted_pipeline", "ending_arr")
        ).rename(ACCOUNT_GROUP_COLUMNS),
        headline={
            "weighted_pipeline": period_total(pipeline, "weighted_amount"),
            "ending_arr": (arr["ending_arr"][-1] if arr.height else 0.0),
            "net_new_arr": period_total(arr, "net_new_arr"),
            # Apart from the quarter it sits in, the slipped part would tell that quarter's rest by subtraction.
            "slipped_pipeline": None,
        },
        by_quarter=True,
        notes=tuple(notes),
        movement_checks=_movement_checks(data, filters, access),
    )


def _movement_checks(data: RevenueData, filters: RevenueFilters, access: Access) -> pl.DataFrame:
    found = movement_exceptions(
        filters.movement_rows(data.movements), reactivation_window_days=filters.reactivation_window_days
    )
    checks = mask_amounts(found, access)
    return checks.rename(MOVEMENT_CHECK_COLUMNS)


def _headline(
    data: RevenueData, filters: RevenueFilters, pipeline: pl.DataFrame, arr: pl.DataFrame, access: Access
) -> dict[str, float | None]:
    """Three figures for the top of the page, each blanked for masked roles below the account threshold."""
    open_rows = open_pipeline_rows(data, filters)
    # Slipped deals are counted wherever the forecast puts them (or not at all), so their figure is taken from
    # every open deal the other filters keep, whatever the period.
    anywhere = replace(filters, start=None, end=None, as_of=None).pipeline_rows(data.opportunities)
    slipped = anywhere.filter(open_deals(data.stages) & close_passed(filters.as_of)) if filters.as_of else None
    figures = pl.DataFrame(
        {
            "figure": ["weighted_pipeline", "ending_arr", "net_new_arr", "slipped_pipeline"],
            "value": [
                weighted_open_pipeline(open_rows, data.stages),
                arr["ending_arr"][-1] if arr.height else 0.0,
                arr["net_new_arr"].sum(),
                slipped_weighted_pipeline(anywhere, data.stages, filters.as_of) if filters.as_of else 0.0,
            ],
            "accounts": [
                open_rows["account_id"].n_unique(),
                arr["accounts"][-1] if arr.height else 0,
                arr["accounts"][-1] if arr.height else 0,
                slipped["account_id"].n_unique() if slipped is not None else 0,
            ],
        }
    )
    masked = mask_small_groups(figures, access, ["value"])
    return {r["figure"]: (round(r["value"], 2) if r["value"] is not None else None) for r in masked.to_dicts()}


def customer_names(data: RevenueData) -> list[str]:
    """Customers with ARR movements, by name (the history preview's choices)."""
    return sorted(data.movements["account"].drop_nulls().unique().to_list())


def customer_history_view(data: RevenueData, customer: str, access: Access, filters: RevenueFilters) -> pl.DataFrame:
    """One customer's movements with ARR before and after each and what the movement policy says of it (amounts
    masked for roles that may not see them)."""
    rows = data.movements.filter(pl.col("account") == customer)
    history = customer_history(rows)
    flagged = movement_exceptions(rows, reactivation_window_days=filters.reactivation_window_days)
    verdict = history.join(
        flagged.select("source_id", pl.col("problem").alias("_problem")), on="source_id", how="left"
    ).with_columns(pl.col("_problem").fill_null("fits the policy").alias("verdict"))
    shown = verdict.select("effective_date", "movement_component", "arr_delta", "arr_before", "arr_after", "verdict")
    return mask_amounts(shown, access).rename(
        {
            "effective_date": "Effective date",
            "movement_component": "Movement",
            "arr_delta": "ARR change",
            "arr_before": "ARR before",
            "arr_after": "ARR after",
            "verdict": "Policy says",
        }
    )
