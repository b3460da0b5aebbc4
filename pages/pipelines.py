"""Pipelines (review): for a run, what landed, what was curated, and what did not roll up — and why."""

from datetime import date

import streamlit as st

from domain.roles import Access
from domain.setup_steps import StepStatus
from pages._alerts import alerts_panel, has_open_alerts
from pages._field_drift import fields_held_panel
from pages._shell import (
    PAGE_BY_KEY,
    current_access,
    figure_table,
    no_workspace_notice,
    page_link,
    page_start,
    run_history,
    setup_progress,
)
from services.exports import to_csv_bytes
from services.revenue import slipped_deals_by_owner
from services.run_review import review_run, runs_for_review
from storage.insights import data_version

ctx, workspace = page_start("Pipelines")
if workspace is None:
    no_workspace_notice()
    st.stop()
st.caption(f"Workspace **{workspace.name}** · what each sync landed and what did not roll up, with the reason.")

runs = runs_for_review(ctx.engine, workspace.id)
# Open alerts come first; seen ones (or none) sit with the run history at the end.
alerts_first = has_open_alerts(ctx, workspace)
if alerts_first:
    alerts_panel(ctx, workspace)
if runs.is_empty():
    pending = next((s for s in setup_progress(ctx, workspace) if s.status == StepStatus.CURRENT), None)
    st.info(
        "Nothing has landed in this workspace yet. After the first sync this page shows what landed, what was "
        "curated, and what did not roll up (unmapped stage, unreconciled account, invalid row) and why.",
        icon=":material/inbox:",
    )
    if pending is not None:
        page_link(
            PAGE_BY_KEY[pending.step.key],
            label=f"Continue setup: step {pending.step.number} · {pending.step.title}",
            icon=":material/arrow_forward:",
        )
    st.stop()

run_id = st.selectbox(
    "Run",
    runs["id"].to_list(),
    key="pipelines_run",
    format_func=lambda i: f"Run #{i}" + (" (latest)" if i == runs["id"][0] else ""),
)
review = review_run(ctx.engine, workspace.id, run_id, current_access())
run = review.run
with st.container(horizontal=True):
    st.metric("Rows read", f"{run['rows_read']:,}", border=True)
    st.metric("Added", f"{run['rows_added']:,}", border=True)
    st.metric("Changed", f"{run['rows_changed']:,}", border=True)
    st.metric("Removed", f"{run['rows_tombstoned']:,}", border=True)
    st.metric("Did not roll up", f"{run['rows_quarantined']:,}", border=True)

st.subheader("What landed")
figure_table(review.landed)
st.subheader("What was curated")
figure_table(review.curated)

st.subheader("What did not roll up")
if review.not_rolled_up.is_empty():
    st.success("Every row rolled up.", icon=":material/check_circle:")
else:
    figure_table(review.not_rolled_up.drop("fix_step", "reason_code"))
    for step_key in review.not_rolled_up["fix_step"].unique().sort().to_list():
        if step_key:
            page = PAGE_BY_KEY[step_key]
            page_link(page, label=f"Fix in {page.title}", icon=":material/build:")
    with st.expander(f"All {review.quarantine.height} quarantined rows"):
        figure_table(review.quarantine)
        st.download_button(
            "Download quarantine (CSV)",
            to_csv_bytes(review.quarantine, workspace.reporting_currency),
            file_name=f"quarantine_run_{run_id}.csv",
            mime="text/csv",
            on_click="ignore",
            key="pipelines_quarantine_csv",
            icon=":material/download:",
        )

st.subheader("Slipped deals by owner")


@st.cache_data(max_entries=8, show_spinner="Reading open deals…")
def _slipped_by_owner(workspace_id: int, version: tuple, access: Access, as_of: date):
    # Keyed by the data version, like Revenue: a rerun reuses the table, a sync refreshes it.
    return slipped_deals_by_owner(ctx.engine, workspace_id, access, as_of)


slipped = _slipped_by_owner(workspace.id, data_version(ctx.engine, workspace.id), current_access(), date.today())
if slipped.is_empty():
    st.success("No open deal has an expected close in the past.", icon=":material/check_circle:")
else:
    st.caption(
        "Open deals whose expected close date has passed: move the date or close the deal in the CRM. "
        "Revenue shows them apart from the rest of the pipeline (Settings decides how the forecast counts them)."
    )
    figure_table(slipped)

fields_held_panel(ctx, workspace)

st.subheader("Sync runs")
run_history(ctx, workspace)
if not alerts_first:
    alerts_panel(ctx, workspace)
