"""Step 3 · Map fields & stages."""

import streamlit as st

from core.canonical import Domain, canonical_fields_frame
from core.connectors.base import fields_frame
from core.errors import RevenueConnectorError
from pages._shell import PAGE_BY_KEY, connection_objects, db_session, show_error, stage_set_table, step_page
from storage.connections import get_connection
from storage.routing import load_routes

ctx, workspace, _ = step_page("mapping")

st.info("Suggested mappings — each CRM field and stage with a proposed canonical target, a score and the reason — "
        "will appear here for you to approve. Nothing is mapped automatically, and the sync uses only what you "
        "approve. The suggestion engine is not part of this release yet, so this step cannot be completed today.",
        icon=":material/construction:")

with db_session(ctx) as session:
    routes = load_routes(session, workspace.id)
    connections = {r.connection_id: get_connection(session, r.connection_id) for rs in routes.values() for r in rs}

for domain in Domain:
    if not routes[domain]:
        continue
    st.subheader(domain.label)
    left, right = st.columns(2)
    with left:
        st.markdown("**Canonical fields to fill**")
        st.dataframe(canonical_fields_frame(domain), hide_index=True, width="stretch")
    with right:
        for route in routes[domain]:
            connection = connections[route.connection_id]
            st.markdown(f"**Source fields** · {connection.name} · `{route.object_name}` (priority {route.priority})")
            try:
                objects = {o.name: o for o in connection_objects(connection)}
            except RevenueConnectorError as exc:
                show_error(exc)
                continue
            if route.object_name in objects:
                st.dataframe(fields_frame(objects[route.object_name]), hide_index=True, width="stretch", height=250)
            else:
                st.warning(f"`{route.object_name}` is no longer offered by {connection.name}.")

st.subheader("Canonical stages")
st.caption("CRM stages will be mapped onto these. Rename, reweight, add or reorder them in Settings.")
stage_set_table(ctx, workspace)
st.page_link(PAGE_BY_KEY["settings"].file, label="Edit stages in Settings", icon=":material/tune:")
