"""Shared Streamlit widgets: app context, workspace picker, setup stepper, friendly errors.

Pages import from here so that no page repeats another's layout code. Nothing here computes a
business figure: it reads state, calls core/storage, and renders.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

import streamlit as st
from sqlalchemy import Engine

from domain.config import Settings, load_settings
from domain.errors import NotSignedIn, RevenueConnectorError, SchemaOutdated, SessionExpired
from domain.roles import LOCAL_ADMIN, Access, Permission, Role
from domain.setup_steps import STEPS, StepState, StepStatus
from services.session_tokens import SESSION_COOKIE, SESSION_SECONDS, issue_session_token, username_from_token
from services.setup_progress import workspace_progress
from services.users import access_for, sign_in, users_defined
from storage.db import session_scope, upgrade
from storage.tables import Workspace
from storage.workspaces import list_workspaces

log = logging.getLogger("revenue_connector.app")


@dataclass(frozen=True)
class PageSpec:
    key: str
    file: str
    title: str
    icon: str
    section: str
    permission: Permission = Permission.VIEW  # who sees the page in the navigation


# The one list of pages: app.py builds navigation from it and pages link to each other through it.
PAGES: tuple[PageSpec, ...] = (
    PageSpec("connect", "pages/connect.py", "1 · Connect", ":material/cable:", "Setup", Permission.MANAGE_CONNECTIONS),
    PageSpec(
        "domains", "pages/domains.py", "2 · Choose domains", ":material/alt_route:", "Setup", Permission.EDIT_SETUP
    ),
    PageSpec(
        "mapping",
        "pages/mapping.py",
        "3 · Map fields & stages",
        ":material/schema:",
        "Setup",
        Permission.APPROVE_SUGGESTIONS,
    ),
    PageSpec(
        "reconcile",
        "pages/reconcile.py",
        "4 · Reconcile accounts",
        ":material/join_inner:",
        "Setup",
        Permission.APPROVE_SUGGESTIONS,
    ),
    PageSpec("sync", "pages/sync.py", "5 · Run sync", ":material/sync:", "Setup", Permission.RUN_SYNC),
    PageSpec("pipelines", "pages/pipelines.py", "Pipelines", ":material/fact_check:", "Review"),
    PageSpec("revenue", "pages/revenue.py", "Revenue", ":material/monitoring:", "Insights"),
    PageSpec("exports", "pages/exports.py", "Exports", ":material/download:", "Data"),
    PageSpec("settings", "pages/settings.py", "Settings", ":material/settings:", "Settings", Permission.EDIT_SETUP),
)
PAGE_BY_KEY = {p.key: p for p in PAGES}

_STATUS_ICON = {
    StepStatus.DONE: ":material/check_circle:",
    StepStatus.CURRENT: ":material/radio_button_checked:",
    StepStatus.ATTENTION: ":material/warning:",
    StepStatus.BLOCKED: ":material/lock:",
}


@dataclass(frozen=True)
class AppContext:
    settings: Settings
    engine: Engine


@st.cache_resource(show_spinner="Opening the workspace database…")
def _start(database_url: str, data_dir: str) -> Engine:
    # Keyed by URL and folder so a changed DATABASE_URL opens a new engine. Errors are not cached:
    # the next rerun tries again, so fixing the database needs no restart.
    from services.startup import start

    settings = load_settings()
    assert settings.database_url == database_url and str(settings.data_dir) == data_dir
    return start(settings)


def app_context() -> AppContext:
    """Settings and an open database, or a full-page explanation of what is wrong (and stop)."""
    settings = load_settings()
    try:
        engine = _start(settings.database_url, str(settings.data_dir))
    except RevenueConnectorError as exc:
        log.error("startup failed: %s", exc)
        _startup_error_page(settings, exc)
        _no_page_list()
        st.stop()
    return AppContext(settings, engine)


def _startup_error_page(settings: Settings, exc: RevenueConnectorError) -> None:
    st.title("Revenue Connector")
    st.error(exc.user_message, icon=":material/error:")
    if exc.hint:
        st.markdown(exc.hint)
    if isinstance(exc, SchemaOutdated):
        st.button("Upgrade database", type="primary", key="startup_upgrade", on_click=_upgrade, args=(settings,))
    st.caption("Your data has not been changed or deleted.")


def _upgrade(settings: Settings) -> None:
    try:
        backup = upgrade(settings)
    except RevenueConnectorError as exc:
        st.session_state["flash"] = ("error", str(exc))
        return
    _start.clear()
    note = f" A copy of the old file is at {backup}." if backup else ""
    st.session_state["flash"] = ("success", f"Database upgraded.{note}")


@contextmanager
def db_session(ctx: AppContext) -> Iterator:
    with session_scope(ctx.engine) as session:
        yield session


def current_access() -> Access:
    """Who is using this tab and with which role (set by `sign_in_gate` in app.py)."""
    access = st.session_state.get("access")
    return access if isinstance(access, Access) else Access(LOCAL_ADMIN, Role.ADMIN)


def _sso_configured() -> bool:
    try:
        return "auth" in st.secrets
    except FileNotFoundError:
        return False


def sign_in_gate(ctx: AppContext) -> Access:
    """The reader's Access; with users defined and nobody signed in, a sign-in form (and stop)."""
    problem: RevenueConnectorError | None = None
    with db_session(ctx) as session:
        defined = users_defined(session)
        name = st.session_state.get("signed_in_user")
        if not name and defined and not st.session_state.get("signed_out"):
            # A reload, a typed link or a new tab: the browser's signed session cookie says who this is.
            try:
                name = username_from_token(ctx.settings, st.context.cookies.get(SESSION_COOKIE))
            except SessionExpired as exc:
                st.session_state["session_cookie"] = ""  # cleared below, with the sign-in form
                problem = exc
            if name:
                st.session_state["signed_in_user"] = name
        if not name and defined and _sso_configured() and st.user.is_logged_in:
            name = st.user.get("email")
        try:
            access = access_for(session, name, min_accounts=ctx.settings.mask_min_accounts)
        except NotSignedIn as exc:
            access = None
            problem = exc if name else problem
    if access is not None:
        st.session_state["access"] = access
        _write_session_cookie()
        return access
    if name:  # a cookie for a user who no longer exists or was disabled
        st.session_state.pop("signed_in_user", None)
        st.session_state["session_cookie"] = ""
    st.session_state.pop("access", None)
    _write_session_cookie()
    st.title("Revenue Connector")
    st.subheader("Sign in")
    if problem is not None:
        show_error(problem)
    inline_error("sign_in_error")
    with st.form("sign_in"):
        st.text_input("User name", key="sign_in_name", autocomplete="username")
        st.text_input("Password", type="password", key="sign_in_password", autocomplete="current-password")
        st.form_submit_button("Sign in", type="primary", on_click=_sign_in, args=(ctx,))
    if _sso_configured():
        st.button("Sign in with single sign-on", on_click=st.login, key="sign_in_sso")
    _no_page_list()
    st.stop()


