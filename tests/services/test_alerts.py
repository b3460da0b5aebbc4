"""Alert rules: each fires past its threshold and stays quiet at the boundary."""

from services.alerts import AlertRules, RunFacts, evaluate

RULES = AlertRules(quarantine_share_max=0.02, volume_factor=3.0, max_run_minutes=30.0)


def _run(**overrides) -> RunFacts:
    facts = {"status": "succeeded", "rows_read": 100, "rows_quarantined": 0, "seconds": 60.0, "whole_workspace": True}
    return RunFacts(**{**facts, **overrides})


def _rules(run, history=(100, 100, 100)):
    return [a.rule for a in evaluate(run, list(history), RULES)]


def test_a_healthy_run_raises_nothing():
    assert _rules(_run()) == []


def test_a_failed_run_alerts_and_a_rejected_credential_says_so():
    assert _rules(_run(status="failed", error="Disk full")) == ["run_failed"]
    fired = evaluate(
        _run(status="failed", error="Salesforce refused the password.", credential_rejected=True), [], RULES
    )
    assert [a.rule for a in fired] == ["credential_rejected", "run_failed"]
    assert "Re-authorize" in fired[0].message and "last good data is unchanged" in fired[1].message


def test_quarantined_share_fires_above_two_percent_and_is_quiet_at_it():
    assert _rules(_run(rows_quarantined=2)) == []
    fired = evaluate(_run(rows_quarantined=3), [100] * 3, RULES)
    assert [a.rule for a in fired] == ["quarantine_share"] and "3 of 100 rows read (3.0%) newly" in fired[0].message
    assert _rules(_run(rows_read=0, rows_quarantined=0), history=()) == []


def test_volume_swing_against_the_median_of_recent_runs_both_ways():
    history = (100, 100, 100, 5000)  # one outlier does not move the median
    assert _rules(_run(rows_read=300), history) == []
    assert _rules(_run(rows_read=301), history) == ["volume_swing"]
    assert _rules(_run(rows_read=34), history) == []
    assert _rules(_run(rows_read=33), history) == ["volume_swing"]
    assert _rules(_run(rows_read=1000), (100, 100)) == []  # too little history to judge
    assert _rules(_run(rows_read=1000, whole_workspace=False), history) == []  # a targeted run reads less by design
    assert _rules(_run(rows_read=1000), [100] * 10 + [1000] * 5) == ["volume_swing"]  # only the last 10 count


def test_a_slow_run_fires_past_the_limit():
    assert _rules(_run(seconds=1800)) == []
    assert _rules(_run(seconds=1801)) == ["slow_run"]


def test_rows_still_held_from_earlier_runs_are_reported_not_alerted_again():
    assert _rules(_run(rows_read=54, rows_quarantined=8, rows_newly_quarantined=0)) == []
    fired = evaluate(_run(rows_read=100, rows_quarantined=11, rows_newly_quarantined=3), [100] * 3, RULES)
    assert [a.rule for a in fired] == ["quarantine_share"]
    assert "3 of 100 rows read (3.0%) newly did not roll up" in fired[0].message
    assert "8 more are still held from earlier runs" in fired[0].message


def test_the_alerts_table_reads_in_words_with_times_in_the_viewers_zone():
    from datetime import datetime

    from services.alerts import alert_rows
    from storage.tables import Alert, AlertDelivery

    alert = Alert(id=7, workspace_id=1, run_id=12, rule="run_failed", message="Sync #12 failed.")
    alert.created_at = datetime(2026, 1, 15, 12, 0)  # stored naive, in UTC
    delivery = AlertDelivery(
        alert_id=7, channel="webhook", target="https://hooks.example", status="delivered", attempts=2
    )
    rows = alert_rows([alert], [delivery], "America/New_York").to_dicts()
    assert rows == [
        {
            "When": "2026-01-15 07:00",
            "Run": "#12",
            "Alert": rows[0]["Alert"],
            "What happened": "Sync #12 failed.",
            "Sent to": "webhook: delivered after 2 tries",
            "Status": "open",
        }
    ]
    assert rows[0]["Alert"] != "run_failed"  # the rule in words, not its key
