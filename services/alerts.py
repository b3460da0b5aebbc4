"""Alerts after a sync run: which rules fire, and delivery to a webhook (Slack-compatible) and e-mail.

Rules and their defaults (per workspace, editable in Settings):

- `run_failed`: the run failed.
- `credential_rejected`: the run failed because a source refused its credential (re-authorize in Connect).
- `quarantine_share`: more than 2% of the rows read were newly quarantined by this run (exactly 2% stays quiet);
  rows still held from earlier runs are reported in the message, not alerted again on every run.
- `volume_swing`: rows read differ from the median of the last 10 whole-workspace runs by more than a factor
  of 3 either way (needs at least 3 earlier runs; exactly 3x stays quiet).
- `slow_run`: the run took longer than 30 minutes.

Evaluation is pure (`evaluate`); `alert_after_run` records what fired and sends it. Nothing here ever
raises into the run: a broken channel is retried a bounded number of times and recorded as failed.
"""

from __future__ import annotations

import json
import logging
import os
import re
import smtplib
import statistics
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from email.message import EmailMessage

import polars as pl
from sqlalchemy import Engine

from domain.errors import CredentialsError, ValidationError
from domain.timestamps import local_minute

log = logging.getLogger(__name__)

RULE_LABELS = {
    "run_failed": "Sync failed",
    "credential_rejected": "Credential rejected",
    "quarantine_share": "Many rows did not roll up",
    "volume_swing": "Unusual volume",
    "slow_run": "Slow sync",
}
VOLUME_BASELINE_RUNS = 10
VOLUME_MIN_HISTORY = 3
RETRY_DELAYS = (1.0, 4.0)  # seconds before the 2nd and 3rd attempt: three attempts in all
SMTP_PASSWORD_ENV = "REVENUE_CONNECTOR_SMTP_PASSWORD"


@dataclass(frozen=True)
class AlertRules:
    quarantine_share_max: float = 0.02
    volume_factor: float = 3.0
    max_run_minutes: float = 30.0

    @classmethod
    def from_settings(cls, row) -> AlertRules:
        return cls(row.quarantine_share_max, row.volume_factor, row.max_run_minutes)


@dataclass(frozen=True)
class RunFacts:
    """What the rules look at, taken from a finished run."""

    status: str
    rows_read: int
    rows_quarantined: int
    seconds: float
    whole_workspace: bool  # not a targeted (object / account) run
    error: str | None = None
    credential_rejected: bool = False
    rows_newly_quarantined: int | None = None  # None: not recorded (older runs), count every quarantined row


@dataclass(frozen=True)
class FiredAlert:
    rule: str
    message: str


def validate_rules(quarantine_share_max: float, volume_factor: float, max_run_minutes: float) -> AlertRules:
    """Thresholds from user input; raises ValidationError naming the field."""
    if not 0 <= quarantine_share_max <= 1:
        raise ValidationError(f"Quarantined share: {quarantine_share_max} is not between 0 and 1 (0.02 = 2%).")
    if volume_factor <= 1:
        raise ValidationError(f"Volume swing factor: {volume_factor} must be above 1 (3 = three times the usual).")
    if max_run_minutes <= 0:
        raise ValidationError(f"Run time limit: {max_run_minutes} minutes must be above 0.")
    return AlertRules(quarantine_share_max, volume_factor, max_run_minutes)


def validate_channels(
    webhook_url: str | None, email_to: str | None, smtp_host: str | None, smtp_sender: str | None
) -> None:
    """Channels from user input; raises ValidationError naming the field."""
    if webhook_url and not re.match(r"^https?://[^\s/]+", webhook_url):
        raise ValidationError(f"Webhook URL: '{webhook_url}' is not an http(s) address.")
    bad = [r for r in (email_to or "").split(",") if r.strip() and not re.fullmatch(r"[^@\s]+@[^@\s]+", r.strip())]
    if bad:
        raise ValidationError(f"E-mail to: '{bad[0].strip()}' is not an e-mail address.")
    if email_to and email_to.strip() and not (smtp_host and smtp_sender):
        raise ValidationError("E-mail to: set the SMTP server and the sender address too, or leave it empty.")


