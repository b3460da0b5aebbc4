"""Step 1 · Connect: the workspace's sources, their last test, and adding a new one."""

import streamlit as st

from core.connections import check_connection
from core.connectors.base import SourceKind, fields_frame
from core.connectors.registry import AVAILABLE_KINDS
from core.errors import RevenueConnectorError, ValidationError
from pages._shell import (
    connection_objects,
    current_actor,
    db_session,
    inline_error,
    next_step_link,
    show_error,
    step_page,
)
from storage.connections import connection_settings, create_connection, delete_connection, list_connections

ctx, workspace, _ = step_page("connect")


def _test(connection_id: int) -> None:
    with db_session(ctx) as session:
        check = check_connection(session, connection_id, ctx.settings, actor=current_actor())
    st.session_state["flash"] = ("success" if check.ok else "error", check.headline)


def _remove(connection_id: int) -> None:
    try:
        with db_session(ctx) as session:
            delete_connection(session, connection_id, actor=current_actor())
        st.session_state["flash"] = ("success", "Connection removed.")
    except RevenueConnectorError as exc:
        st.session_state["flash"] = ("error", str(exc))


def _add_connection(kind: SourceKind) -> None:
    path = st.session_state.get("connect_path", "").strip()
    try:
        if not path:
            raise ValidationError("Folder: enter the folder that holds the exported files.")
        with db_session(ctx) as session:
            created = create_connection(session, workspace.id, name=st.session_state.get("connect_name", ""),
                                        kind=kind, settings={"path": path}, secrets=None, box=None,
                                        actor=current_actor())
    except RevenueConnectorError as exc:
        st.session_state["connect_add_error"] = exc
        return
    _test(created.id)
    st.session_state["connect_name"] = st.session_state["connect_path"] = ""


with db_session(ctx) as session:
    connections = list_connections(session, workspace.id)

st.subheader("Connections")
if not connections:
    st.info("No connection yet. Add one below.", icon=":material/cable:")
for connection in connections:
    with st.container(border=True):
        left, right = st.columns([4, 1])
        with left:
            status = {True: ":green-badge[:material/check: Connected]", False: ":red-badge[:material/close: Failing]",
                      None: ":gray-badge[Not tested]"}[connection.last_test_ok]
            st.markdown(f"**{connection.name}** · {SourceKind(connection.kind).label} {status}")
            details = connection_settings(connection)
            if "path" in details:
                st.caption(f"Folder: `{details['path']}`")
            if connection.last_tested_at:
                st.caption(f"Last test {connection.last_tested_at:%Y-%m-%d %H:%M} UTC: {connection.last_test_message}")
        with right:
            st.button("Test connection", key=f"connect_test_{connection.id}", on_click=_test, args=(connection.id,),
                      icon=":material/network_check:", width="stretch")
            st.button("Remove", key=f"connect_remove_{connection.id}", on_click=_remove, args=(connection.id,),
                      icon=":material/delete:", width="stretch")
        if connection.last_test_ok:
            with st.expander("What this connection can read"):
                try:
                    objects = connection_objects(connection)
                except RevenueConnectorError as exc:
                    show_error(exc)
                    objects = []
                for obj in objects:
                    st.markdown(f"**{obj.name}** — {obj.row_count:,} rows, {len(obj.fields)} fields")
                    st.dataframe(fields_frame(obj), hide_index=True, width="stretch", height=180)

st.subheader("Add a connection")
with st.container(border=True):
    kind_labels = {k.label: k for k in SourceKind}
    picked = st.radio("Source type", list(kind_labels), horizontal=True, key="connect_kind")
    kind = kind_labels[picked]
    if kind not in AVAILABLE_KINDS:
        st.info(f"The {kind.label} connector (login, test, objects, stages and incremental reads) arrives in the "
                "next release. Until then, export the objects to CSV or Parquet and connect the folder.",
                icon=":material/schedule:")
    else:
        st.text_input("Connection name", placeholder="e.g. Finance warehouse export", key="connect_name")
        st.text_input("Folder with CSV / Parquet files", placeholder="/data/exports/crm", key="connect_path",
                      help="Each file is one object, e.g. opportunities.csv.")
        st.button("Save and test", type="primary", icon=":material/add_link:", key="connect_save",
                  on_click=_add_connection, args=(kind,))
        inline_error("connect_add_error")

next_step_link(ctx, workspace, "connect")
