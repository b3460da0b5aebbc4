"""Syncs from a script: run, dry-run or roll back, schedules, the worker and the alerts a run raised."""

from __future__ import annotations

import argparse
from datetime import UTC, datetime

from cli.opening import cli_access, open_app, open_workspace, workspace_named
from cli.worker import run_worker, tick
from domain.canonical import Domain
from domain.errors import RevenueConnectorError
from domain.schedule import schedule
from services.schedules import set_schedule
from services.sync import SyncScope, rollback_to, run_sync
from storage.accounts import find_account
from storage.alerts import deliveries_of, list_alerts
from storage.db import session_scope
from storage.schedules import get_schedule, latest_worker, worker_alive


def _cmd_sync(args: argparse.Namespace) -> int:
    settings, engine = open_app()
    access = cli_access(engine, settings)
    with session_scope(engine) as session:
        workspace = workspace_named(session, args.workspace)
    if args.rollback_to is not None:
        restored = rollback_to(engine, workspace.id, args.rollback_to, access=access)
        print(
            f"rolled back {workspace.name} to run {args.rollback_to}: "
            + ", ".join(f"{domain.label} {rows:,} rows" for domain, rows in restored.items())
        )
        return 0
    scope = _sync_scope(engine, workspace.id, args)
    summary = run_sync(
        engine,
        settings,
        workspace.id,
        trigger="cli",
        access=access,
        dry_run=args.dry_run,
        full=args.full,
        allow_mass_delete=args.allow_mass_delete,
        scope=scope,
    )
    kind = ("dry run" if summary.dry_run else "sync") + (f" of {scope.describe()}" if scope else "")
    print(
        f"{kind} #{summary.run_id} of {workspace.name} (mapping v{summary.mapping_version}, "
        f"{summary.api_calls} API calls, {summary.seconds:.1f} s)"
    )
    for line in summary.lines():
        print(line)
    return 0


def _sync_scope(engine, workspace_id: int, args: argparse.Namespace):
    """--object DOMAIN | SOURCE_KEY:OBJECT | OBJECT, or --account ID-or-exact-name, as a SyncScope (None: everything)."""
    if args.object and args.account:
        raise RevenueConnectorError("Give --object or --account, not both.")
    if args.object:
        if args.object in {d.value for d in Domain}:
            return SyncScope(domain=Domain(args.object))
        key, _, name = args.object.rpartition(":")
        return SyncScope(source_key=key or None, object_name=name)
    if args.account:
        with session_scope(engine) as session:
            account = find_account(session, workspace_id, args.account)
        return SyncScope(account_id=account.id, account_name=account.name)
    return None


def _cmd_schedule(args: argparse.Namespace) -> int:
    settings, engine, workspace, access = open_workspace(args.workspace)
    with session_scope(engine) as session:
        if args.every or args.hourly or args.daily or args.off:
            kind = "interval" if args.every else "hourly" if args.hourly else "daily" if args.daily else "off"
            plan = schedule(kind, every_minutes=args.every, daily_at=args.daily, timezone=args.timezone)
            set_schedule(session, workspace.id, plan, access=access, now=datetime.now(UTC))
        row = get_schedule(session, workspace.id)
        worker = latest_worker(session)
    shown = (
        schedule(row.kind, every_minutes=row.every_minutes, daily_at=row.daily_at, timezone=row.timezone)
        if row
        else None
    )
    print(
        f"schedule of {workspace.name}: {shown.describe() if shown else 'off'}"
        + (f"; next run {row.next_due_at:%Y-%m-%d %H:%M} UTC" if row and row.next_due_at else "")
    )
    print(
        "worker: "
        + (
            f"alive ({worker.name}, last beat {worker.beat_at:%H:%M:%S} UTC)"
            if worker and worker_alive(worker)
            else "not running — start it with `python -m core worker`"
        )
    )
    return 0


def _cmd_worker(args: argparse.Namespace) -> int:
    settings, engine = open_app()
    if args.once:
        for fired in tick(engine, settings, datetime.now(UTC)):
            print(f"workspace {fired.workspace_id}: {fired.outcome}")
        return 0
    run_worker(engine, settings, tick_seconds=args.tick_seconds)
    return 0


def _cmd_alerts(args: argparse.Namespace) -> int:
    _settings, engine, workspace, _access = open_workspace(args.workspace)
    with session_scope(engine) as session:
        alerts = list_alerts(session, workspace.id, limit=args.limit)
        deliveries = deliveries_of(session, [a.id for a in alerts])
    for alert in alerts:
        sent = "; ".join(
            f"{d.channel} {d.status} after {d.attempts} attempt(s)" for d in deliveries if d.alert_id == alert.id
        )
        print(
            f"{alert.created_at:%Y-%m-%d %H:%M}\trun #{alert.run_id}\t{alert.rule}\t{alert.message}"
            + (f"\t[{sent}]" if sent else "")
        )
    if not alerts:
        print(f"no alerts in {workspace.name}")
    return 0


def register(commands: argparse._SubParsersAction) -> None:
    """Add the sync, schedule, worker, alerts command(s)."""
    sync = commands.add_parser("sync", help="sync a workspace (or dry-run it, or roll back to a run)")
    sync.add_argument("--workspace", required=True)
    sync.add_argument("--dry-run", action="store_true", help="compute and report; write nothing")
    sync.add_argument("--full", action="store_true", help="read everything, not only what changed since the cursor")
    sync.add_argument(
        "--allow-mass-delete",
        action="store_true",
        help="go ahead even if the run removes more than the allowed share of a domain (admins only)",
    )
    sync.add_argument("--rollback-to", type=int, metavar="RUN", help="restore the canonical data run RUN produced")
    sync.add_argument(
        "--object", help="sync only a domain (pipeline, arr_actuals) or a routed object (SOURCE_KEY:OBJECT)"
    )
    sync.add_argument("--account", help="re-read one canonical account's records (its ID or exact name)")
    sync.set_defaults(run=_cmd_sync)
    sched = commands.add_parser("schedule", help="show or set when the worker syncs a workspace")
    sched.add_argument("--workspace", required=True)
    choice = sched.add_mutually_exclusive_group()
    choice.add_argument("--every", type=int, metavar="MINUTES", help="every N minutes (N >= 5)")
    choice.add_argument("--hourly", action="store_true")
    choice.add_argument("--daily", metavar="HH:MM", help="daily at a local time")
    choice.add_argument("--off", action="store_true")
    sched.add_argument("--timezone", default="UTC", help="IANA time zone for --daily, e.g. Europe/Berlin")
    sched.set_defaults(run=_cmd_schedule)
    worker = commands.add_parser("worker", help="run the scheduler worker (long-running; Ctrl-C stops it)")
    worker.add_argument("--tick-seconds", type=float, default=30.0, help="how often to look for due schedules")
    worker.add_argument("--once", action="store_true", help="fire what is due now and exit (for cron)")
    worker.set_defaults(run=_cmd_worker)
    alerts = commands.add_parser("alerts", help="list a workspace's alerts and their deliveries")
    alerts.add_argument("--workspace", required=True)
    alerts.add_argument("--limit", type=int, default=20)
    alerts.set_defaults(run=_cmd_alerts)
