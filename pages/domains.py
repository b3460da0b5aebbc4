"""Step 2 · Choose domains: which source objects feed pipeline and ARR actuals, in priority order."""

import streamlit as st

from domain.canonical import Domain
from domain.errors import RevenueConnectorError, ValidationError
from domain.routing import RouteChoice, suggest_routes
from pages._shell import current_access, db_session, inline_error, next_step_link, readable_objects, step_page
from services.setup_changes import save_routes, set_arr_source
from storage.mappings import latest_mapping
from storage.routing import load_routes

ctx, workspace, _ = step_page("domains")

with db_session(ctx) as session:
    saved = load_routes(session, workspace.id)
    in_force = latest_mapping(session, workspace.id)
arr_objects = [o for o in (in_force[1].objects if in_force else ()) if o.domain == Domain.ARR_ACTUALS]
read_as_contracts = any(o.from_contracts for o in arr_objects)
monthly = any(o.from_contracts and o.amount_per == "month" for o in arr_objects)
ARR_MODES = {
    "movements": "ARR movement events (new, expansion, contraction, churn)",
    "contracts": "Contracts or subscriptions (start, end or term, recurring amount): movements are derived",
}

options: dict[str, RouteChoice] = {}
for connection, objects in readable_objects(ctx, workspace):
    for obj in objects:
        rows = f" ({obj.row_count:,} rows)" if obj.row_count is not None else ""
        options[f"{connection.name} · {obj.name}{rows}"] = RouteChoice(connection.id, obj.name)
label_of = {choice: label for label, choice in options.items()}
suggested = suggest_routes([(c.connection_id, c.object_name) for c in options.values()])

st.markdown(
    "Pick the source objects for each domain. When two sources supply the same record, the one "
    "listed **first** wins; every canonical row records which source and rule chose it."
)

DESCRIPTIONS = {
    Domain.PIPELINE: "Open and closed opportunities / deals: stage, amount, expected close, owner.",
    Domain.ARR_ACTUALS: "ARR movement events, or contracts the movements are derived from.",
}


def _save_routing() -> None:
    picks = {domain: st.session_state.get(f"domains_{domain.value}", []) for domain in Domain}
    try:
        if not any(picks.values()):
            raise ValidationError("Choose at least one source for pipeline or ARR actuals.")
        contracts = st.session_state.get("domains_arr_mode", "movements") == "contracts"
        with db_session(ctx) as session:
            for domain, labels in picks.items():
                save_routes(
                    session, workspace.id, domain, [options[label] for label in labels], access=current_access()
                )
            set_arr_source(
                session,
                workspace.id,
                [options[label] for label in picks[Domain.ARR_ACTUALS]],
                contracts=contracts,
                amount_per="month" if st.session_state.get("domains_arr_amount_per") == "per month" else "year",
                access=current_access(),
            )
    except RevenueConnectorError as exc:
        st.session_state["domains_error"] = exc
        return
    st.session_state["flash"] = ("success", "Routing saved.")


for domain in Domain:
    with st.container(border=True):
        st.markdown(f"**{domain.label}** — {DESCRIPTIONS[domain]}")
        current = [RouteChoice(r.connection_id, r.object_name) for r in saved[domain]]
        default = [label_of[c] for c in (current or suggested[domain]) if c in label_of]
        st.multiselect(
            f"Sources for {domain.label}, highest priority first",
            list(options),
            default=default,
            key=f"domains_{domain.value}",
            placeholder="Not routed",
        )
        if not current and default:
            st.caption(":material/lightbulb: Suggested from the object names — save to use it.")
        elif not current:
            st.caption("Not routed yet. Leave empty if this workspace does not use this domain.")
        if domain == Domain.ARR_ACTUALS:
            mode = st.radio(
                "These objects hold",
                list(ARR_MODES),
                index=1 if read_as_contracts else 0,
                format_func=ARR_MODES.__getitem__,
                key="domains_arr_mode",
            )
            if mode == "contracts":
                st.radio(
                    "The recurring amount is stated",
                    ["per year", "per month"],
                    index=1 if monthly else 0,
                    horizontal=True,
                    key="domains_arr_amount_per",
                )
st.button("Save routing", type="primary", icon=":material/save:", key="domains_save", on_click=_save_routing)
inline_error("domains_error")

next_step_link(ctx, workspace, "domains")
