"""Step 3 · Map fields & stages."""

from dataclasses import replace

import streamlit as st

from connectors.base import fields_frame
from domain.canonical import Domain, MovementComponent, canonical_fields_frame
from domain.errors import RevenueConnectorError, ValidationError
from domain.fx_rates import FX_EXAMPLE, OrgRates, rates_frame
from domain.mapping_config import mappable_field_labels
from domain.setup_steps import StepStatus
from domain.suggestions.model import thresholds_from
from pages._calibration import stage_calibration_panel
from pages._review import ReviewSpec, review_table
from pages._shell import (
    PAGE_BY_KEY,
    connection_objects,
    current_access,
    db_session,
    figure_table,
    inline_error,
    next_step_link,
    page_link,
    setup_progress,
    show_error,
    stage_set_table,
    step_page,
)
from services.fx_rates import put_fx_rates_in_force, put_rates_in_force, suggested_org_rates
from services.setup_changes import save_mapping
from services.suggestions import apply_approved, approved_in_force, suggest_mappings
from storage import review
from storage.connections import get_connection, list_connections
from storage.mappings import latest_mapping
from storage.routing import load_routes
from storage.workspaces import load_stage_set

ctx, workspace, _ = step_page("mapping")
with db_session(ctx) as session:
    stage_set = load_stage_set(session, workspace.id)


def _import_mapping() -> None:
    upload = st.session_state.get("mapping_upload")
    try:
        if upload is None:
            raise ValidationError("Mapping file: choose a YAML file to import.")
        with db_session(ctx) as session:
            row = save_mapping(
                session,
                workspace.id,
                upload.getvalue().decode("utf-8"),
                access=current_access(),
                note=f"imported from {upload.name}",
            )
    except UnicodeDecodeError:
        st.session_state["mapping_error"] = ValidationError("Mapping file: the file is not UTF-8 text.")
        return
    except RevenueConnectorError as exc:
        st.session_state["mapping_error"] = exc
        return
    st.session_state["flash"] = ("success", f"Mapping version {row.version} imported and in force.")


def fx_rates_panel(ctx, workspace, config) -> None:
    """The FX rates in force, and an upload that puts a new rates file in force as the next mapping version."""

    def _save() -> None:
        upload = st.session_state.get("fx_upload")
        try:
            if upload is None:
                raise ValidationError("FX rates file: choose a CSV file to upload.")
            with db_session(ctx) as session:
                row = put_fx_rates_in_force(
                    session, workspace.id, upload.getvalue(), access=current_access(), file_name=upload.name
                )
        except RevenueConnectorError as exc:
            st.session_state["fx_error"] = exc
            return
        st.session_state["flash"] = (
            "success",
            f"FX rates in force as mapping version {row.version}. The next sync "
            "converts new rows and releases rows held for an unknown currency; "
            "run a full sync to re-value rows already landed.",
        )

    rates = rates_frame(config)
    step = next(s for s in setup_progress(ctx, workspace) if s.step.key == "mapping")
    needed = step.status == StepStatus.ATTENTION
    title = f"FX rates into {config.reporting_currency} ({rates.height} in force)"
    with st.expander(title, expanded=rates.is_empty() or needed):
        if needed:
            st.warning(step.todo_note, icon=":material/currency_exchange:")
        if rates.is_empty():
            st.info(
                f"No FX rates yet: amounts in a currency other than {config.reporting_currency} are held in "
                "quarantine as 'unknown currency' until rates are uploaded.",
                icon=":material/currency_exchange:",
            )
        else:
            figure_table(rates)
        st.caption(
            "Upload a CSV with currency, from (YYYY-MM-DD) and rate (one unit in the reporting currency). "
            "It replaces the rates in force; each amount converts at the rate in force on its record's date."
        )
        st.code(FX_EXAMPLE, language="csv")
        st.file_uploader("FX rates (CSV)", type=["csv"], key="fx_upload")
        st.button("Put these rates in force", key="fx_save", on_click=_save, icon=":material/currency_exchange:")
        inline_error("fx_error")
        org_rates_panel(ctx, workspace, config)


