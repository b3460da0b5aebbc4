"""Headless commands: `python -m core <command>`. Exit 0 on success; otherwise a one-line reason on
stderr and a non-zero exit code, so cron jobs and scripts can rely on it."""

from __future__ import annotations

import argparse
import logging
import sys
from datetime import date
from pathlib import Path

from core.config import display_database_url, load_settings
from core.errors import RevenueConnectorError

EXIT_ERROR = 1
EXIT_USAGE = 2
MISTAKES_SHOWN = 25  # per labelled set in `eval`; --all-mistakes lists them all


def _cmd_demo(args: argparse.Namespace) -> int:
    from core.demo import DemoSpec, write_demo

    spec = DemoSpec(seed=args.seed, accounts=args.accounts, opportunities=args.opportunities,
                    movements=args.movements, months=args.months, as_of=date.fromisoformat(args.as_of))
    counts = write_demo(spec, Path(args.out), file_format=args.format)
    for name, rows in counts.items():
        print(f"{name}: {rows:,} rows")
    print(f"written to {Path(args.out).resolve()}")
    return 0


def _cmd_db(args: argparse.Namespace) -> int:
    from storage.db import make_engine, schema_status, upgrade

    settings = load_settings()
    if args.action == "upgrade":
        backup = upgrade(settings)
        if backup:
            print(f"backup: {backup}")
    engine = make_engine(settings.database_url)
    try:
        status = schema_status(engine)
    finally:
        engine.dispose()
    state = "up to date" if status.up_to_date else ("empty" if status.is_empty else "needs upgrade")
    print(f"database: {display_database_url(settings.database_url)}")
    print(f"schema: {status.current or 'none'} (this release: {status.head}) - {state}")
    return 0


def _cmd_workspaces(args: argparse.Namespace) -> int:
    from core.roles import Permission
    from core.startup import start
    from core.wizard import StepStatus, progress
    from storage.db import session_scope
    from storage.progress import setup_facts
    from storage.workspaces import create_workspace, list_workspaces

    settings = load_settings()
    engine = start(settings)
    if args.action == "create":
        if not args.name:
            raise RevenueConnectorError("workspaces create needs the workspace's NAME.")
        access = _cli_access(engine, settings)
        access.require(Permission.MANAGE_CONNECTIONS)
        with session_scope(engine) as session:
            workspace = create_workspace(session, args.name, actor=f"cli:{access.actor}",
                                         reporting_currency=args.reporting_currency)
        print(f"workspace {workspace.name} created (reporting currency {workspace.reporting_currency})")
        return 0
    with session_scope(engine) as session:
        for workspace in list_workspaces(session):
            done = sum(s.status == StepStatus.DONE for s in progress(setup_facts(session, workspace.id)))
            print(f"{workspace.name}\t{'demo' if workspace.is_demo else ''}\tsetup {done} of 5 steps done")
    return 0


def _cli_access(engine, settings):
    """Who runs this command: the local admin while no users exist, else the user named in the environment.

    REVENUE_CONNECTOR_USER and REVENUE_CONNECTOR_PASSWORD sign in a script; the role then decides what
    the command may do and which amounts it shows, exactly as in the app.
    """
    import os

    from core.errors import NotSignedIn
    from storage.db import session_scope
    from storage.users import sign_in, users_defined

    with session_scope(engine) as session:
        if not users_defined(session):
            from core.roles import local_admin
            return local_admin(settings.mask_min_accounts)
        user, password = os.environ.get("REVENUE_CONNECTOR_USER"), os.environ.get("REVENUE_CONNECTOR_PASSWORD")
        if not user or password is None:
            raise NotSignedIn("Users are defined: set REVENUE_CONNECTOR_USER and REVENUE_CONNECTOR_PASSWORD.")
        return sign_in(session, user, password, min_accounts=settings.mask_min_accounts)


def _cmd_export(args: argparse.Namespace) -> int:
    from core.exports import export_frame, write_export
    from core.startup import start
    from storage.db import session_scope
    from storage.workspaces import require_workspace

    settings = load_settings()
    engine = start(settings)
    access = _cli_access(engine, settings)
    with session_scope(engine) as session:
        workspace = require_workspace(session, args.workspace)
    frame = export_frame(engine, args.table, workspace.id, access)
    out = Path(args.out)
    write_export(frame, out, parquet=args.format == "parquet" or (args.format is None and out.suffix.lower() == ".parquet"))
    print(f"{args.table}: {len(frame):,} rows -> {out}" + ("" if access.sees_amounts else " (amounts masked)"))
    return 0


