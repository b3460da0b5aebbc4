"""Step 4 · Reconcile accounts."""

import streamlit as st

from pages._shell import step_page

ctx, workspace, _ = step_page("reconcile")

st.info("Here each CRM account is matched onto a canonical account by its CRM ID, so a renamed customer stays one "
        "account. Suggested duplicates (same website, names equal after removing 'Inc.', …) are shown side by side "
        "for you to merge or keep apart; nothing is merged without your approval, and every merge is audited.",
        icon=":material/construction:")
