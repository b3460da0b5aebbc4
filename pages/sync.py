"""Step 5 · Run sync."""

import streamlit as st

from pages._shell import run_history, step_page

ctx, workspace, step_open = step_page("sync", stop_when_blocked=False)
if step_open:
    st.info("A dry run shows what would be added, changed, removed and quarantined before anything is written; a "
            "real run then commits everything at once or nothing at all.", icon=":material/construction:")

st.subheader("Run history")
run_history(ctx, workspace)