def _no_page_list() -> None:
    """Before the app's own navigation exists, declare an empty one: otherwise Streamlit lists every module in
    pages/ (its internal helpers too) in the sidebar, and each opens a blank page."""
    st.navigation([st.Page(_nothing, title="Revenue Connector", url_path="start")], position="hidden")


def _nothing() -> None:
    """The page behind a stopped start: everything it shows was drawn before the stop."""


def _client_address() -> str:
    """The browser's address as Streamlit sees it (behind a proxy, the proxy's), for sign-in throttling."""
    address = st.context.ip_address
    return address if isinstance(address, str) and address else "browser"


def _sign_in(ctx: AppContext) -> None:
    with db_session(ctx) as session:
        try:
            access = sign_in(
                session,
                st.session_state["sign_in_name"],
                st.session_state["sign_in_password"],
                client=_client_address(),
                min_accounts=ctx.settings.mask_min_accounts,
            )
        except NotSignedIn as exc:
            st.session_state["sign_in_error"] = exc
            return
    st.session_state["signed_in_user"] = access.actor
    st.session_state["sign_in_password"] = ""
    st.session_state["session_cookie"] = issue_session_token(ctx.settings, access.actor)
    st.session_state.pop("signed_out", None)


def _write_session_cookie() -> None:
    """Set (or, for an empty value, clear) the browser's session cookie once, after a sign-in or a sign-out.

    Streamlit cannot set a cookie from the server, so a line of JavaScript does; the value is signed and expiring
    (services/session_tokens.py), so a cookie someone edits or keeps too long signs nobody in.
    """
    value = st.session_state.pop("session_cookie", None)
    if value is None:
        return
    age = SESSION_SECONDS if value else 0
    st.html(
        f"<script>document.cookie = '{SESSION_COOKIE}={value}; path=/; max-age={age}; SameSite=Strict'"
        " + (location.protocol === 'https:' ? '; Secure' : '');</script>",
        unsafe_allow_javascript=True,
    )


