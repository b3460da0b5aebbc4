"""Alert settings, raised alerts and their deliveries in the database."""

from __future__ import annotations

from sqlmodel import Session, col, select

from storage import audit
from storage.tables import Alert, AlertDelivery, AlertSettings, SyncRun, utcnow

ALERT_SETTING_FIELDS = (
    "quarantine_share_max",
    "volume_factor",
    "max_run_minutes",
    "webhook_url",
    "email_to",
    "smtp_host",
    "smtp_port",
    "smtp_sender",
    "smtp_starttls",
    "smtp_username",
)


def get_alert_settings(session: Session, workspace_id: int) -> AlertSettings:
    """The workspace's alert settings, or the defaults (2% quarantined, 3x volume swing, 30 min) when none are saved."""
    row = session.exec(select(AlertSettings).where(AlertSettings.workspace_id == workspace_id)).first()
    return row or AlertSettings(workspace_id=workspace_id, updated_by="defaults")


def save_alert_settings(session: Session, workspace_id: int, *, actor: str, **values) -> AlertSettings:
    """Save thresholds and channels (already validated by services.alerts); audited without secrets."""
    unknown = set(values) - set(ALERT_SETTING_FIELDS)
    assert not unknown, f"unknown alert settings: {unknown}"
    row = session.exec(
        select(AlertSettings).where(AlertSettings.workspace_id == workspace_id)
    ).first() or AlertSettings(workspace_id=workspace_id, updated_by=actor)
    for key, value in values.items():
        setattr(row, key, value)
    row.updated_by, row.updated_at = actor, utcnow()
    session.add(row)
    audit.record(
        session,
        actor=actor,
        action="alert_settings",
        entity="workspace",
        entity_id=workspace_id,
        workspace_id=workspace_id,
        detail=values,
    )
    return row


def previous_full_runs(session: Session, workspace_id: int, before_run_id: int, limit: int = 10) -> list[SyncRun]:
    """The last `limit` succeeded real syncs of the whole workspace before a run (the volume baseline)."""
    return list(
        session.exec(
            select(SyncRun)
            .where(
                SyncRun.workspace_id == workspace_id,
                SyncRun.id < before_run_id,
                SyncRun.status == "succeeded",
                SyncRun.dry_run == False,
                col(SyncRun.scope).is_(None),
                SyncRun.trigger != "rollback",  # noqa: E712
            )
            .order_by(col(SyncRun.id).desc())
            .limit(limit)
        ).all()
    )


def add_alert(session: Session, workspace_id: int, run_id: int | None, rule: str, message: str) -> Alert:
    alert = Alert(workspace_id=workspace_id, run_id=run_id, rule=rule, message=message)
    session.add(alert)
    session.flush()
    return alert


def add_delivery(
    session: Session, alert_id: int, *, channel: str, target: str, status: str, attempts: int, error: str | None
) -> None:
    session.add(
        AlertDelivery(alert_id=alert_id, channel=channel, target=target, status=status, attempts=attempts, error=error)
    )


def list_alerts(session: Session, workspace_id: int, *, open_only: bool = False, limit: int = 50) -> list[Alert]:
    """Newest first; `open_only` leaves out acknowledged ones."""
    statement = select(Alert).where(Alert.workspace_id == workspace_id)
    if open_only:
        statement = statement.where(col(Alert.acknowledged_at).is_(None))
    return list(session.exec(statement.order_by(col(Alert.id).desc()).limit(limit)).all())


def deliveries_of(session: Session, alert_ids: list[int]) -> list[AlertDelivery]:
    if not alert_ids:
        return []
    return list(
        session.exec(
            select(AlertDelivery).where(col(AlertDelivery.alert_id).in_(alert_ids)).order_by(col(AlertDelivery.id))
        ).all()
    )


def acknowledge_alerts(session: Session, workspace_id: int, *, actor: str) -> int:
    """Mark every open alert of a workspace as seen; returns how many."""
    now, count = utcnow(), 0
    for alert in list_alerts(session, workspace_id, open_only=True, limit=10_000):
        alert.acknowledged_by, alert.acknowledged_at = actor, now
        session.add(alert)
        count += 1
    if count:
        audit.record(
            session,
            actor=actor,
            action="acknowledge_alerts",
            entity="workspace",
            entity_id=workspace_id,
            workspace_id=workspace_id,
            detail={"alerts": count},
        )
    return count
