"""Step 5 · Run sync."""

import streamlit as st

from pages._shell import no_workspace_notice, page_start, run_history, step_header

ctx, workspace = page_start()
if workspace is None:
    st.title("5 · Run sync")
    no_workspace_notice()
    st.stop()
if step_header(ctx, workspace, "sync"):
    st.info("A dry run shows what would be added, changed, removed and quarantined before anything is written; a "
            "real run then commits everything at once or nothing at all.", icon=":material/construction:")

st.subheader("Run history")
run_history(ctx, workspace)