def sign_out() -> None:
    for key in ("signed_in_user", "access"):
        st.session_state.pop(key, None)
    # This tab's connection still carries the old cookie: ignore it until someone signs in again.
    st.session_state["signed_out"] = True
    st.session_state["session_cookie"] = ""
    if _sso_configured() and st.user.is_logged_in:
        st.logout()


def signed_in_badge(access: Access) -> None:
    """Sidebar line with who is signed in, the role, and a sign-out button (only when users exist)."""
    if access.actor == LOCAL_ADMIN:
        return
    masked = "" if access.sees_amounts else " · amounts masked"
    st.sidebar.caption(f":material/person: **{access.actor}** · {access.role.label}{masked}")
    st.sidebar.button("Sign out", key="sidebar_sign_out", on_click=sign_out, icon=":material/logout:")


def current_workspace(ctx: AppContext) -> Workspace | None:
    """The workspace chosen in this tab: ?ws=NAME on a direct link, else the last picked, else the first."""
    with db_session(ctx) as session:
        workspaces = list_workspaces(session)
    if not workspaces:
        return None
    by_name = {w.name: w for w in workspaces}
    wanted = st.query_params.get("ws") or st.session_state.get("workspace_name")
    chosen = by_name.get(wanted) if wanted else None
    chosen = chosen or workspaces[0]
    st.session_state["workspace_name"] = chosen.name
    return chosen


def workspace_picker(ctx: AppContext, workspace: Workspace | None) -> None:
    """Sidebar selector; the choice is kept per tab and in the URL so links can be shared."""
    with db_session(ctx) as session:
        names = [w.name for w in list_workspaces(session)]
    if not names or workspace is None:
        st.sidebar.info("No workspace yet. Create one in Settings.")
        return

    def _picked() -> None:
        st.session_state["workspace_name"] = st.session_state["sidebar_workspace"]
        st.query_params["ws"] = st.session_state["sidebar_workspace"]

    # Keep the widget in step with the chosen workspace (a direct link, or one just created in Settings).
    st.session_state["sidebar_workspace"] = workspace.name
    st.sidebar.selectbox("Workspace", names, key="sidebar_workspace", on_change=_picked)


def setup_progress(ctx: AppContext, workspace: Workspace) -> list[StepState]:
    with db_session(ctx) as session:
        return workspace_progress(session, workspace.id)


def sidebar_progress(states: list[StepState]) -> None:
    """Compact checklist of the five steps under the navigation."""
    done = sum(1 for s in states if s.status == StepStatus.DONE)
    st.sidebar.progress(done / len(STEPS), text=f"Setup: {done} of {len(STEPS)} steps done")


def flash() -> None:
    """Show (once) the message a callback left for the next run."""
    message = st.session_state.pop("flash", None)
    if message:
        kind, text = message
        {"success": st.success, "error": st.error, "info": st.info, "warning": st.warning}[kind](text)


def show_error(exc: RevenueConnectorError) -> None:
    """A typed error as the user should see it: what happened, then what to do."""
    st.error(exc.user_message, icon=":material/error:")
    if exc.hint:
        st.caption(exc.hint)


