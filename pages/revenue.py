"""Revenue (insights): weighted pipeline against ARR actuals, the ARR bridge, plan vs actual, reconciliation."""

from datetime import date

import streamlit as st

from domain.errors import RevenueConnectorError
from domain.insights.data import RevenueFilters, months_between
from domain.insights.disclosure import quarter_label, quarter_last_month, quarter_starts
from domain.insights.forecast import SlippedPolicy
from domain.insights.plan import PLAN_EXAMPLE, parse_plan, plan_table
from domain.insights.reconciliation import ReconciliationRules, opportunity_types, renewal_types
from domain.insights.revenue_view import customer_history_view, customer_names, filter_options, revenue_view
from domain.roles import Permission
from pages._charts import arr_bridge_waterfall, pipeline_against_arr, plan_against_actual
from pages._shell import (
    PAGE_BY_KEY,
    current_access,
    db_session,
    figure_table,
    inline_error,
    no_workspace_notice,
    page_link,
    page_start,
)
from services.exports import to_csv_bytes
from services.revenue import load_revenue_data
from services.setup_changes import replace_plan
from services.stage_calibration import WINDOWS, forecast_weightings
from storage.frames import count_workspace_table
from storage.insights import data_version, latest_change

ctx, workspace = page_start("Revenue")
if workspace is None:
    no_workspace_notice()
    st.stop()
access = current_access()
st.caption(f"Workspace **{workspace.name}** · probability-weighted pipeline against realized ARR.")

if not sum(count_workspace_table(ctx.engine, name, workspace.id) for name in ("opportunities", "arr_movements")):
    st.info(
        "Charts appear after the first successful sync: weighted pipeline by expected-close month against "
        "ending ARR and net new ARR, the ARR bridge (opening → new → expansion → reactivation → contraction → "
        "churn → closing), plan vs actual, and pipeline ↔ ARR reconciliation.",
        icon=":material/monitoring:",
    )
    page_link(PAGE_BY_KEY["sync"], label="Go to step 5 · Run sync", icon=":material/arrow_forward:")
    st.stop()


@st.cache_resource(max_entries=4, show_spinner="Reading the canonical data…")
def _data(workspace_id: int, version: tuple):
    # Keyed by the data version (last run, plan upload): a rerun reuses the frames, a sync refreshes them.
    return load_revenue_data(ctx.engine, workspace_id)


@st.cache_data(max_entries=8, show_spinner="Reading the stage history…")
def _weightings(workspace_id: int, window: str, sees_amounts: bool, changed: int | None):
    # Keyed by the workspace's latest change (a run, a weight, a mapping) and whether the role sees amounts.
    return forecast_weightings(ctx.engine, workspace_id, access, window=window, reporting=currency)


data = _data(workspace.id, data_version(ctx.engine, workspace.id))
options = filter_options(data)
currency = data.reporting_currency


today = date.today()
# Slipped deals count in the current month (forecast.py), so the period reaches it even when no deal closes later.
all_months = months_between(options.first_month, max(options.last_month, today.replace(day=1)))
slipped_policy = SlippedPolicy(workspace.slipped_policy)
with st.container(border=True):
    if access.sees_amounts:
        period = st.select_slider(
            "Period",
            options=all_months,
            value=(all_months[0], all_months[-1]),
            format_func=lambda d: d.strftime("%b %Y"),
            key="revenue_period",
        )
    else:
        # Whole quarters only: two periods a month apart would tell that month's deals (disclosure.py).
        quarters = quarter_starts(all_months)
        chosen = st.select_slider(
            "Period (whole quarters for your role)",
            options=quarters,
            value=(quarters[0], quarters[-1]),
            format_func=quarter_label,
            key="revenue_quarters",
        )
        period = (chosen[0], quarter_last_month(chosen[1]))
    owners: list[str] = []
    pipelines: list[str] = []
    stages: list[str] = []
    if access.sees_amounts:
        seg_col, owner_col, pipe_col, stage_col = st.columns(4)
        owners = owner_col.multiselect("Owner", options.owners, key="revenue_owners", placeholder="All owners")
        pipelines = pipe_col.multiselect(
            "Pipeline", options.pipelines, key="revenue_pipelines", placeholder="All pipelines"
        )
        stages = stage_col.multiselect(
            "Stage",
            list(options.stages),
            key="revenue_stages",
            placeholder="All open stages",
            format_func=lambda k: options.stages[k],
        )
    else:
        seg_col = st.container()
    segments = seg_col.multiselect("Segment", options.segments, key="revenue_segments", placeholder="All segments")
    groups: list[str] = []
    if options.account_groups and access.sees_amounts:
        # Not offered to masked roles: one group against all the others would tell a customer's amount.
        groups = st.multiselect(
            "Parent account (with its linked entities)",
            options.account_groups,
            key="revenue_account_groups",
            placeholder="All accounts",
        )
    st.caption(
        "Owner, pipeline and stage narrow the pipeline and the reconciliation's deals; ARR actuals follow "
        "period, segment and parent account."
    )
