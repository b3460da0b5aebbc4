"""Revenue (insights): weighted pipeline against ARR actuals."""

import streamlit as st

from pages._shell import PAGE_BY_KEY, no_workspace_notice, page_start
from storage.frames import count_workspace_table

ctx, workspace = page_start("Revenue")
if workspace is None:
    no_workspace_notice()
    st.stop()
st.caption(f"Workspace **{workspace.name}** · probability-weighted pipeline against realized ARR.")

landed = sum(count_workspace_table(ctx.engine, name, workspace.id) for name in ("opportunities", "arr_movements"))
if not landed:
    st.info("Charts appear after the first successful sync: weighted pipeline by expected-close month against "
            "ending ARR and net new ARR, the ARR bridge (opening → new → expansion → reactivation → contraction → "
            "churn → closing), plan vs actual, and pipeline ↔ ARR reconciliation.", icon=":material/monitoring:")
    st.page_link(PAGE_BY_KEY["connect"].file, label="Go to setup", icon=":material/arrow_forward:")
else:
    st.info(f"{landed:,} canonical rows are stored; the Revenue charts are not part of this release yet.",
            icon=":material/construction:")
