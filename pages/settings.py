"""Settings: workspaces, canonical stages, and how this installation is configured."""

import polars as pl
import streamlit as st

from domain.errors import RevenueConnectorError
from domain.insights.forecast import SlippedPolicy
from domain.roles import LOCAL_ADMIN, Permission, Role
from domain.stage_set import stage_set_revision, stages_from_rows
from pages._alerts import alert_settings_form
from pages._calibration import stage_calibration_panel
from pages._shell import current_access, db_session, editor_rows, figure_table, inline_error, page_start
from services.activity import activity_rows
from services.setup_changes import create_workspace, save_stage_set, set_movement_policy, set_slipped_policy
from services.users import create_user, list_users
from storage.db import display_database_url, schema_status
from storage.workspaces import load_stage_set

ctx, workspace = page_start("Settings")

st.subheader("Workspaces")


def _create_workspace() -> None:
    try:
        with db_session(ctx) as session:
            created = create_workspace(
                session,
                st.session_state.get("settings_workspace_name", ""),
                access=current_access(),
                reporting_currency=st.session_state.get("settings_workspace_currency", "USD"),
            )
    except RevenueConnectorError as exc:
        st.session_state["settings_workspace_error"] = exc
        return
    st.session_state["workspace_name"] = created.name
    st.query_params["ws"] = created.name
    st.session_state["settings_workspace_name"] = ""
    st.session_state["flash"] = ("success", f"Workspace '{created.name}' created and selected.")


with st.container(border=True):
    name_col, currency_col = st.columns([3, 1])
    name_col.text_input("New workspace name", key="settings_workspace_name")
    currency_col.text_input("Reporting currency", value="USD", max_chars=3, key="settings_workspace_currency")
    st.button("Create workspace", icon=":material/add:", key="settings_create_workspace", on_click=_create_workspace)
    inline_error("settings_workspace_error")

if workspace is not None:
    st.subheader(f"Canonical stages · {workspace.name}")
    st.caption(
        "Rename, reweight, add or reorder stages. Closed won always weighs 100% and closed lost 0%; "
        "they can be renamed but not removed."
    )
    with db_session(ctx) as session:
        stages = load_stage_set(session, workspace.id)
    rows = [{"order": s.order, "label": s.label, "weight": s.weight, "key": s.key} for s in stages]
    editor_key = f"settings_stages_{stage_set_revision(stages)}"

    def _save_stages() -> None:
        try:
            edited = editor_rows(rows, st.session_state.get(editor_key))
            with db_session(ctx) as session:
                save_stage_set(session, workspace.id, stages_from_rows(edited), access=current_access())
        except RevenueConnectorError as exc:
            st.session_state["settings_stages_error"] = exc
            return
        st.session_state["flash"] = ("success", "Stages saved.")

    st.data_editor(
        pl.DataFrame(rows),
        key=editor_key,
        num_rows="dynamic",
        hide_index=True,
        width="content",
        column_config={
            "order": st.column_config.NumberColumn("order", min_value=1, step=1, required=True),
            "label": st.column_config.TextColumn("stage", required=True),
            "weight": st.column_config.NumberColumn(
                "weight", min_value=0.0, max_value=1.0, step=0.05, format="percent", required=True
            ),
            "key": st.column_config.TextColumn("key", disabled=True, help="Set from the label for new stages."),
        },
    )
    st.button("Save stages", type="primary", key="settings_save_stages", icon=":material/save:", on_click=_save_stages)
    inline_error("settings_stages_error")
    stage_calibration_panel(ctx, workspace, "settings_calibration")