def org_rates_panel(ctx, workspace, config) -> None:
    """Rates a multi-currency CRM org keeps (Salesforce CurrencyType / DatedConversionRate), offered as a
    suggestion: read on request, shown converted into the reporting currency, put in force by a person."""
    with db_session(ctx) as session:
        crm = [c for c in list_connections(session, workspace.id) if c.kind == "salesforce"]
    if not crm:
        return

    def _read() -> None:
        with db_session(ctx) as session:
            st.session_state["fx_org_offers"] = suggested_org_rates(session, workspace.id, ctx.settings)

    def _accept(offer: OrgRates) -> None:
        try:
            with db_session(ctx) as session:
                row = put_rates_in_force(session, workspace.id, offer.rates, access=current_access(), note=offer.note)
        except RevenueConnectorError as exc:
            st.session_state["fx_error"] = exc
            return
        st.session_state.pop("fx_org_offers", None)
        st.session_state["flash"] = (
            "success",
            f"{len(offer.rates)} FX rate(s) from {offer.connection} in force as mapping version {row.version}.",
        )

    st.markdown("**Rates your CRM keeps**")
    st.caption(
        f"A multi-currency Salesforce org keeps its own exchange rates. Read them to review them as FX rates "
        f"into {config.reporting_currency}; nothing changes until you put them in force."
    )
    st.button(
        "Read rates from " + ", ".join(c.name for c in crm),
        key="fx_org_read",
        on_click=_read,
        icon=":material/travel_explore:",
    )
    for index, offer in enumerate(st.session_state.get("fx_org_offers") or []):
        if offer.problem:
            st.warning(f"{offer.connection}: {offer.problem}", icon=":material/info:")
            continue
        st.caption(f"{offer.connection} · from {offer.table}")
        figure_table(rates_frame(replace(config, fx_rates=offer.rates)))
        st.button(
            f"Put these {len(offer.rates)} rates in force",
            key=f"fx_org_accept_{index}",
            on_click=_accept,
            args=(offer,),
            type="primary",
            icon=":material/check:",
        )


def _suggest() -> None:
    try:
        with db_session(ctx) as session:
            run = suggest_mappings(
                session, ctx.engine, workspace.id, ctx.settings, thresholds=thresholds_from(ctx.settings)
            )
    except RevenueConnectorError as exc:
        st.session_state["suggest_error"] = exc
        return
    new = run.fields["new"] + run.stages["new"] + run.values["new"]
    kept = run.fields["kept"] + run.stages["kept"] + run.values["kept"]
    message = f"{new} new suggestion(s); {kept} already decided kept their decision."
    if run.problems:
        message += " Not reached: " + "; ".join(run.problems)
    st.session_state["flash"] = ("success" if not run.problems else "warning", message)
    st.session_state["llm_outcome"] = run.llm.message


def _apply() -> None:
    try:
        with db_session(ctx) as session:
            row = apply_approved(session, workspace.id, access=current_access())
    except RevenueConnectorError as exc:
        st.session_state["apply_error"] = exc
        return
    st.session_state["flash"] = (
        "success",
        f"Mapping version {row.version} built from the approved suggestions is in force; the next sync uses it.",
    )


with db_session(ctx) as session:
    routes = load_routes(session, workspace.id)
    pending = {kind: review.review_counts(session, kind, workspace.id) for kind in ("field", "stage", "value")}
    in_force = {kind: approved_in_force(session, kind, workspace.id) for kind in ("field", "stage", "value")}
    current = latest_mapping(session, workspace.id)
has_routes = any(routes.values())
has_suggestions = any(sum(c.values()) for c in pending.values())

st.subheader("Suggested mappings")
llm = ctx.settings.llm
st.caption(
    "Every CRM field, stage and movement type gets a proposed canonical target with a score, the reasons "
    "and a runner-up. Nothing is used until a person approves it; the sync uses only the mapping in force. "
    + (
        f"An LLM ({llm.model}) re-ranks what the rules are unsure about."
        if llm.configured
        else "Offline suggestions (rules + rapidfuzz); no LLM is configured."
    )
)
with st.container(border=True):
    left, right = st.columns([3, 2])
    left.button(
        "Suggest mappings" if not has_suggestions else "Refresh suggestions",
        key="suggest_run",
        type="primary" if not has_suggestions else "secondary",
        on_click=_suggest,
        disabled=not has_routes,
        icon=":material/auto_awesome:",
    )
    # Only approvals the mapping in force does not already do are left to put in force (an import may have).
    to_apply = sum(c["approved"] for c in pending.values()) - sum(len(ids) for ids in in_force.values())
    right.button(
        f"Put {to_apply} approved mapping(s) in force"
        if to_apply or current is None
        else f"Every approved mapping is in force (version {current[0].version})",
        key="apply_approved",
        on_click=_apply,
        disabled=to_apply == 0,
        type="primary" if has_suggestions and to_apply else "secondary",
        icon=":material/published_with_changes:",
    )
    if not has_routes:
        st.caption("Choose the sources of each domain in step 2 first.")
    outcome = st.session_state.pop("llm_outcome", None)
    if outcome:
        (st.warning if "could not" in outcome else st.info)(outcome, icon=":material/smart_toy:")
    inline_error("suggest_error")
    inline_error("apply_error")

