"""Step 3 · Map fields & stages."""

import streamlit as st

from core.canonical import Domain, canonical_fields_frame
from core.connectors.base import fields_frame
from core.errors import RevenueConnectorError, ValidationError
from pages._shell import (
    PAGE_BY_KEY,
    connection_objects,
    current_actor,
    db_session,
    inline_error,
    next_step_link,
    show_error,
    stage_set_table,
    step_page,
)
from storage.connections import get_connection
from storage.mappings import latest_mapping, save_mapping
from storage.routing import load_routes

ctx, workspace, _ = step_page("mapping")



def _import_mapping() -> None:
    upload = st.session_state.get("mapping_upload")
    try:
        if upload is None:
            raise ValidationError("Mapping file: choose a YAML file to import.")
        with db_session(ctx) as session:
            row = save_mapping(session, workspace.id, upload.getvalue().decode("utf-8"), actor=current_actor(),
                               note=f"imported from {upload.name}")
    except UnicodeDecodeError:
        st.session_state["mapping_error"] = ValidationError("Mapping file: the file is not UTF-8 text.")
        return
    except RevenueConnectorError as exc:
        st.session_state["mapping_error"] = exc
        return
    st.session_state["flash"] = ("success", f"Mapping version {row.version} imported and in force.")


st.subheader("Mapping file")
st.caption("The whole mapping — fields, stages, movement types, filters, amount policy, currency and FX rates — as "
           "one YAML file. Every import is validated, becomes a new version, and is recorded in the audit log.")
with db_session(ctx) as session:
    current = latest_mapping(session, workspace.id)
with st.container(border=True):
    left, right = st.columns([3, 2])
    with left:
        if current is None:
            st.markdown("No mapping yet. Import a mapping file to continue.")
        else:
            version, config = current
            st.markdown(f"**Version {version.version}** · imported {version.created_at:%Y-%m-%d %H:%M} UTC by "
                        f"{version.created_by} · {len(config.objects)} object(s), {len(config.stages)} stage mapping(s), "
                        f"{len(config.movement_components)} movement type(s)")
            st.download_button("Download mapping (YAML)", version.yaml_text, file_name=f"mapping-v{version.version}.yaml",
                               mime="application/x-yaml", on_click="ignore", key="mapping_download",
                               icon=":material/download:")
    with right:
        st.file_uploader("Import a mapping file", type=["yaml", "yml"], key="mapping_upload")
        st.button("Import", type="primary", key="mapping_import", on_click=_import_mapping, icon=":material/upload:")
    inline_error("mapping_error")
if workspace.is_demo:
    st.caption(":material/lightbulb: For the demo, `docs/demo-mapping.yaml` in the project holds a mapping a "
               "reviewer approved for the demo org.")
st.info("Suggested mappings — each CRM field and stage with a proposed canonical target, a score and the reason — "
        "will also appear here for you to approve, so you will not need to write the file by hand. Nothing is "
        "mapped automatically; the sync uses only the mapping in force.", icon=":material/construction:")

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

next_step_link(ctx, workspace, "mapping")