def editor_rows(original: list[dict], changes: dict | None) -> list[dict]:
    """The rows a st.data_editor shows after the user's edits, from its change set in session state."""
    changes = changes or {}
    deleted = set(changes.get("deleted_rows", []))
    edited = {int(k): v for k, v in changes.get("edited_rows", {}).items()}
    rows = [{**row, **edited.get(index, {})} for index, row in enumerate(original) if index not in deleted]
    rows.extend(dict(added) for added in changes.get("added_rows", []))
    return rows


def inline_error(key: str) -> None:
    """Show (once) the error a callback stored under `key`, right where the user acted."""
    error = st.session_state.pop(key, None)
    if error is not None:
        show_error(error)


def step_header(ctx: AppContext, workspace: Workspace, step_key: str) -> bool:
    """Title, the five-step stepper and what is done / next. False when an earlier step blocks this one."""
    states = setup_progress(ctx, workspace)
    state = next(s for s in states if s.step.key == step_key)
    st.title(f"{state.step.number} · {state.step.title}")
    st.caption(f"Workspace **{workspace.name}** · {state.step.summary}")
    columns = st.columns(len(states))
    for column, s in zip(columns, states, strict=True):
        with column:
            label = f"{s.step.number} · {s.step.title}"
            page = PAGE_BY_KEY[s.step.key]
            page_link(page, label=label, icon=_STATUS_ICON[s.status], disabled=s.step.key == step_key)
    if state.status == StepStatus.BLOCKED and state.blocked_by is not None:
        blocker = next(s for s in states if s.step == state.blocked_by)
        st.warning(
            f"Finish step {blocker.step.number} · {blocker.step.title} first. {blocker.todo_note}",
            icon=":material/lock:",
        )
        page_link(
            PAGE_BY_KEY[blocker.step.key], label=f"Go to step {blocker.step.number}", icon=":material/arrow_forward:"
        )
        return False
    if state.status == StepStatus.DONE:
        st.success(f"Done. {state.done_note} {state.todo_note}".strip(), icon=":material/check_circle:")
    elif state.status == StepStatus.ATTENTION:
        st.warning(f"Not done yet. {state.done_note} But {state.todo_note}", icon=":material/warning:")
    else:
        st.info(f"To do: {state.todo_note}", icon=":material/pending:")
    # An earlier step a sync would still hold rows for: say so here too, with the way to fix it.
    for earlier in states[: state.step.number - 1]:
        if earlier.status == StepStatus.ATTENTION:
            st.warning(
                f"Step {earlier.step.number} · {earlier.step.title}: {earlier.todo_note}", icon=":material/warning:"
            )
            page_link(
                PAGE_BY_KEY[earlier.step.key],
                label=f"Fix it in step {earlier.step.number}",
                icon=":material/arrow_forward:",
            )
    return True


def next_step_link(ctx: AppContext, workspace: Workspace, step_key: str) -> None:
    """'Continue to step N' once this step is done."""
    states = setup_progress(ctx, workspace)
    this = next(s for s in states if s.step.key == step_key)
    if this.status not in (StepStatus.DONE, StepStatus.ATTENTION):
        return
    upcoming = next((s for s in states if s.status == StepStatus.CURRENT), None)
    if upcoming is None:
        page_link(
            PAGE_BY_KEY["pipelines"],
            label=(
                "Setup complete — review what landed in Pipelines"
                if all(s.status == StepStatus.DONE for s in states)
                else "Review what landed in Pipelines"
            ),
            icon=":material/arrow_forward:",
        )
        return
    page = PAGE_BY_KEY[upcoming.step.key]
    page_link(
        page, label=f"Continue to step {upcoming.step.number} · {upcoming.step.title}", icon=":material/arrow_forward:"
    )


def page_link(page: PageSpec, *, label: str, icon: str | None = None, disabled: bool = False) -> None:
    """A link to another page, or a plain note when the reader's role does not have that page."""
    if current_access().may(page.permission):
        st.page_link(page.file, label=label, icon=icon, disabled=disabled)
    else:
        st.caption(f"{label} — needs a role that may {page.permission.value}.")


def no_workspace_notice() -> None:
    st.info("There is no workspace yet. Create one in Settings to start.", icon=":material/info:")
    page_link(PAGE_BY_KEY["settings"], label="Open Settings", icon=":material/settings:")