def _cmd_users(args: argparse.Namespace) -> int:
    import getpass
    import os

    from core.roles import Role
    from core.startup import start
    from storage.db import session_scope
    from storage.users import create_user, list_users

    settings = load_settings()
    engine = start(settings)
    access = _cli_access(engine, settings)
    with session_scope(engine) as session:
        if args.action == "add":
            password = os.environ.get(args.password_env) if args.password_env else getpass.getpass("Password: ")
            user = create_user(session, args.name, role=Role(args.role), password=password, actor=access)
            print(f"user {user.username} added as {user.role}")
        else:
            for user in list_users(session):
                print(f"{user.username}\t{user.role}\t{'disabled' if user.disabled else 'enabled'}")
    return 0


def _open_workspace(name: str):
    from core.startup import start
    from storage.db import session_scope
    from storage.workspaces import require_workspace

    settings = load_settings()
    engine = start(settings)
    with session_scope(engine) as session:
        return settings, engine, require_workspace(session, name)


def _connection_by_key(session, workspace_id: int, source_key: str):
    from storage.connections import list_connections

    connections = list_connections(session, workspace_id)
    match = next((c for c in connections if c.source_key == source_key), None)
    if match is None:
        keys = ", ".join(c.source_key for c in connections) or "none"
        raise RevenueConnectorError(f"There is no connection with source key '{source_key}'.", hint=f"Source keys: {keys}.")
    return match


def _cmd_connections(args: argparse.Namespace) -> int:
    import os

    from core.connections import check_connection
    from core.roles import Permission
    from core.workspace_setup import connection_values, pairs, source_kind
    from storage.connections import create_connection, list_connections, require_connection
    from storage.db import session_scope
    from storage.secret_box import secret_box

    settings, engine, workspace = _open_workspace(args.workspace)
    if args.action == "list":
        with session_scope(engine) as session:
            for c in list_connections(session, workspace.id):
                status = {True: "ok", False: "failing", None: "untested"}[c.last_test_ok]
                print(f"{c.source_key}\t{c.kind}\t{status}\t{c.name}")
        return 0
    access = _cli_access(engine, settings)
    access.require(Permission.MANAGE_CONNECTIONS)
    if not args.name:
        raise RevenueConnectorError(f"connections {args.action} needs --name.")
    if args.action == "add":
        if not args.kind:
            raise RevenueConnectorError("connections add needs --kind (salesforce, hubspot, file or warehouse).")
        kind = source_kind(args.kind)
        values, secrets = connection_values(kind, pairs(args.set, "--set"), pairs(args.secret_from_env,
                                                                                  "--secret-from-env"), os.environ)
        with session_scope(engine) as session:
            connection = create_connection(session, workspace.id, name=args.name, kind=kind, settings=values,
                                           secrets=secrets, box=secret_box(settings), actor=f"cli:{access.actor}")
        print(f"connection {connection.name} added to {workspace.name} as source key {connection.source_key}; "
              f"test it with `python -m core connections test --workspace '{workspace.name}' --name '{connection.name}'`")
        return 0
    with session_scope(engine) as session:
        connection = require_connection(session, workspace.id, args.name)
        check = check_connection(session, connection.id, settings, actor=f"cli:{access.actor}")
    # What the Connect page's 'Test connection' shows: the headline, then its details.
    print(check.headline)
    for line in check.details:
        print(f"  {line}")
    if not check.ok:
        raise RevenueConnectorError(f"{connection.name} failed its test: {check.headline}")
    return 0