def evaluate(run: RunFacts, previous_reads: list[int], rules: AlertRules) -> list[FiredAlert]:
    """The alerts a finished run raises. `previous_reads`: rows read by earlier whole-workspace runs, newest first."""
    fired: list[FiredAlert] = []
    if run.status != "succeeded":
        if run.credential_rejected:
            fired.append(
                FiredAlert(
                    "credential_rejected",
                    f"A source refused its credential: "
                    f"{(run.error or '').rstrip('. ')}. Re-authorize the connection in step 1 · Connect.",
                )
            )
        reason = (run.error or "no reason was recorded").rstrip(". ")
        said = reason if run.status == "abandoned" else f"The sync {run.status}: {reason}"
        fired.append(FiredAlert("run_failed", f"{said}. The last good data is unchanged."))
    if run.status == "succeeded" and run.rows_read > 0:
        new = run.rows_quarantined if run.rows_newly_quarantined is None else run.rows_newly_quarantined
        share = new / run.rows_read
        if share > rules.quarantine_share_max:
            still = run.rows_quarantined - new
            fired.append(
                FiredAlert(
                    "quarantine_share",
                    f"{new:,} of {run.rows_read:,} rows read ({share:.1%}) newly did not roll up, above the "
                    f"{rules.quarantine_share_max:.1%} limit"
                    + (f"; {still:,} more are still held from earlier runs" if still else "")
                    + ". See Pipelines for the reasons.",
                )
            )
    history = previous_reads[:VOLUME_BASELINE_RUNS]
    if run.status == "succeeded" and run.whole_workspace and len(history) >= VOLUME_MIN_HISTORY:
        median = statistics.median(history)
        if median > 0 and (
            run.rows_read > median * rules.volume_factor or run.rows_read < median / rules.volume_factor
        ):
            fired.append(
                FiredAlert(
                    "volume_swing",
                    f"{run.rows_read:,} rows read against a median of {median:,.0f} over "
                    f"the last {len(history)} runs (more than {rules.volume_factor:g}x apart).",
                )
            )
    if run.seconds > rules.max_run_minutes * 60:
        fired.append(
            FiredAlert(
                "slow_run",
                f"The sync took {run.seconds / 60:.1f} minutes, above the {rules.max_run_minutes:g}-minute limit.",
            )
        )
    return fired


def _attempt(send, *, delays: tuple[float, ...]) -> tuple[bool, int, str | None]:
    """Call `send` up to 1 + len(delays) times; returns (delivered, attempts, last error)."""
    error = None
    for attempt in range(len(delays) + 1):
        if attempt:
            time.sleep(delays[attempt - 1])
        try:
            send()
            return True, attempt + 1, None
        except (OSError, smtplib.SMTPException, urllib.error.URLError) as exc:
            error = f"{type(exc).__name__}: {exc}"
    return False, len(delays) + 1, error


def post_webhook(url: str, payload: dict, *, timeout: float = 10.0) -> None:
    """POST JSON; any non-2xx answer is an error."""
    request = urllib.request.Request(
        url, data=json.dumps(payload).encode("utf-8"), method="POST", headers={"Content-Type": "application/json"}
    )
    with urllib.request.urlopen(request, timeout=timeout) as response:  # noqa: S310 - the admin's own URL
        if not 200 <= response.status < 300:
            raise OSError(f"HTTP {response.status}")


def send_email(settings, recipients: list[str], subject: str, body: str, *, timeout: float = 10.0) -> None:
    """Send one message over SMTP with the workspace's server settings (password from the environment)."""
    message = EmailMessage()
    message["From"], message["To"], message["Subject"] = settings.smtp_sender, ", ".join(recipients), subject
    message.set_content(body)
    with smtplib.SMTP(settings.smtp_host, settings.smtp_port or 25, timeout=timeout) as smtp:
        if settings.smtp_starttls:
            smtp.starttls()
        if settings.smtp_username:
            smtp.login(settings.smtp_username, os.environ.get(SMTP_PASSWORD_ENV, ""))
        smtp.send_message(message)


def slack_payload(workspace_name: str, rule: str, message: str, run_id: int | None) -> dict:
    """A Slack incoming-webhook body (`text`), with the structured alert alongside for other receivers."""
    title = RULE_LABELS.get(rule, rule)
    run = f" (run #{run_id})" if run_id else ""
    return {
        "text": f":warning: Revenue Connector · {workspace_name}: {title}{run}. {message}",
        "alert": {"workspace": workspace_name, "rule": rule, "title": title, "message": message, "run_id": run_id},
    }


