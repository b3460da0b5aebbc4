"""Revenue Connector: router. Opens the database, builds navigation, shows the shared sidebar."""

import logging

import streamlit as st

from pages._shell import PAGES, app_context, current_workspace, setup_progress, sidebar_progress, workspace_picker

logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")

st.set_page_config(page_title="Revenue Connector", page_icon=":material/account_balance:", layout="wide")

ctx = app_context()

sections: dict[str, list] = {}
for spec in PAGES:
    sections.setdefault(spec.section, []).append(
        st.Page(spec.file, title=spec.title, icon=spec.icon, url_path=spec.key, default=spec.key == "connect")
    )
page = st.navigation(sections)

st.sidebar.markdown("### :material/account_balance: Revenue Connector")
workspace = current_workspace(ctx)
workspace_picker(ctx, workspace)
if workspace is not None:
    sidebar_progress(setup_progress(ctx, workspace))
    if workspace.is_demo:
        st.sidebar.caption("Demo workspace: a local Salesforce sandbox with generated data, safe to explore.")

page.run()
