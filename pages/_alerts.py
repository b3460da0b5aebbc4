"""The alerts list shown on Pipelines: what fired after which run, where it was sent, and acknowledging it."""

from __future__ import annotations

import streamlit as st

from domain.roles import Permission
from pages._shell import current_access, db_session, figure_table
from services.alerts import alert_rows
from services.setup_changes import acknowledge_alerts
from storage.alerts import deliveries_of, list_alerts


def has_open_alerts(ctx, workspace) -> bool:
    with db_session(ctx) as session:
        return bool(list_alerts(session, workspace.id, open_only=True, limit=1))


def alerts_panel(ctx, workspace) -> None:
    """Open alerts with a count badge, then the recent history with delivery outcomes."""
    with db_session(ctx) as session:
        alerts = list_alerts(session, workspace.id, limit=50)
        deliveries = deliveries_of(session, [a.id for a in alerts])
    open_count = sum(a.acknowledged_at is None for a in alerts)
    header = st.container(horizontal=True, vertical_alignment="center")
    header.subheader("Alerts")
    if open_count:
        header.badge(f"{open_count} open", icon=":material/notifications_active:", color="red")
    if not alerts:
        st.caption(
            "No alert so far. Alerts fire when a sync fails, a credential is rejected, too many rows do not "
            "roll up, the volume read swings, or a sync runs long (thresholds in Settings)."
        )
        return
    st.caption(f"Times in your time zone ({st.context.timezone or 'UTC'}).")
    figure_table(alert_rows(alerts, deliveries, st.context.timezone or "UTC"))

    def _acknowledge() -> None:
        with db_session(ctx) as session:
            count = acknowledge_alerts(session, workspace.id, access=current_access())
        st.session_state["flash"] = ("success", f"{count} alert(s) marked as seen.")

    if open_count and current_access().may(Permission.RUN_SYNC):
        st.button("Mark all as seen", key="alerts_ack", on_click=_acknowledge, icon=":material/done_all:")


def alert_settings_form(ctx, workspace) -> None:
    """Thresholds and channels of the workspace's alerts (admin and finance)."""
    from domain.errors import RevenueConnectorError
    from pages._shell import inline_error
    from services.alerts import SMTP_PASSWORD_ENV, validate_channels, validate_rules
    from services.setup_changes import save_alert_settings
    from storage.alerts import get_alert_settings

    with db_session(ctx) as session:
        current = get_alert_settings(session, workspace.id)

    def _save() -> None:
        state = st.session_state
        values = {
            k: state.get(f"alerts_{k}")
            for k in ("webhook_url", "email_to", "smtp_host", "smtp_sender", "smtp_username")
        }
        values = {k: (v or "").strip() or None for k, v in values.items()}
        try:
            validate_rules(state["alerts_share"] / 100, state["alerts_factor"], state["alerts_minutes"])
            validate_channels(values["webhook_url"], values["email_to"], values["smtp_host"], values["smtp_sender"])
            with db_session(ctx) as session:
                save_alert_settings(
                    session,
                    workspace.id,
                    access=current_access(),
                    **values,
                    quarantine_share_max=state["alerts_share"] / 100,
                    volume_factor=state["alerts_factor"],
                    max_run_minutes=state["alerts_minutes"],
                    smtp_port=int(state["alerts_smtp_port"]),
                    smtp_starttls=state["alerts_starttls"],
                )
        except RevenueConnectorError as exc:
            state["alerts_error"] = exc
            return
        state["flash"] = ("success", "Alert settings saved.")

    with st.container(border=True):
        st.caption(
            "After every sync: an alert when it fails or a credential is rejected, and when a threshold "
            "below is crossed. Alerts always show on Pipelines; a webhook (Slack-compatible) and e-mail "
            "are optional."
        )
        share, factor, minutes = st.columns(3)
        share.number_input(
            "Newly quarantined share above (%)", 0.0, 100.0, current.quarantine_share_max * 100, 0.5, key="alerts_share"
        )
        factor.number_input(
            "Volume swing: factor from the median of the last 10 runs",
            1.1,
            100.0,
            current.volume_factor,
            0.5,
            key="alerts_factor",
        )
        minutes.number_input(
            "Run time above (minutes)", 1.0, 1440.0, current.max_run_minutes, 5.0, key="alerts_minutes"
        )
        st.text_input(
            "Webhook URL (Slack incoming webhook or any JSON receiver)",
            current.webhook_url or "",
            key="alerts_webhook_url",
        )
        st.text_input("E-mail to (comma-separated)", current.email_to or "", key="alerts_email_to")
        host, port, sender = st.columns([2, 1, 2])
        host.text_input("SMTP server", current.smtp_host or "", key="alerts_smtp_host")
        port.number_input("Port", 1, 65535, current.smtp_port or 587, key="alerts_smtp_port")
        sender.text_input("Sender address", current.smtp_sender or "", key="alerts_smtp_sender")
        user, tls = st.columns([3, 1], vertical_alignment="bottom")
        user.text_input(
            f"SMTP user (password from {SMTP_PASSWORD_ENV})", current.smtp_username or "", key="alerts_smtp_username"
        )
        tls.checkbox("STARTTLS", current.smtp_starttls, key="alerts_starttls")
        st.button("Save alert settings", key="alerts_save", on_click=_save, icon=":material/save:")
        inline_error("alerts_error")