def deliver(session, alert, settings, workspace_name: str, *, delays: tuple[float, ...] = RETRY_DELAYS) -> None:
    """Send one alert to every configured channel and record each outcome; never raises."""
    from storage.alerts import add_delivery

    title = RULE_LABELS.get(alert.rule, alert.rule)
    if settings.webhook_url:
        payload = slack_payload(workspace_name, alert.rule, alert.message, alert.run_id)
        ok, attempts, error = _attempt(lambda: post_webhook(settings.webhook_url, payload), delays=delays)
        add_delivery(
            session,
            alert.id,
            channel="webhook",
            target=settings.webhook_url,
            status="delivered" if ok else "failed",
            attempts=attempts,
            error=error,
        )
    recipients = [r.strip() for r in (settings.email_to or "").split(",") if r.strip()]
    if recipients and settings.smtp_host and settings.smtp_sender:
        subject = f"[Revenue Connector] {workspace_name}: {title}"
        body = f"{alert.message}\n\nRun: #{alert.run_id}\nRule: {alert.rule}\n"
        ok, attempts, error = _attempt(lambda: send_email(settings, recipients, subject, body), delays=delays)
        add_delivery(
            session,
            alert.id,
            channel="email",
            target=", ".join(recipients),
            status="delivered" if ok else "failed",
            attempts=attempts,
            error=error,
        )


def alert_after_run(
    engine: Engine, run_id: int, *, error: BaseException | None = None, delays: tuple[float, ...] = RETRY_DELAYS
) -> list[FiredAlert]:
    """Evaluate the rules for a finished run, record what fired and deliver it. Dry runs raise no alerts.

    Never raises: an alert that cannot be evaluated or sent must not turn a good run into a failed one.
    """
    from storage.alerts import add_alert, get_alert_settings, previous_full_runs
    from storage.db import fetch, session_scope
    from storage.tables import SyncRun, Workspace

    try:
        with session_scope(engine) as session:
            run = session.get(SyncRun, run_id)
            if run is None or run.dry_run:
                return []
            settings = get_alert_settings(session, run.workspace_id)
            seconds = ((run.finished_at or run.started_at) - run.started_at).total_seconds()
            facts = RunFacts(
                run.status,
                run.rows_read,
                run.rows_quarantined,
                seconds,
                run.scope is None,
                run.error,
                isinstance(error, CredentialsError),
                run.rows_newly_quarantined,
            )
            previous = [r.rows_read for r in previous_full_runs(session, run.workspace_id, run.id)]
            fired = evaluate(facts, previous, AlertRules.from_settings(settings))
            workspace_name = fetch(session, Workspace, run.workspace_id).name
            alerts = [add_alert(session, run.workspace_id, run.id, f.rule, f.message) for f in fired]
        if alerts:
            # Deliveries after the alerts are committed, so a slow channel never holds a transaction open.
            with session_scope(engine) as session:
                for alert in alerts:
                    deliver(session, alert, settings, workspace_name, delays=delays)
        return fired
    except Exception:  # noqa: BLE001 - alerts are advisory; the run's own outcome is already recorded
        log.exception("alerts for run %s could not be evaluated or delivered", run_id)
        return []


def alert_rows(alerts: list, deliveries: list, time_zone: str) -> pl.DataFrame:
    """Alerts in the user's words, newest first as given: when (the viewer's zone), run, rule, message, where each
    was sent and whether someone has seen it."""
    sent: dict[int, list[str]] = {}
    for d in deliveries:
        sent.setdefault(d.alert_id, []).append(
            f"{d.channel}: {d.status}" + (f" after {d.attempts} tries" if d.attempts > 1 else "")
        )
    return pl.DataFrame(
        {
            "When": [local_minute(a.created_at, time_zone) for a in alerts],
            "Run": [f"#{a.run_id}" if a.run_id else "" for a in alerts],
            "Alert": [RULE_LABELS.get(a.rule, a.rule) for a in alerts],
            "What happened": [a.message for a in alerts],
            "Sent to": ["; ".join(sent.get(a.id, [])) or "shown here only" for a in alerts],
            "Status": ["open" if a.acknowledged_at is None else f"seen by {a.acknowledged_by}" for a in alerts],
        },
        schema=dict.fromkeys(("When", "Run", "Alert", "What happened", "Sent to", "Status"), pl.String),
    )