if workspace is not None:
    st.subheader(f"Slipped deals · {workspace.name}")
    st.caption(
        "Open deals whose expected close date has passed. Whatever you choose, Revenue shows their weighted "
        "amount as its own figure and Pipelines lists them by owner."
    )
    current_policy = SlippedPolicy(workspace.slipped_policy)

    def _save_slipped_policy() -> None:
        chosen = st.session_state["settings_slipped_policy"]
        try:
            with db_session(ctx) as session:
                set_slipped_policy(session, workspace.id, chosen, access=current_access())
        except RevenueConnectorError as exc:
            st.session_state["settings_slipped_error"] = exc
            return
        st.session_state["flash"] = ("success", f"Slipped deals: {chosen.label.lower()}.")

    st.radio(
        "In the forecast",
        list(SlippedPolicy),
        index=list(SlippedPolicy).index(current_policy),
        format_func=lambda policy: policy.label,
        key="settings_slipped_policy",
        on_change=_save_slipped_policy,
        disabled=not current_access().may(Permission.EDIT_SETUP),
    )
    inline_error("settings_slipped_error")

    st.subheader(f"Movement policy · {workspace.name}")
    st.caption(
        "How ARR movements are judged against each customer's history (Revenue lists those that contradict it). "
        "A customer whose ARR returns after reaching zero is reactivated; with a window, only within it and new "
        "after it. A customer new and churned in the same month counts in both bars unless you net them out; "
        "currency moves are their own bridge bar (FX effect)."
    )
    window = workspace.reactivation_window_days

    def _save_window() -> None:
        days = st.session_state["settings_reactivation_days"] if st.session_state["settings_windowed"] else None
        net = bool(st.session_state["settings_net_same_month"])
        try:
            with db_session(ctx) as session:
                set_movement_policy(
                    session,
                    workspace.id,
                    reactivation_window_days=days,
                    net_same_month_churn=net,
                    access=current_access(),
                )
        except RevenueConnectorError as exc:
            st.session_state["settings_window_error"] = exc
            return
        st.session_state["flash"] = (
            "success",
            "Reactivation: "
            + ("at any time after churn" if days is None else f"within {days} days of churn")
            + ("; same-month new and churn net out." if net else "; same-month new and churn both count."),
        )

    may_edit = current_access().may(Permission.EDIT_SETUP)
    st.toggle(
        "Reactivate only within a window", value=window is not None, key="settings_windowed", disabled=not may_edit
    )
    st.number_input(
        "Reactivation window (days after churn)",
        1,
        3650,
        window or 90,
        key="settings_reactivation_days",
        disabled=not may_edit,
    )
    st.toggle(
        "Net out a customer who is new and churns in the same month",
        value=workspace.net_same_month_churn,
        key="settings_net_same_month",
        disabled=not may_edit,
        help="Off (as ChartMogul): the month shows the customer in New and in Churn. On: neither bar shows them.",
    )
    st.button("Save movement policy", key="settings_save_window", on_click=_save_window, disabled=not may_edit)
    inline_error("settings_window_error")

    st.subheader(f"Alerts · {workspace.name}")
    if current_access().may(Permission.EDIT_SETUP):
        alert_settings_form(ctx, workspace)
    else:
        st.caption("Admins and finance users set alert thresholds and channels.")

st.subheader("This installation")
status = schema_status(ctx.engine)
settings = ctx.settings
figure_table(
    pl.DataFrame(
        {
            "Setting": ["Data folder", "Database", "Schema version", "Secret key", "LLM suggestions", "Demo workspace"],
            "Value": [
                str(settings.data_dir),
                display_database_url(settings.database_url),
                f"{status.current} (this release needs {status.head})",
                "from REVENUE_CONNECTOR_SECRET_KEY" if settings.secret_key else f"key file {settings.secret_key_file}",
                f"{settings.llm.model} at {settings.llm.base_url or 'OpenAI'}"
                if settings.llm.configured
                else "off (suggestions work offline)",
                "on" if settings.demo_enabled else "off (REVENUE_CONNECTOR_DEMO=0)",
            ],
        }
    )
)

if workspace is not None:
    st.subheader("Recent activity")
    with db_session(ctx) as session:
        activity = activity_rows(session, workspace.id, st.context.timezone or "UTC")
    if activity.height:
        st.caption(f"Times in your time zone ({st.context.timezone or 'UTC'}).")
        figure_table(activity)

st.subheader("Users and roles")
_access = current_access()
if not _access.may(Permission.MANAGE_USERS):
    st.caption("Only an admin manages users.")
else:
    with db_session(ctx) as session:
        _users = [
            {"User": u.username, "Name": u.display_name or "", "Role": Role(u.role).label, "Enabled": not u.disabled}
            for u in list_users(session)
        ]
    if _users:
        figure_table(pl.DataFrame(_users))
    else:
        st.info(
            "No users yet: this installation runs in local single-user mode, where you are admin. "
            "Create the first user (an admin) and everyone, you included, signs in from then on.",
            icon=":material/person:",
        )

    def _add_user() -> None:
        try:
            with db_session(ctx) as session:
                created = create_user(
                    session,
                    st.session_state.get("settings_user_name", ""),
                    role=Role(st.session_state["settings_user_role"]),
                    password=st.session_state.get("settings_user_password") or None,
                    actor=current_access(),
                )
        except RevenueConnectorError as exc:
            st.session_state["settings_user_error"] = exc
            return
        if current_access().actor == LOCAL_ADMIN:
            st.session_state["signed_in_user"] = created.username  # the first admin carries on signed in
        st.session_state["settings_user_password"] = ""
        st.session_state["flash"] = ("success", f"User {created.username} added as {created.role}.")

    with st.container(border=True):
        name_col, role_col, password_col = st.columns([2, 1, 2])
        name_col.text_input("User name (e-mail for single sign-on)", key="settings_user_name")
        role_col.selectbox(
            "Role", [r.value for r in Role], key="settings_user_role", index=0 if not _users else len(Role) - 1
        )
        password_col.text_input(
            "Password (at least 10 characters; empty for single sign-on only)",
            type="password",
            key="settings_user_password",
        )
        st.caption(
            "Admin: everything, users and connections · Finance: sees amounts, edits mappings · "
            "Reviewer: approves suggestions, amounts masked · Viewer: charts and tables, amounts masked."
        )
        st.button("Add user", icon=":material/person_add:", key="settings_add_user", on_click=_add_user)
        inline_error("settings_user_error")