if has_suggestions:
    stage_labels = {s.key: s.label for s in stage_set}
    fields_tab, stages_tab, values_tab = st.tabs(
        [
            f"Fields ({pending['field']['pending']} pending)",
            f"Stages ({pending['stage']['pending']} pending)",
            f"Movement types ({pending['value']['pending']} pending)",
        ]
    )
    with fields_tab:
        held = review.fields_held_for_review(ctx.engine, workspace.id)
        if not held.is_empty():
            st.info(
                f"{held.height} field(s) appeared in the source after the mapping was approved: "
                f"{', '.join(held['field'].to_list())}. They are pending below (origin *drift guard*) and "
                "no sync maps them until you decide.",
                icon=":material/new_releases:",
            )
        review_table(
            ctx,
            workspace,
            ReviewSpec(
                "field",
                {"object_name": "object", "source_field": "CRM field", "label": "label", "source_type": "type"},
                "canonical_field",
                dict(sorted(mappable_field_labels().items(), key=lambda item: item[1])),
                "object_name",
            ),
        )
    with stages_tab:
        review_table(
            ctx,
            workspace,
            ReviewSpec(
                "stage",
                {"pipeline_label": "pipeline", "stage_label": "CRM stage"},
                "canonical_stage",
                stage_labels,
                "pipeline_label",
            ),
        )
    with values_tab:
        review_table(
            ctx,
            workspace,
            ReviewSpec(
                "value",
                {"source_field": "CRM field", "source_value": "CRM value"},
                "target",
                {c.value: c.value.capitalize() for c in MovementComponent},
                "source_field",
            ),
        )

st.subheader("Mapping in force")
st.caption(
    "The whole mapping — fields, stages, movement types, filters, amount policy, currency and FX rates — as "
    "one YAML file. Every import is validated, becomes a new version, and is recorded in the audit log."
)
with db_session(ctx) as session:
    current = latest_mapping(session, workspace.id)
with st.container(border=True):
    left, right = st.columns([3, 2])
    with left:
        if current is None:
            st.markdown(
                "No mapping in force yet: approve the suggestions above and put them in force, or import a "
                "mapping file."
            )
        else:
            version, config = current
            st.markdown(
                f"**Version {version.version}** · {version.note or 'imported'} · {version.created_at:%Y-%m-%d %H:%M} "
                f"UTC by {version.created_by} · {len(config.objects)} object(s), {len(config.stages)} stage mapping(s), "
                f"{len(config.movement_components)} movement type(s)"
            )
            st.download_button(
                "Download mapping (YAML)",
                version.yaml_text,
                file_name=f"mapping-v{version.version}.yaml",
                mime="application/x-yaml",
                on_click="ignore",
                key="mapping_download",
                icon=":material/download:",
            )
    with right:
        st.file_uploader("Import a mapping file", type=["yaml", "yml"], key="mapping_upload")
        st.button("Import", type="primary", key="mapping_import", on_click=_import_mapping, icon=":material/upload:")
    inline_error("mapping_error")
if current is not None:
    fx_rates_panel(ctx, workspace, current[1])
if workspace.is_demo:
    st.caption(
        ":material/lightbulb: For the demo, `docs/demo-mapping.yaml` in the project holds a mapping a "
        "reviewer approved for the demo org."
    )

with db_session(ctx) as session:
    connections = {r.connection_id: get_connection(session, r.connection_id) for rs in routes.values() for r in rs}

for domain in Domain:
    if not routes[domain]:
        continue
    st.subheader(domain.label)
    left, right = st.columns(2)
    in_force = current[1].objects if current else ()
    from_contracts = any(o.domain == domain and o.from_contracts for o in in_force)
    with left:
        st.markdown("**Canonical fields to fill**" + (" (ARR from contracts)" if from_contracts else ""))
        figure_table(canonical_fields_frame(domain, contracts=from_contracts))
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
                figure_table(fields_frame(objects[route.object_name]), height=250)
            else:
                st.warning(f"`{route.object_name}` is no longer offered by {connection.name}.")

st.subheader("Canonical stages")
st.caption("CRM stages will be mapped onto these. Rename, reweight, add or reorder them in Settings.")
stage_set_table(ctx, workspace)
stage_calibration_panel(ctx, workspace, "mapping_calibration")
page_link(PAGE_BY_KEY["settings"], label="Edit stages in Settings", icon=":material/tune:")

next_step_link(ctx, workspace, "mapping")