def _route_through_app() -> None:
    """Make sure this page runs inside app.py's navigation, not Streamlit's legacy pages/ mode.

    With a pages/ folder, Streamlit serves pages/*.py on their own until some session has run
    st.navigation. A direct link as the first request after a start would then skip the router
    (no sidebar, no wide layout). Switching the process to navigation mode and rerunning sends
    this very request through app.py. Streamlit is pinned; tests/browser covers this path.
    """
    from streamlit.runtime.pages_manager import PagesManager

    if PagesManager.uses_pages_directory:
        PagesManager.uses_pages_directory = False
        st.rerun()


def page_start(section_title: str | None = None) -> tuple[AppContext, Workspace | None]:
    """What every page does first: context and current workspace, plus any pending message."""
    _route_through_app()
    ctx = app_context()
    workspace = current_workspace(ctx)
    if section_title:
        st.title(section_title)
    flash()
    return ctx, workspace


@st.cache_data(ttl=600, max_entries=64, show_spinner="Reading what the source offers…")
def _describe(connection_id: int, version: str) -> list:
    # `version` (last test time) is part of the key so a re-test refreshes the cached description.
    from services.connections import describe_connection

    ctx = app_context()
    with db_session(ctx) as session:
        return describe_connection(session, connection_id, ctx.settings)


def connection_objects(connection) -> list:
    """Objects a stored connection can read (cached); raises RevenueConnectorError with the file named."""
    return _describe(connection.id, str(connection.last_tested_at))


# Words in a decimal column's name that say it is not money (whole words: 'Weighted amount' is money).
NOT_MONEY = frozenset(
    {"weight", "pct", "%", "share", "rate", "ratio", "seconds", "progress", "lag", "probability", "score"}
)


def _is_money(name: str) -> bool:
    import re

    return not NOT_MONEY & set(re.findall(r"[a-z]+|%", name.lower()))


# Words in a whole-number column's name that say it is a label, not a count (no thousands separator: run 1204).
NOT_A_COUNT = ("run", "year", "version", "#", " id")
# ... unless the header says what it counts first ("Accounts resolved by CRM ID" counts accounts, it is no ID).
COUNTED_THINGS = ("rows", "accounts", "deals", "amounts", "records", "entries")
# A cell that cannot hold a value (an ARR movement has no stage) reads as a dash; Streamlit itself writes 'None'.
NOT_APPLICABLE = "—"
_SMALL_TABLE = 500  # rows up to which empty numbers are written out as text (tables of figures, not of records)


def _number_text(value: float | int | None, money: bool) -> str:
    if value is None:
        return NOT_APPLICABLE
    if isinstance(value, int):
        return f"{value:,}"
    if money:
        return f"({abs(value):,.2f})" if value < 0 else f"{value + 0.0:,.2f}"
    return f"{value:,.4g}" if abs(value) < 1 else f"{value:,.2f}"


def figure_table(frame, **kwargs) -> None:
    """The app's one table style: money with its cents and separators (accounting), counts with separators,
    dates as YYYY-MM-DD, and an empty number as a dash rather than 'None'.

    Masked amounts arrive as text (•••) and are shown as they are.
    """
    import polars as pl

    decimals = [name for name, dtype in frame.schema.items() if dtype in (pl.Float32, pl.Float64)]
    counts = [
        name
        for name, dtype in frame.schema.items()
        if dtype.is_integer()
        and (
            name.lower().split(" ", 1)[0] in COUNTED_THINGS
            or not any(word in f" {name.lower()}" for word in NOT_A_COUNT)
        )
    ]
    # Money reads with its cents and no "-0" (-0.0 + 0.0 is 0.0); weights, shares and seconds read as plain numbers.
    frame = frame.with_columns(pl.col(name) + 0.0 for name in decimals)
    money = {name: _is_money(name) for name in decimals}
    config: dict = {
        name: st.column_config.NumberColumn(name, format="accounting" if money[name] else "localized")
        for name in decimals
    }
    config |= {name: st.column_config.NumberColumn(name, format="localized") for name in counts}
    config |= {
        name: st.column_config.DateColumn(name, format="YYYY-MM-DD")
        for name, dtype in frame.schema.items()
        if dtype == pl.Date
    }
    if frame.height <= _SMALL_TABLE:
        with_gaps = [name for name in [*decimals, *counts] if frame[name].null_count()]
        frame = frame.with_columns(
            pl.Series(name, [_number_text(v, money.get(name, False)) for v in frame[name]], dtype=pl.String)
            for name in with_gaps
        )
        config |= {name: st.column_config.TextColumn(name, alignment="right") for name in with_gaps}
    st.dataframe(frame, hide_index=True, width="stretch", column_config=config, **kwargs)


