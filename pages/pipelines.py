"""Pipelines (review): what landed, what was curated, and what did not roll up, per run."""

import streamlit as st

from core.wizard import StepStatus
from pages._shell import PAGE_BY_KEY, no_workspace_notice, page_start, run_history, setup_progress
from storage.frames import count_workspace_table

ctx, workspace = page_start("Pipelines")
if workspace is None:
    no_workspace_notice()
    st.stop()
st.caption(f"Workspace **{workspace.name}** · what each sync landed and what did not roll up, with the reason.")

counts = {name: count_workspace_table(ctx.engine, name, workspace.id)
          for name in ("opportunities", "arr_movements", "quarantine")}
with st.container(horizontal=True):
    st.metric("Opportunities landed", f"{counts['opportunities']:,}", border=True)
    st.metric("ARR movements landed", f"{counts['arr_movements']:,}", border=True)
    st.metric("Rows quarantined", f"{counts['quarantine']:,}", border=True)

if not any(counts.values()):
    pending = next((s for s in setup_progress(ctx, workspace) if s.status == StepStatus.CURRENT), None)
    st.info("Nothing has landed in this workspace yet. Rows appear here after the first sync, grouped by what "
            "landed, what was curated, and what did not roll up (unmapped stage, unreconciled account, invalid "
            "row) and why.", icon=":material/inbox:")
    if pending is not None:
        st.page_link(PAGE_BY_KEY[pending.step.key].file,
                     label=f"Continue setup: step {pending.step.number} · {pending.step.title}",
                     icon=":material/arrow_forward:")

st.subheader("Sync runs")
run_history(ctx, workspace)