def _cmd_apply(args: argparse.Namespace) -> int:
    import os

    from core.roles import Permission
    from core.startup import start
    from core.workspace_setup import apply_workspace_file

    settings = load_settings()
    engine = start(settings)
    access = _cli_access(engine, settings)
    access.require(Permission.MANAGE_CONNECTIONS)
    access.require(Permission.EDIT_SETUP)
    report = apply_workspace_file(engine, settings, Path(args.file), actor=f"cli:{access.actor}", environ=os.environ)
    for change in report.changes:
        print(f"changed: {change}")
    for same in report.unchanged:
        print(f"unchanged: {same}")
    for name, check in report.tests.items():
        print(f"tested {name}: {check.headline}")
    if not report.changes:
        print(f"{report.workspace} already matches {args.file}")
    failed = report.failed_tests
    if failed:
        name, check = next(iter(failed.items()))
        raise RevenueConnectorError(f"{args.file} was applied, but {name} failed its test: {check.headline}")
    return 0


def _cmd_route(args: argparse.Namespace) -> int:
    from core.canonical import Domain
    from core.routing import RouteChoice
    from storage.db import session_scope
    from storage.routing import save_routes

    _settings, engine, workspace = _open_workspace(args.workspace)
    with session_scope(engine) as session:
        choices = []
        for item in args.source:
            key, _, object_name = item.partition(":")
            if not object_name:
                raise RevenueConnectorError(f"--source '{item}': write it as SOURCE_KEY:OBJECT, e.g. salesforce:Opportunity.")
            choices.append(RouteChoice(_connection_by_key(session, workspace.id, key).id, object_name))
        save_routes(session, workspace.id, Domain(args.domain), choices, actor=f"cli:{args.actor}")
    print(f"{Domain(args.domain).label} of {workspace.name} routed from: " + ", ".join(args.source))
    return 0


def _cmd_reconcile(args: argparse.Namespace) -> int:
    from core.reconcile import reconcile_accounts
    from storage.db import session_scope

    settings, engine, workspace = _open_workspace(args.workspace)
    with session_scope(engine) as session:
        connection = _connection_by_key(session, workspace.id, args.source)
        result = reconcile_accounts(session, connection.id, args.object, settings, actor=f"cli:{args.actor}")
    print(f"{result.created:,} new canonical accounts, {result.renamed:,} renamed, {result.unchanged:,} unchanged")
    return 0


def _cmd_sync(args: argparse.Namespace) -> int:
    from core.roles import Permission
    from core.startup import start
    from core.sync import rollback_to, run_sync
    from storage.db import session_scope
    from storage.workspaces import require_workspace

    settings = load_settings()
    engine = start(settings)
    _cli_access(engine, settings).require(Permission.RUN_SYNC)
    with session_scope(engine) as session:
        workspace = require_workspace(session, args.workspace)
    if args.rollback_to is not None:
        restored = rollback_to(engine, workspace.id, args.rollback_to, actor=f"cli:{args.actor}")
        print(f"rolled back {workspace.name} to run {args.rollback_to}: "
              + ", ".join(f"{domain.label} {rows:,} rows" for domain, rows in restored.items()))
        return 0
    scope = _sync_scope(engine, workspace.id, args)
    summary = run_sync(engine, settings, workspace.id, trigger="cli", actor=f"cli:{args.actor}", dry_run=args.dry_run,
                       full=args.full, scope=scope)
    kind = ("dry run" if summary.dry_run else "sync") + (f" of {scope.describe()}" if scope else "")
    print(f"{kind} #{summary.run_id} of {workspace.name} (mapping v{summary.mapping_version}, "
          f"{summary.api_calls} API calls, {summary.seconds:.1f} s)")
    for line in summary.lines():
        print(line)
    return 0