filters = RevenueFilters(
    start=period[0],
    end=period[1],
    segments=tuple(segments),
    owners=tuple(owners),
    pipelines=tuple(pipelines),
    stages=tuple(stages),
    account_groups=tuple(groups),
    as_of=today,
    slipped_policy=slipped_policy,
    reactivation_window_days=workspace.reactivation_window_days,
    net_same_month_churn=workspace.net_same_month_churn,
)
if not access.sees_amounts:
    st.info(
        f"Your role ({access.role.label}) sees customer-linked amounts masked: per-deal and per-movement "
        f"amounts read •••, figures are by whole quarter, and a quarter with fewer than {access.min_accounts} "
        "accounts is left out of every total that would contain it.",
        icon=":material/visibility_off:",
    )

# The bridge looks back from the latest actual month: months after it hold no movement yet.
bridge_months = months_between(period[0], max(period[0], min(period[1], options.last_actual_month or period[1])))
if not access.sees_amounts:
    bridge_months = quarter_starts(bridge_months)
bridge_period = st.session_state.get("revenue_bridge_period")
if (
    not isinstance(bridge_period, (tuple, list))
    or len(bridge_period) != 2
    or not set(bridge_period) <= set(bridge_months)
):
    recent = 12 if access.sees_amounts else 4  # a year back
    st.session_state["revenue_bridge_period"] = (
        bridge_months[max(0, len(bridge_months) - recent)],
        bridge_months[-1],
    )
deal_types = opportunity_types(data)
if not set(st.session_state.get("revenue_quiet_types") or []) <= set(deal_types):
    st.session_state.pop("revenue_quiet_types")
st.session_state.setdefault("revenue_quiet_types", renewal_types(deal_types))
rules = ReconciliationRules(
    window_days=int(st.session_state.get("revenue_window", 45)),
    tolerance=float(st.session_state.get("revenue_tolerance", 5.0)) / 100,
    no_movement_types=tuple(st.session_state["revenue_quiet_types"]) if deal_types else None,
)
view = revenue_view(
    data,
    filters,
    access,
    bridge_start=st.session_state["revenue_bridge_period"][0],
    bridge_end=st.session_state["revenue_bridge_period"][1],
    rules=rules,
)


def _money(value: float | None) -> str:
    # Whole units, rounded first so a small negative rest never reads "-0".
    return "•••" if value is None else f"{round(value):,} {currency}"


for note in view.notes:
    st.caption(note)


with st.container(horizontal=True):
    st.metric("Weighted open pipeline", _money(view.headline["weighted_pipeline"]), border=True)
    latest = view.arr_by_month["month"][-1] if view.arr_by_month.height else period[1]
    st.metric(f"Ending ARR, {latest:%b %Y}", _money(view.headline["ending_arr"]), border=True)
    st.metric("Net new ARR in the period", _money(view.headline["net_new_arr"]), border=True)
    st.metric(
        "Slipped pipeline (close date passed)",
        _money(view.headline["slipped_pipeline"]),
        border=True,
        help=f"Weighted open deals whose expected close is before today. Forecast: {slipped_policy.label.lower()} "
        "(Settings). Pipelines lists them by owner.",
    )

pipeline_tab, weighting_tab, bridge_tab, plan_tab, reconciliation_tab, groups_tab = st.tabs(
    [
        "Pipeline vs ARR",
        "Forecast by weighting",
        "ARR bridge",
        "Plan vs actual",
        "Pipeline ↔ ARR reconciliation",
        "By parent account",
    ],
    key="revenue_tab",
    on_change="rerun",
)  # a widget, so the open tab survives reruns (uploads, sliders)

with pipeline_tab:
    if view.pipeline_by_month.is_empty() and view.arr_by_month.is_empty():
        st.info("No open pipeline and no ARR movement in this period and selection.", icon=":material/filter_alt_off:")
    else:
        st.altair_chart(pipeline_against_arr(view.pipeline_by_month, view.arr_by_month, currency), width="stretch")
        st.caption(
            "Bars: open deals weighted by their stage's probability, by expected-close month. Dashed line: "
            "net new ARR per month. Black line (right axis): ending ARR at each month end."
        )
    with st.expander(f"Open deals behind the bars ({view.pipeline_rows.height:,} shown)"):
        figure_table(view.pipeline_rows)

with bridge_tab:
    st.select_slider(
        "Bridge period",
        options=bridge_months,
        key="revenue_bridge_period",
        format_func=(lambda d: d.strftime("%b %Y")) if access.sees_amounts else quarter_label,
    )
    st.altair_chart(arr_bridge_waterfall(view.bridge, currency), width="stretch")
    st.caption(
        "Opening ARR at the start of the first month, closing ARR at the end of the last. Movements count at "
        "their effective-date rate; the FX effect revalues ARR held in other currencies."
    )
    figure_table(view.bridge.select("step", "amount", "accounts"))
    with st.expander(f"Movements in the bridge period ({view.bridge_rows.height:,} shown)"):
        figure_table(view.bridge_rows)
    checks = view.movement_checks
    with st.expander(f"Movements that contradict their customer's history ({checks.height:,})"):
        st.caption(
            "A new movement for a customer that already has ARR, a reactivation for an active one, an expansion "
            "without ARR, a churn that does not end at zero. They count as typed until the CRM record is fixed."
        )
        if checks.is_empty():
            st.success("Every movement fits its customer's history.", icon=":material/check_circle:")
        else:
            figure_table(checks)
    with st.expander("How one customer's history is classified"):
        customers = customer_names(data)
        if customers:
            chosen = st.selectbox("Customer", customers, key="revenue_history_customer")
            figure_table(customer_history_view(data, chosen, access, filters))
        else:
            st.info("No ARR movement yet.", icon=":material/info:")

