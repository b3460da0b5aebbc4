"""Step 1 · Connect: the workspace's sources, their last test, and adding a new one."""

import streamlit as st

from connectors.base import fields_frame
from connectors.forms import CONNECTION_FIELDS, split_settings, visible_fields
from connectors.registry import AVAILABLE_KINDS
from domain.errors import RevenueConnectorError
from domain.source_kinds import SourceKind
from pages._shell import (
    connection_objects,
    current_access,
    db_session,
    figure_table,
    inline_error,
    next_step_link,
    show_error,
    step_page,
)
from services.connections import check_connection
from services.setup_changes import create_connection, delete_connection
from services.uploads import save_uploads
from storage.connections import connection_settings, list_connections
from storage.secret_box import secret_box

ctx, workspace, _ = step_page("connect")


def _test(connection_id: int) -> None:
    with db_session(ctx) as session:
        check = check_connection(session, connection_id, ctx.settings, access=current_access())
    st.session_state["flash"] = ("success" if check.ok else "error", check.headline)


def _remove(connection_id: int) -> None:
    try:
        with db_session(ctx) as session:
            delete_connection(session, connection_id, access=current_access())
        st.session_state["flash"] = ("success", "Connection removed.")
    except RevenueConnectorError as exc:
        st.session_state["flash"] = ("error", str(exc))


def _field_key(kind: SourceKind, name: str) -> str:
    return f"connect_{kind.value}_{name}"


def _add_connection(kind: SourceKind) -> None:
    values = {f.key: st.session_state.get(_field_key(kind, f.key), f.default) for f in CONNECTION_FIELDS[kind]}
    uploads = st.session_state.get("connect_file_uploads") or []
    try:
        if kind == SourceKind.FILE and uploads and not str(values.get("path") or "").strip():
            name = st.session_state.get("connect_name", "").strip() or "upload"
            values["path"] = str(
                save_uploads(ctx.settings, workspace.id, name, [(f.name, f.getvalue()) for f in uploads])
            )
        settings, secrets = split_settings(kind, values)
        with db_session(ctx) as session:
            created = create_connection(
                session,
                workspace.id,
                name=st.session_state.get("connect_name", ""),
                kind=kind,
                settings=settings,
                secrets=secrets,
                box=secret_box(ctx.settings),
                access=current_access(),
            )
    except RevenueConnectorError as exc:
        st.session_state["connect_add_error"] = exc
        return
    _test(created.id)
    # Typed secrets leave the browser session as soon as they are stored (encrypted). Reset, not removed: a
    # form keeps showing a removed widget's last value, an emptied one it shows empty.
    for f in CONNECTION_FIELDS[kind]:
        if f.widget != "select":
            st.session_state[_field_key(kind, f.key)] = ""
    st.session_state["connect_name"] = ""


with db_session(ctx) as session:
    connections = list_connections(session, workspace.id)

st.subheader("Connections")
if not connections:
    st.info("No connection yet. Add one below.", icon=":material/cable:")
for connection in connections:
    with st.container(border=True):
        left, right = st.columns([4, 1])
        with left:
            status = {
                True: ":green-badge[:material/check: Connected]",
                False: ":red-badge[:material/close: Failing]",
                None: ":gray-badge[Not tested]",
            }[connection.last_test_ok]
            st.markdown(f"**{connection.name}** · {SourceKind(connection.kind).label} {status}")
            details = connection_settings(connection)
            shown = {k: v for k, v in details.items() if k not in {"queries", "id_fields", "demo_sandbox"}}
            if shown:
                st.caption(" · ".join(f"{k.replace('_', ' ')}: `{v}`" for k, v in shown.items()))
            if connection.secrets_encrypted:
                st.caption(":material/lock: Credentials stored encrypted.")
            if connection.last_tested_at:
                st.caption(f"Last test {connection.last_tested_at:%Y-%m-%d %H:%M} UTC: {connection.last_test_message}")
        with right:
            st.button(
                "Test connection",
                key=f"connect_test_{connection.id}",
                on_click=_test,
                args=(connection.id,),
                icon=":material/network_check:",
                width="stretch",
            )
            st.button(
                "Remove",
                key=f"connect_remove_{connection.id}",
                on_click=_remove,
                args=(connection.id,),
                icon=":material/delete:",
                width="stretch",
            )
        if connection.last_test_ok:
            with st.expander("What this connection can read"):
                try:
                    objects = connection_objects(connection)
                except RevenueConnectorError as exc:
                    show_error(exc)
                    objects = []
                for obj in objects:
                    st.markdown(f"**{obj.name}** — {obj.summary}")
                    figure_table(fields_frame(obj), height=180)

st.subheader("Add a connection")
with st.container(border=True):
    kind_labels = {k.label: k for k in AVAILABLE_KINDS}
    kind = kind_labels[st.radio("Source type", list(kind_labels), horizontal=True, key="connect_kind")]
    chosen = {f.key: st.session_state.get(_field_key(kind, f.key), f.default) for f in CONNECTION_FIELDS[kind]}
    shown = visible_fields(kind, chosen)
    # Choices that change which fields apply (the login method) rerun at once; the rest is one form, so what
    # was typed is sent as a whole on "Save and test", however the user left the last field (Tab, a click).
    for f in (f for f in shown if f.widget == "select"):
        st.selectbox(
            f"{f.label}{' *' if f.required else ''}",
            f.options,
            key=_field_key(kind, f.key),
            help=f.help,
            index=f.options.index(chosen[f.key] or f.default),
        )
    with st.form("connect_form", border=False, enter_to_submit=False):
        st.text_input("Connection name", placeholder=f"e.g. {kind.label} production", key="connect_name")
        for f in (f for f in shown if f.widget != "select"):
            key, label = _field_key(kind, f.key), f"{f.label}{' *' if f.required else ''}"
            if f.widget == "textarea":
                st.text_area(label, key=key, help=f.help, placeholder=f.help)
            else:
                st.text_input(
                    label,
                    key=key,
                    help=f.help,
                    placeholder=f.default or None,
                    type="password" if f.widget == "password" else "default",
                )
        if kind == SourceKind.FILE:
            st.file_uploader(
                "…or upload CSV / Parquet files",
                type=["csv", "parquet"],
                accept_multiple_files=True,
                key="connect_file_uploads",
                help="Stored in the data folder, one folder per connection.",
            )
        st.caption(
            ":material/lock: Passwords, tokens and keys are encrypted before they are stored and are never shown back."
        )
        st.form_submit_button(
            "Save and test", type="primary", icon=":material/add_link:", on_click=_add_connection, args=(kind,)
        )
    inline_error("connect_add_error")

next_step_link(ctx, workspace, "connect")
