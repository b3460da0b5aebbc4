"""The stage calibration panel Settings and step 3 share: the configured weights beside what actually closed,
and 'use the historical rate' for a stage, as a person's audited approval."""

from __future__ import annotations

from datetime import UTC, date, datetime

import streamlit as st

from domain.errors import RevenueConnectorError
from domain.roles import Permission
from pages._shell import AppContext, current_access, figure_table, inline_error
from services.stage_calibration import (
    DEFAULT_WINDOW,
    WINDOWS,
    StageCalibration,
    calibration_rows,
    stage_calibration,
    suggested_stages,
    use_historical_rate,
)
from storage.insights import latest_change
from storage.tables import Workspace


@st.cache_data(max_entries=16, show_spinner="Reading the stage history…")
def cached_calibration(_engine, workspace_id: int, window: str, changed: int | None, today: date) -> StageCalibration:
    """The calibration, read again only after a change to the workspace (a run, a weight, a mapping) or a new day:
    it reads every live deal and every stage-history entry."""
    return stage_calibration(_engine, workspace_id, window=window, as_of=today)


def stage_calibration_panel(ctx: AppContext, workspace: Workspace, key: str) -> None:
    """Historical win rates per open stage beside the weights; `key` keeps each page's widgets apart."""
    st.markdown("**Weights against what actually closed**")
    window = st.selectbox(
        "Deals closed in",
        list(WINDOWS),
        index=list(WINDOWS).index(DEFAULT_WINDOW),
        key=f"{key}_window",
        width=240,
        help="Only closed deals tell whether a stage converts; open ones are left out of every rate.",
    )
    calibration = cached_calibration(
        ctx.engine, workspace.id, window, latest_change(ctx.engine, workspace.id), datetime.now(UTC).date()
    )
    if calibration.history_entries == 0:
        st.info(
            "No stage history yet. Salesforce (OpportunityHistory) and HubSpot (the deal stage history) give it "
            "with the next sync of the pipeline; a file or warehouse source keeps none, so its weights cannot be "
            "checked here.",
            icon=":material/history:",
        )
        return
    st.caption(calibration.explained)
    figure_table(calibration_rows(calibration))
    offers = suggested_stages(calibration)
    if not offers:
        return
    access = current_access()
    labels = dict(offers)
    names = dict(zip(calibration.table["stage"], calibration.table["label"], strict=True))

    def _use() -> None:
        stage = st.session_state.get(f"{key}_stage")
        try:
            weight = use_historical_rate(ctx.engine, workspace.id, stage, window=window, access=access)
        except RevenueConnectorError as exc:
            st.session_state[f"{key}_error"] = exc
            return
        st.session_state["flash"] = (
            "success",
            f"{names[stage]} now weighs {weight:.0%}. Deals already synced keep their weight until "
            "the next full sync (step 5, 'Full read').",
        )

    with st.container(horizontal=True, vertical_alignment="bottom"):
        st.selectbox(
            "Stage to re-weight", [k for k, _ in offers], format_func=labels.get, key=f"{key}_stage", width=320
        )
        st.button(
            "Use the historical rate",
            key=f"{key}_use",
            icon=":material/check:",
            on_click=_use,
            disabled=not access.may(Permission.EDIT_SETUP),
            help="Approve this stage's historical rate as its weight; the change and its evidence are audited.",
        )
    inline_error(f"{key}_error")