with plan_tab:
    if view.plan_vs_actual.is_empty():
        st.info(
            "No plan for this period yet. Upload one below: a CSV with month, optional segment, and planned "
            "ending ARR and/or planned net new ARR.",
            icon=":material/upload_file:",
        )
    else:
        st.altair_chart(plan_against_actual(view.plan_vs_actual, currency), width="stretch")
        figure_table(plan_table(view.plan_vs_actual, currency))
    if access.may(Permission.EDIT_SETUP):

        def _save_plan() -> None:
            upload = st.session_state.get("revenue_plan_file")
            if upload is None:
                return
            try:
                plan = parse_plan(upload.getvalue())
                with db_session(ctx) as session:
                    rows = replace_plan(session, workspace.id, plan, access=access)
            except RevenueConnectorError as exc:
                st.session_state["revenue_plan_error"] = exc
                return
            st.session_state["flash"] = ("success", f"Plan saved: {rows} rows from {upload.name}.")

        with st.expander("Upload a plan (replaces the current one)"):
            st.code(PLAN_EXAMPLE, language="csv")
            st.file_uploader("Plan CSV", type=["csv"], key="revenue_plan_file")
            st.button("Save plan", key="revenue_save_plan", on_click=_save_plan, icon=":material/save:")
            inline_error("revenue_plan_error")

with reconciliation_tab:
    window_col, tolerance_col = st.columns(2)
    window_col.number_input(
        "Window (days either side of the close date)", min_value=0, max_value=365, value=45, key="revenue_window"
    )
    tolerance_col.number_input(
        "Amount tolerance (%)", min_value=0.0, max_value=100.0, value=5.0, step=1.0, key="revenue_tolerance"
    )
    if deal_types:
        st.multiselect(
            "Opportunity types that book no ARR movement",
            deal_types,
            key="revenue_quiet_types",
            help="Won deals of these types (a flat renewal) are counted apart, not as exceptions.",
        )
    st.caption(
        "A closed-won deal should appear as a new, expansion or reactivation movement on the same account "
        "within the window, for about the same amount. The summary counts what matched, the won renewals that "
        "book no movement, and each kind of exception; the table lists the exceptions."
    )
    if not view.reconciliation_summary.is_empty():
        figure_table(
            view.reconciliation_summary.rename(
                {"case": "Outcome", "rows": "Rows", "accounts": "Accounts", "amount": f"Amount ({currency})"}
            )
        )
    if view.reconciliation.is_empty():
        st.success(
            "Every won deal in the period has a matching ARR movement, and every movement a won deal.",
            icon=":material/check_circle:",
        )
    else:
        figure_table(view.reconciliation)
        st.download_button(
            "Download reconciliation (CSV)",
            to_csv_bytes(view.reconciliation, currency),
            file_name=f"{workspace.name.lower().replace(' ', '_')}_reconciliation.csv",
            mime="text/csv",
            on_click="ignore",
            key="revenue_reconciliation_csv",
            icon=":material/download:",
        )

with groups_tab:
    if view.account_groups.is_empty():
        st.info(
            "No parent account has linked entities yet. In step 4 · Reconcile, approve a related pair (a regional "
            "or legal entity of one group) to link it under its parent; the CRM's own parent accounts count too.",
            icon=":material/account_tree:",
        )
    else:
        st.caption(
            f"Each parent account with the entities linked under it: open and weighted pipeline, and ending "
            f"ARR at the end of the last month shown, rolled up, in {currency}."
        )
        figure_table(view.account_groups)

with weighting_tab:
    window = st.selectbox(
        "Historical rates from deals closed in", list(WINDOWS), index=1, key="revenue_rates_window", width=280
    )
    weightings = _weightings(workspace.id, window, access.sees_amounts, latest_change(ctx.engine, workspace.id))
    st.caption(
        "The open pipeline weighted by each stage's configured weight, and by its historical rate: the share of "
        "closed deals that reached the stage and won (Settings shows the evidence). A stage with too few closed "
        "deals keeps its configured weight under both; a deal with its own probability keeps it under both. "
        "All open deals, whatever the filters above."
    )
    if weightings.configured is None or weightings.historical is None:
        st.caption("Amounts per stage are left out for your role: one stage's total can be one customer's deal.")
    else:
        with st.container(horizontal=True):
            st.metric("At configured weights", _money(weightings.configured), border=True)
            st.metric(
                "At historical rates",
                _money(weightings.historical),
                delta=f"{round(weightings.historical - weightings.configured):+,} {currency}",
                delta_color="off",
                border=True,
            )
    figure_table(weightings.table)
