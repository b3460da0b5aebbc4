"""Step 4 · Reconcile accounts."""

import streamlit as st

from pages._shell import no_workspace_notice, page_start, step_header

ctx, workspace = page_start()
if workspace is None:
    st.title("4 · Reconcile accounts")
    no_workspace_notice()
    st.stop()
if not step_header(ctx, workspace, "reconcile"):
    st.stop()

st.info("Here each CRM account is matched onto a canonical account by its CRM ID, so a renamed customer stays one "
        "account. Suggested duplicates (same website, names equal after removing 'Inc.', …) are shown side by side "
        "for you to merge or keep apart; nothing is merged without your approval, and every merge is audited.",
        icon=":material/construction:")