def _sync_scope(engine, workspace_id: int, args: argparse.Namespace):
    """--object DOMAIN | SOURCE_KEY:OBJECT | OBJECT, or --account ID-or-exact-name, as a SyncScope (None: everything)."""
    from core.canonical import Domain
    from core.sync import SyncScope
    from storage.accounts import find_account
    from storage.db import session_scope

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
    from datetime import UTC, datetime

    from core.roles import Permission
    from core.schedule import schedule, set_schedule
    from storage.db import session_scope
    from storage.schedules import get_schedule, latest_worker, worker_alive

    settings, engine, workspace = _open_workspace(args.workspace)
    with session_scope(engine) as session:
        if args.every or args.hourly or args.daily or args.off:
            _cli_access(engine, settings).require(Permission.RUN_SYNC)
            kind = "interval" if args.every else "hourly" if args.hourly else "daily" if args.daily else "off"
            plan = schedule(kind, every_minutes=args.every, daily_at=args.daily, timezone=args.timezone)
            set_schedule(session, workspace.id, plan, actor=f"cli:{args.actor}", now=datetime.now(UTC))
        row = get_schedule(session, workspace.id)
        worker = latest_worker(session)
    plan = schedule(row.kind, every_minutes=row.every_minutes, daily_at=row.daily_at, timezone=row.timezone) if row else None
    print(f"schedule of {workspace.name}: {plan.describe() if plan else 'off'}"
          + (f"; next run {row.next_due_at:%Y-%m-%d %H:%M} UTC" if row and row.next_due_at else ""))
    print("worker: " + (f"alive ({worker.name}, last beat {worker.beat_at:%H:%M:%S} UTC)" if worker_alive(worker)
                        else "not running — start it with `python -m core worker`"))
    return 0


def _cmd_worker(args: argparse.Namespace) -> int:
    from datetime import UTC, datetime

    from core.startup import start
    from core.worker import run_worker, tick

    settings = load_settings()
    engine = start(settings)
    if args.once:
        for fired in tick(engine, settings, datetime.now(UTC)):
            print(f"workspace {fired.workspace_id}: {fired.outcome}")
        return 0
    run_worker(engine, settings, tick_seconds=args.tick_seconds)
    return 0


def _cmd_alerts(args: argparse.Namespace) -> int:
    from storage.alerts import deliveries_of, list_alerts
    from storage.db import session_scope

    _settings, engine, workspace = _open_workspace(args.workspace)
    with session_scope(engine) as session:
        alerts = list_alerts(session, workspace.id, limit=args.limit)
        deliveries = deliveries_of(session, [a.id for a in alerts])
    for alert in alerts:
        sent = "; ".join(f"{d.channel} {d.status} after {d.attempts} attempt(s)" for d in deliveries if d.alert_id == alert.id)
        print(f"{alert.created_at:%Y-%m-%d %H:%M}\trun #{alert.run_id}\t{alert.rule}\t{alert.message}"
              + (f"\t[{sent}]" if sent else ""))
    if not alerts:
        print(f"no alerts in {workspace.name}")
    return 0


def _cmd_fx(args: argparse.Namespace) -> int:
    from core.fx_rates import put_fx_rates_in_force, put_rates_in_force, suggested_org_rates
    from core.roles import Permission
    from storage.db import session_scope

    settings, engine, workspace = _open_workspace(args.workspace)
    _cli_access(engine, settings).require(Permission.EDIT_SETUP)
    if args.action == "suggest" or args.from_source:
        with session_scope(engine) as session:
            offers = suggested_org_rates(session, workspace.id, settings, source_key=args.from_source)
        if args.from_source and not offers:
            raise RevenueConnectorError(f"'{args.from_source}' is no connection of {workspace.name} that keeps "
                                        "exchange rates.", hint="See `python -m core connections`.")
        for offer in offers:
            print(f"{offer.source_key} ({offer.connection}): " + (offer.problem or f"{len(offer.rates)} rate(s) from "
                                                                                  f"{offer.table}"))
            for rate in offer.rates:
                print(f"  {rate.currency}\t{rate.valid_from}\t{rate.rate}")
        if args.action == "suggest":
            return 0
        (offer,) = offers
        if offer.problem:
            raise RevenueConnectorError(f"{offer.connection}: {offer.problem}")
        with session_scope(engine) as session:
            row = put_rates_in_force(session, workspace.id, offer.rates, actor=f"cli:{args.actor}", note=offer.note)
        print(f"{offer.note} in force for {workspace.name} as mapping version {row.version}")
        return 0
    if not args.file:
        raise RevenueConnectorError("fx import needs --file rates.csv or --from-source SOURCE_KEY.")
    path = Path(args.file)
    with session_scope(engine) as session:
        row = put_fx_rates_in_force(session, workspace.id, path.read_bytes(), actor=f"cli:{args.actor}",
                                    file_name=path.name)
    print(f"FX rates from {path.name} in force for {workspace.name} as mapping version {row.version}")
    return 0


