"""Run sync page widgets: the schedule, the worker's status, and sync now for a part of the workspace."""

from __future__ import annotations

from datetime import UTC, datetime

import streamlit as st

from domain.errors import RevenueConnectorError
from domain.schedule import ScheduleKind, schedule
from pages._shell import current_access, db_session, inline_error
from services.schedules import set_schedule
from services.sync import SyncScope, start_background_sync, sync_now_targets
from storage.accounts import find_account
from storage.schedules import get_schedule, latest_worker, worker_alive

_COMMON_ZONES = [
    "UTC",
    "Europe/London",
    "Europe/Berlin",
    "Europe/Paris",
    "America/New_York",
    "America/Chicago",
    "America/Los_Angeles",
    "Asia/Singapore",
    "Asia/Tokyo",
    "Australia/Sydney",
]


def schedule_panel(ctx, workspace, *, may_edit: bool) -> None:
    """Show and edit when the worker syncs this workspace, and whether a worker is alive to do it."""
    with db_session(ctx) as session:
        row = get_schedule(session, workspace.id)
        worker = latest_worker(session)
    current = (
        schedule(row.kind, every_minutes=row.every_minutes, daily_at=row.daily_at, timezone=row.timezone)
        if row
        else schedule("off")
    )
    alive = worker_alive(worker)
    status = f"Schedule: **{current.describe()}**"
    if row and row.next_due_at and current.kind is not ScheduleKind.OFF:
        status += f" · next run {row.next_due_at:%Y-%m-%d %H:%M} UTC"
    if row and row.last_outcome:
        status += f" · last scheduled run: {row.last_outcome}"
    st.markdown(status)
    if alive:
        st.caption(
            f":material/check_circle: Worker {worker.name} is running (last sign of life "
            f"{worker.beat_at:%H:%M:%S} UTC)."
        )
    elif current.kind is not ScheduleKind.OFF:
        st.warning(
            "No scheduler worker is running, so this schedule will not fire. Start one beside the app with "
            "`python -m core worker` (see the README).",
            icon=":material/schedule:",
        )
    if not may_edit:
        return

    def _save() -> None:
        state = st.session_state
        try:
            plan = schedule(
                state["schedule_kind"],
                every_minutes=state.get("schedule_every"),
                daily_at=state.get("schedule_at"),
                timezone=state.get("schedule_zone", "UTC"),
            )
            with db_session(ctx) as session:
                due = set_schedule(session, workspace.id, plan, access=current_access(), now=datetime.now(UTC))
        except RevenueConnectorError as exc:
            state["schedule_error"] = exc
            return
        state["flash"] = (
            "success",
            f"Schedule saved: {plan.describe()}" + (f"; first run {due:%Y-%m-%d %H:%M} UTC." if due else "."),
        )

    with st.expander("Change the schedule"):
        kinds = [k.value for k in ScheduleKind]
        kind = st.radio(
            "Sync",
            kinds,
            index=kinds.index(current.kind.value),
            horizontal=True,
            key="schedule_kind",
            format_func=lambda k: ScheduleKind(k).label,
        )
        if kind == ScheduleKind.EVERY_MINUTES.value:
            st.number_input(
                "Every N minutes",
                min_value=5,
                max_value=1440,
                step=5,
                value=current.every_minutes or 15,
                key="schedule_every",
            )
        if kind == ScheduleKind.DAILY.value:
            left, right = st.columns(2)
            left.text_input("At (HH:MM)", value=current.daily_at or "06:00", key="schedule_at")
            zones = sorted(set(_COMMON_ZONES) | {current.timezone})
            right.selectbox("Time zone", zones, index=zones.index(current.timezone), key="schedule_zone")
        st.button("Save schedule", key="schedule_save", on_click=_save, icon=":material/save:")
        inline_error("schedule_error")


def sync_now_panel(ctx, workspace, *, running: bool) -> None:
    """Sync one domain, one routed object, or one canonical account now (in the background)."""
    with db_session(ctx) as session:
        targets = sync_now_targets(session, workspace.id)
    labels = [label for label, _ in targets]

    def _start() -> None:
        state = st.session_state
        try:
            account_key = (state.get("sync_now_account") or "").strip()
            if account_key:
                with db_session(ctx) as session:
                    account = find_account(session, workspace.id, account_key)
                scope = SyncScope(account_id=account.id, account_name=account.name)
            else:
                scope = dict(targets)[state["sync_now_target"]]
            start_background_sync(
                ctx.engine, ctx.settings, workspace.id, trigger="app", access=current_access(), scope=scope
            )
        except RevenueConnectorError as exc:
            state["sync_now_error"] = exc

    with st.expander("Sync now: one domain, object or account"):
        st.selectbox("What to sync", labels, key="sync_now_target")
        st.text_input(
            "…or one account (its ID or exact name)",
            key="sync_now_account",
            help="Re-reads that account's records from every routed source and applies the mapping again.",
        )
        st.button("Sync now", key="sync_now", on_click=_start, icon=":material/bolt:", disabled=running)
        inline_error("sync_now_error")