def run_history(ctx: AppContext, workspace: Workspace) -> None:
    """The workspace's sync runs, newest first, or an empty state that says why there are none."""
    from pages._charts import run_phases_chart, run_timeline_chart, run_volumes_chart
    from services.alerts import alert_rows
    from services.exports import export_frame
    from services.run_review import run_history_rows, run_phases, run_timeline, run_volumes
    from storage.alerts import list_alerts

    runs = export_frame(ctx.engine, "runs", workspace.id, current_access())
    if runs.is_empty():
        st.info("No sync has run in this workspace yet.", icon=":material/history:")
        return
    zone = st.context.timezone or "UTC"
    history = run_history_rows(runs, zone)
    with db_session(ctx) as session:
        alerts = alert_rows(list_alerts(session, workspace.id, limit=200), [], zone)
    st.caption(f"Times in your time zone ({zone}).")
    rows_tab, phases_tab, timeline_tab = st.tabs(["Rows per run", "Time by phase", "Timeline of runs and alerts"])
    with rows_tab:
        st.altair_chart(run_volumes_chart(run_volumes(history)), width="stretch")
    with phases_tab:
        phases = run_phases(ctx.engine, workspace.id)
        if phases.is_empty():
            st.caption("No run has recorded its phases yet.")
        else:
            st.altair_chart(run_phases_chart(phases), width="stretch")
    with timeline_tab:
        st.altair_chart(run_timeline_chart(run_timeline(history, alerts)), width="stretch")
    figure_table(history)


def stage_set_table(ctx: AppContext, workspace: Workspace) -> None:
    """The workspace's canonical stages with weights, read-only."""
    import polars as pl

    from storage.workspaces import load_stage_set

    with db_session(ctx) as session:
        stages = load_stage_set(session, workspace.id)
    st.dataframe(
        pl.DataFrame(
            {
                "order": [s.order for s in stages],
                "stage": [s.label for s in stages],
                "key": [s.key for s in stages],
                "weight": [s.weight for s in stages],
                "meaning": [s.semantics.value for s in stages],
            }
        ),
        hide_index=True,
        width="content",
        column_config={"weight": st.column_config.NumberColumn("weight", format="percent")},
    )


def step_page(step_key: str, *, stop_when_blocked: bool = True) -> tuple[AppContext, Workspace, bool]:
    """Start a setup-step page: context, workspace and header. Stops the page when there is no workspace
    (and, unless told otherwise, when an earlier step blocks this one). Returns whether the step is open."""
    ctx, workspace = page_start()
    if workspace is None:
        step = next(s for s in STEPS if s.key == step_key)
        st.title(f"{step.number} · {step.title}")
        no_workspace_notice()
        st.stop()
    open_ = step_header(ctx, workspace, step_key)
    if not open_ and stop_when_blocked:
        st.stop()
    return ctx, workspace, open_


def readable_objects(ctx: AppContext, workspace: Workspace) -> list[tuple]:
    """(connection, objects) for every connection of the workspace that tested OK; a source that cannot be
    described is reported on the page and left out."""
    from storage.connections import list_connections

    with db_session(ctx) as session:
        connections = [c for c in list_connections(session, workspace.id) if c.last_test_ok]
    result = []
    for connection in connections:
        try:
            result.append((connection, connection_objects(connection)))
        except RevenueConnectorError as exc:
            show_error(exc)
    return result