def _cmd_mapping(args: argparse.Namespace) -> int:
    from core.roles import Permission
    from core.startup import start
    from storage.db import session_scope
    from storage.mappings import latest_mapping, save_mapping
    from storage.workspaces import require_workspace

    settings = load_settings()
    engine = start(settings)
    access = _cli_access(engine, settings)
    with session_scope(engine) as session:
        workspace = require_workspace(session, args.workspace)
        if args.action == "import":
            access.require(Permission.EDIT_SETUP)
            text = Path(args.file).read_text(encoding="utf-8")
            row = save_mapping(session, workspace.id, text, actor=f"cli:{args.actor}", note=f"imported from {args.file}")
            print(f"mapping version {row.version} saved for {workspace.name}")
            return 0
        current = latest_mapping(session, workspace.id)
    if current is None:
        raise RevenueConnectorError(f"Workspace '{workspace.name}' has no mapping yet.",
                                    hint="Import one with `python -m core mapping import`.")
    out = Path(args.out)
    out.write_text(current[0].yaml_text, encoding="utf-8")
    print(f"mapping version {current[0].version} of {workspace.name} -> {out}")
    return 0


def _cmd_bench(args: argparse.Namespace) -> int:
    from core.bench import bench_accounts, bench_dashboard, bench_extract, bench_sync

    if args.target == "dashboard":
        bench_dashboard(args.opportunities)
        return 0

    if args.target == "extract":
        bench_extract(args.records)
    elif args.target == "accounts":
        bench_accounts(args.accounts)
    else:
        bench_sync(args.opportunities, args.movements)
    return 0


def _cmd_suggest(args: argparse.Namespace) -> int:
    from core.suggestions import headless
    from core.suggestions.accounts import suggest_duplicates

    if args.kind == "fields":
        frame = headless.read_table(args.input, headless.FIELD_COLUMNS)
        out = headless.fields_output(headless.field_suggestions(frame))
    elif args.kind == "stages":
        frame = headless.read_table(args.input, headless.STAGE_COLUMNS)
        out = headless.stages_output(headless.stage_suggestions(frame))
    else:
        frame = headless.read_table(args.input, headless.ACCOUNT_COLUMNS)
        out = headless.accounts_output(suggest_duplicates(headless.account_records(frame)).pairs,
                                       include_related=args.include_related)
    out.write_csv(args.out)
    print(f"{out.height:,} suggestion(s) written to {args.out}")
    return 0


def _cmd_eval(args: argparse.Namespace) -> int:
    from core.suggestions.evaluation import evaluate_account_sets, evaluate_all

    def mistakes(found: tuple[str, ...]) -> None:
        shown = found if args.all_mistakes else found[:MISTAKES_SHOWN]
        for mistake in shown:
            print(f"    {mistake}")
        if len(found) > len(shown):
            print(f"    … and {len(found) - len(shown):,} more (--all-mistakes lists them)")

    for score in evaluate_all():
        print(score.line())
        mistakes(score.mistakes)
    for evaluation in evaluate_account_sets():
        print("\n".join(evaluation.lines()))
        print("  mistakes (wrong suggestions first, then missed pairs in one script):")
        mistakes(evaluation.mistakes)
    return 0


def _cmd_secret_key(_args: argparse.Namespace) -> int:
    from cryptography.fernet import Fernet

    print(Fernet.generate_key().decode())
    return 0


