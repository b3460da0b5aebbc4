"""Alerts after real sync runs, delivered to a webhook server and an SMTP server started here on 127.0.0.1."""

import json
import socket
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from aiosmtpd.controller import Controller

from domain.roles import system_access
from services.alerts import alert_after_run
from services.sync import run_sync
from services.sync.lifecycle import start_run
from storage.alerts import deliveries_of, list_alerts, save_alert_settings
from storage.db import session_scope
from storage.sync_runs import finish_run


class _Receiver(BaseHTTPRequestHandler):
    status = 200
    received: list

    def do_POST(self):  # noqa: N802 - the http.server API
        body = self.rfile.read(int(self.headers["Content-Length"]))
        self.server.received.append(json.loads(body))
        self.send_response(self.server.status)
        self.end_headers()

    def log_message(self, *args):
        pass


@pytest.fixture
def webhook():
    """A local HTTP endpoint; set `.status` to make it fail."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Receiver)
    server.received, server.status = [], 200
    threading.Thread(target=server.serve_forever, daemon=True).start()
    server.url = f"http://127.0.0.1:{server.server_address[1]}/hooks/alerts"
    yield server
    server.shutdown()


class _Inbox:
    def __init__(self):
        self.messages = []

    async def handle_DATA(self, server, session, envelope):  # noqa: N802 - aiosmtpd's handler API
        self.messages.append((envelope.rcpt_tos, envelope.content.decode("utf-8", "replace")))
        return "250 OK"


@pytest.fixture
def smtp():
    with socket.socket() as probe:  # aiosmtpd checks the port it was given, so it cannot take port 0
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    inbox = _Inbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    inbox.port = port
    yield inbox
    controller.stop()


def _settings(workspace, **values):
    _, engine, ws, _ = workspace
    with session_scope(engine) as session:
        save_alert_settings(session, ws, actor="t", **values)


def _alerts(workspace):
    _, engine, ws, _ = workspace
    with session_scope(engine) as session:
        alerts = list_alerts(session, ws)
        return alerts, deliveries_of(session, [a.id for a in alerts])


def test_too_many_quarantined_rows_alert_reaches_the_webhook_and_the_inbox(workspace, webhook, smtp):
    settings, engine, ws, _ = workspace
    # The demo export quarantines 8 of 500 rows (1.6%): loud at 1% (quiet at the default 2%: test_alerts.py).
    _settings(
        workspace,
        webhook_url=webhook.url,
        email_to="finance@example.com, cfo@example.com",
        smtp_host="127.0.0.1",
        smtp_port=smtp.port,
        smtp_sender="connector@example.com",
        quarantine_share_max=0.01,
    )
    summary = run_sync(engine, settings, ws, trigger="test", access=system_access("t"), full=True)
    alerts, deliveries = _alerts(workspace)
    assert [(a.rule, a.run_id) for a in alerts] == [("quarantine_share", summary.run_id)]
    assert "did not roll up" in alerts[0].message
    payload = webhook.received[0]
    assert payload["alert"]["rule"] == "quarantine_share" and payload["alert"]["run_id"] == summary.run_id
    assert payload["text"].startswith(":warning: Revenue Connector · Acme: Many rows did not roll up")
    recipients, content = smtp.messages[0]
    assert recipients == ["finance@example.com", "cfo@example.com"]
    assert "Subject: [Revenue Connector] Acme: Many rows did not roll up" in content
    assert {(d.channel, d.status, d.attempts) for d in deliveries} == {
        ("webhook", "delivered", 1),
        ("email", "delivered", 1),
    }


def test_a_failing_channel_is_retried_a_bounded_number_of_times_and_recorded(workspace, webhook):
    settings, engine, ws, _ = workspace
    webhook.status = 500
    _settings(
        workspace,
        webhook_url=webhook.url,
        email_to="finance@example.com",
        smtp_host="127.0.0.1",
        smtp_port=1,
        smtp_sender="connector@example.com",
    )  # nothing listens on port 1
    run = start_run(engine, ws, trigger="test", dry_run=False)
    finish_run(engine, run.id, status="failed", error="Salesforce is down")
    fired = alert_after_run(engine, run.id, delays=(0.0, 0.0))
    assert [f.rule for f in fired] == ["run_failed"]
    _, deliveries = _alerts(workspace)
    assert len(webhook.received) == 3
    assert {(d.channel, d.status, d.attempts) for d in deliveries} == {("webhook", "failed", 3), ("email", "failed", 3)}
    assert all(d.error for d in deliveries)


def test_a_dead_webhook_never_fails_a_good_sync(workspace):
    settings, engine, ws, _ = workspace
    _settings(workspace, webhook_url="http://127.0.0.1:1/nothing-here", quarantine_share_max=0.0)
    summary = run_sync(engine, settings, ws, trigger="test", access=system_access("t"))
    alerts, deliveries = _alerts(workspace)
    assert summary.domains and [a.rule for a in alerts] == ["quarantine_share"]
    assert [(d.status, d.attempts) for d in deliveries] == [("failed", 3)]


def test_deliver_sends_nothing_without_channels(workspace):
    _, engine, ws, _ = workspace
    run = start_run(engine, ws, trigger="test", dry_run=False)
    finish_run(engine, run.id, status="failed", error="x")
    assert [f.rule for f in alert_after_run(engine, run.id)] == ["run_failed"]
    alerts, deliveries = _alerts(workspace)
    assert len(alerts) == 1 and deliveries == []
