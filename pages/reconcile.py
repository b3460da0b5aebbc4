"""Step 4 · Reconcile accounts: every CRM account ID gets a canonical account; renames stay one account."""

import streamlit as st

from domain.errors import RevenueConnectorError
from pages._duplicates import duplicate_review
from pages._shell import (
    current_access,
    db_session,
    figure_table,
    inline_error,
    next_step_link,
    readable_objects,
    step_page,
)
from services.reconcile import reconcile_accounts, suggest_accounts_object
from storage.accounts import accounts_overview

ctx, workspace, _ = step_page("reconcile")

choices: dict[str, tuple[int, str]] = {}
for connection, objects in readable_objects(ctx, workspace):
    names = [o.name for o in objects]
    suggested = suggest_accounts_object(names)
    for name in ([suggested] if suggested else []) + [n for n in names if n != suggested]:
        choices[f"{connection.name} · {name}"] = (connection.id, name)


def _reconcile() -> None:
    connection_id, object_name = choices[st.session_state["reconcile_object"]]
    try:
        with db_session(ctx) as session:
            result = reconcile_accounts(session, connection_id, object_name, ctx.settings, access=current_access())
    except RevenueConnectorError as exc:
        st.session_state["reconcile_error"] = exc
        return
    renamed = ""
    if result.renames:
        old_name, new_name = result.renames[0][1], result.renames[0][2]
        renamed = f" {result.renamed} renamed account(s) kept their canonical account (e.g. {old_name} → {new_name})."
    held = ""
    if result.held:
        held = f" {len(result.held)} held back: " + " ".join(result.held_lines()[:5])
    st.session_state["flash"] = (
        "warning" if result.held else "success",
        f"{result.created} new canonical account(s), {result.unchanged} already reconciled.{renamed}{held}",
    )


st.markdown(
    "Accounts are matched **by CRM ID**: a customer renamed in the CRM stays one canonical account. "
    "Likely duplicates (two CRM records for one company) are suggested below side by side for you to merge "
    "or keep apart; nothing is merged without your approval, and every merge can be undone."
)
if not choices:
    st.info("No readable object yet: test a connection in step 1.", icon=":material/info:")
else:
    with st.container(border=True):
        st.selectbox("Object that holds your accounts", list(choices), key="reconcile_object")
        st.button(
            "Reconcile by CRM ID",
            type="primary",
            key="reconcile_run",
            on_click=_reconcile,
            icon=":material/join_inner:",
        )
        inline_error("reconcile_error")

duplicate_review(ctx, workspace)

overview = accounts_overview(ctx.engine, workspace.id)
if overview.is_empty():
    st.info("No canonical accounts yet.", icon=":material/domain:")
else:
    st.subheader("Canonical accounts")
    figure_table(overview, height=400)
next_step_link(ctx, workspace, "reconcile")
