"""Revenue Connector: router. Opens the database, builds navigation, shows the shared sidebar."""

import logging

from core.memory import return_freed_memory_promptly

return_freed_memory_promptly()  # before the pages import polars

import streamlit as st

from pages._shell import (
    PAGES,
    app_context,
    current_workspace,
    setup_progress,
    sidebar_progress,
    sign_in_gate,
    signed_in_badge,
    workspace_picker,
)

logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")

st.set_page_config(page_title="Revenue Connector", page_icon=":material/account_balance:", layout="wide")

ctx = app_context()
access = sign_in_gate(ctx)

# A role sees only the pages it may use; the first of them opens by default.
allowed = [spec for spec in PAGES if access.may(spec.permission)]
sections: dict[str, list] = {}
for spec in allowed:
    sections.setdefault(spec.section, []).append(
        st.Page(spec.file, title=spec.title, icon=spec.icon, url_path=spec.key, default=spec is allowed[0])
    )
page = st.navigation(sections)

st.sidebar.markdown("### :material/account_balance: Revenue Connector")
signed_in_badge(access)
workspace = current_workspace(ctx)
workspace_picker(ctx, workspace)
if workspace is not None:
    sidebar_progress(setup_progress(ctx, workspace))
    if workspace.is_demo:
        st.sidebar.caption("Demo workspace: a local Salesforce sandbox with generated data, safe to explore.")

page.run()