def build_parser() -> argparse.ArgumentParser:
    from core.exports import EXPORT_TABLES

    parser = argparse.ArgumentParser(prog="python -m core", description="Revenue Connector headless commands.")
    parser.add_argument("-v", "--verbose", action="store_true", help="log progress to stderr")
    commands = parser.add_subparsers(dest="command", required=True)

    demo = commands.add_parser("demo", help="write the deterministic demo CRM export")
    demo.add_argument("--out", required=True, help="folder to write into")
    demo.add_argument("--seed", type=int, default=7)
    demo.add_argument("--accounts", type=int, default=500)
    demo.add_argument("--opportunities", type=int, default=3000)
    demo.add_argument("--movements", type=int, default=2000)
    demo.add_argument("--months", type=int, default=24)
    demo.add_argument("--as-of", default="2026-11-01", help="the demo's 'today' (YYYY-MM-DD)")
    demo.add_argument("--format", choices=["csv", "parquet"], default="csv")
    demo.set_defaults(run=_cmd_demo)

    db = commands.add_parser("db", help="database schema status or upgrade")
    db.add_argument("action", choices=["status", "upgrade"])
    db.set_defaults(run=_cmd_db)

    workspaces = commands.add_parser("workspaces", help="list workspaces (with setup progress), or create one")
    workspaces.add_argument("action", nargs="?", choices=["list", "create"], default="list")
    workspaces.add_argument("name", nargs="?", help="the new workspace's name (create)")
    workspaces.add_argument("--reporting-currency", default="USD", help="3-letter ISO code (create)")
    workspaces.set_defaults(run=_cmd_workspaces)

    export = commands.add_parser("export", help="export one table of a workspace")
    export.add_argument("table", choices=[t.name for t in EXPORT_TABLES])
    export.add_argument("--workspace", required=True)
    export.add_argument("--out", required=True)
    export.add_argument("--format", choices=["csv", "parquet"], default=None, help="default: from the file name")
    export.set_defaults(run=_cmd_export)

    users = commands.add_parser("users", help="list users or add one (the first must be an admin)")
    users.add_argument("action", choices=["list", "add"])
    users.add_argument("name", nargs="?", help="user name (add)")
    users.add_argument("--role", choices=["admin", "finance", "reviewer", "viewer"], default="viewer")
    users.add_argument("--password-env", help="read the new password from this environment variable, not a prompt")
    users.set_defaults(run=_cmd_users)

    connections = commands.add_parser("connections", help="list a workspace's connections and their source keys, "
                                                          "add one, or test one")
    connections.add_argument("action", nargs="?", choices=["list", "add", "test"], default="list")
    connections.add_argument("--workspace", required=True)
    connections.add_argument("--name", help="the connection's name (add, test; test also takes its source key)")
    connections.add_argument("--kind", help="salesforce, hubspot, file or warehouse (add)")
    connections.add_argument("--set", action="append", metavar="KEY=VALUE",
                             help="a Connect form setting, e.g. auth=password, username=…, domain=login, "
                                  "api_base_url=…, host=…, path=… (repeat)")
    connections.add_argument("--secret-from-env", action="append", metavar="KEY=ENV_VAR",
                             help="a secret read from an environment variable, e.g. password=SF_PASSWORD (repeat); "
                                  "secrets are never accepted on the command line")
    connections.set_defaults(run=_cmd_connections)

    apply = commands.add_parser("apply", help="create or update a workspace from one declarative YAML file "
                                              "(connections with secrets from the environment, routes, mapping)")
    apply.add_argument("--file", required=True)
    apply.set_defaults(run=_cmd_apply)

    route = commands.add_parser("route", help="choose the sources of a domain (step 2), highest priority first")
    route.add_argument("--workspace", required=True)
    route.add_argument("--domain", required=True, choices=["pipeline", "arr_actuals"])
    route.add_argument("--source", required=True, action="append", metavar="SOURCE_KEY:OBJECT")
    route.add_argument("--actor", default="headless")
    route.set_defaults(run=_cmd_route)

    reconcile = commands.add_parser("reconcile", help="reconcile a source's accounts by CRM ID (step 4)")
    reconcile.add_argument("--workspace", required=True)
    reconcile.add_argument("--source", required=True, metavar="SOURCE_KEY")
    reconcile.add_argument("--object", required=True, help="the object holding accounts, e.g. Account")
    reconcile.add_argument("--actor", default="headless")
    reconcile.set_defaults(run=_cmd_reconcile)

    sync = commands.add_parser("sync", help="sync a workspace (or dry-run it, or roll back to a run)")
    sync.add_argument("--workspace", required=True)
    sync.add_argument("--dry-run", action="store_true", help="compute and report; write nothing")
    sync.add_argument("--full", action="store_true", help="read everything, not only what changed since the cursor")
    sync.add_argument("--rollback-to", type=int, metavar="RUN", help="restore the canonical data run RUN produced")
    sync.add_argument("--actor", default="headless", help="who is running it, for the audit log")
    sync.add_argument("--object", help="sync only a domain (pipeline, arr_actuals) or a routed object (SOURCE_KEY:OBJECT)")
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
    sched.add_argument("--actor", default="headless")
    sched.set_defaults(run=_cmd_schedule)

    worker = commands.add_parser("worker", help="run the scheduler worker (long-running; Ctrl-C stops it)")
    worker.add_argument("--tick-seconds", type=float, default=30.0, help="how often to look for due schedules")
    worker.add_argument("--once", action="store_true", help="fire what is due now and exit (for cron)")
    worker.set_defaults(run=_cmd_worker)

    alerts = commands.add_parser("alerts", help="list a workspace's alerts and their deliveries")
    alerts.add_argument("--workspace", required=True)
    alerts.add_argument("--limit", type=int, default=20)
    alerts.set_defaults(run=_cmd_alerts)

    mapping = commands.add_parser("mapping", help="export or import a workspace's mapping (YAML)")
    mapping.add_argument("action", choices=["export", "import"])
    mapping.add_argument("--workspace", required=True)
    mapping.add_argument("--out", help="file to write (export)")
    mapping.add_argument("--file", help="file to read (import)")
    mapping.add_argument("--actor", default="headless", help="who is importing, for the audit log")
    mapping.set_defaults(run=_cmd_mapping)

    fx = commands.add_parser("fx", help="put FX rates in force from a CSV (currency,from,rate) or from a CRM org; "
                                        "'suggest' lists the rates CRM orgs keep")
    fx.add_argument("action", choices=["import", "suggest"])
    fx.add_argument("--workspace", required=True)
    source = fx.add_mutually_exclusive_group()
    source.add_argument("--file", help="CSV with currency,from,rate")
    source.add_argument("--from-source", metavar="SOURCE_KEY",
                        help="the rates a multi-currency Salesforce org keeps (CurrencyType / DatedConversionRate)")
    fx.add_argument("--actor", default="headless")
    fx.set_defaults(run=_cmd_fx)

    bench = commands.add_parser("bench", help="print benchmark figures")
    bench.add_argument("target", choices=["extract", "sync", "accounts", "dashboard"])
    bench.add_argument("--accounts", type=int, default=100_000, help="accounts: accounts to generate and match")
    bench.add_argument("--records", type=int, default=25_000, help="extract: opportunities / deals to read")
    bench.add_argument("--opportunities", type=int, default=100_000, help="sync, dashboard: opportunities to generate")
    bench.add_argument("--movements", type=int, default=100_000, help="sync: ARR movements to generate")
    bench.set_defaults(run=_cmd_bench)

    suggest = commands.add_parser("suggest", help="suggest field, stage or duplicate-account mappings from a CSV")
    suggest.add_argument("kind", choices=["fields", "stages", "accounts"])
    suggest.add_argument("--input", required=True, help="CSV to read (see README for its columns)")
    suggest.add_argument("--out", required=True, help="CSV to write")
    suggest.add_argument("--include-related", action="store_true",
                         help="accounts: also write related pairs (a regional or legal entity and its parent)")
    suggest.set_defaults(run=_cmd_suggest)

    evaluation = commands.add_parser("eval", help="precision, recall and F1 of suggestions on the labelled sets")
    evaluation.add_argument("--all-mistakes", action="store_true",
                            help=f"list every mistake, not only the first {MISTAKES_SHOWN} of each set")
    evaluation.set_defaults(run=_cmd_eval)

    secret = commands.add_parser("secret-key", help="print a new key for REVENUE_CONNECTOR_SECRET_KEY")
    secret.set_defaults(run=_cmd_secret_key)
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.command == "mapping" and not (args.out if args.action == "export" else args.file):
        parser.error(f"mapping {args.action} needs {'--out' if args.action == 'export' else '--file'}")
    # A one-shot command's outcome is its one line on stderr, so it logs only with -v; the worker is a
    # service and logs what it does.
    quiet = logging.CRITICAL + 1 if args.command != "worker" else logging.INFO
    logging.basicConfig(level=logging.INFO if args.verbose else quiet,
                        format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    try:
        return args.run(args)
    except RevenueConnectorError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_ERROR
    except (OSError, ValueError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_ERROR
