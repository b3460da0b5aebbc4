"""Setting a workspace up from a script: workspaces, connections, the declarative file, routes, account
reconciliation, the mapping and FX rates."""

from __future__ import annotations

import argparse
import os
from pathlib import Path

from cli.opening import cli_access, connection_by_key, open_app, open_workspace, workspace_named
from domain.canonical import Domain
from domain.errors import RevenueConnectorError
from domain.roles import Permission
from domain.routing import RouteChoice
from domain.setup_steps import StepStatus
from services.connections import check_connection
from services.fx_rates import put_fx_rates_in_force, put_rates_in_force, suggested_org_rates
from services.reconcile import reconcile_accounts
from services.setup_changes import create_connection, create_workspace, save_mapping, save_routes
from services.setup_progress import workspace_progress
from services.workspace_setup import apply_workspace_file, connection_values, pairs, source_kind
from storage.connections import list_connections, require_connection
from storage.db import session_scope
from storage.mappings import latest_mapping
from storage.secret_box import secret_box
from storage.workspaces import list_workspaces


def _cmd_workspaces(args: argparse.Namespace) -> int:
    settings, engine = open_app()
    if args.action == "create":
        if not args.name:
            raise RevenueConnectorError("workspaces create needs the workspace's NAME.")
        with session_scope(engine) as session:
            workspace = create_workspace(
                session, args.name, access=cli_access(engine, settings), reporting_currency=args.reporting_currency
            )
        print(f"workspace {workspace.name} created (reporting currency {workspace.reporting_currency})")
        return 0
    cli_access(engine, settings).require(Permission.VIEW)
    with session_scope(engine) as session:
        for workspace in list_workspaces(session):
            done = sum(s.status == StepStatus.DONE for s in workspace_progress(session, workspace.id))
            print(f"{workspace.name}\t{'demo' if workspace.is_demo else ''}\tsetup {done} of 5 steps done")
    return 0


def _cmd_connections(args: argparse.Namespace) -> int:
    settings, engine, workspace, access = open_workspace(args.workspace)
    if args.action == "list":
        with session_scope(engine) as session:
            for c in list_connections(session, workspace.id):
                status = {True: "ok", False: "failing", None: "untested"}[c.last_test_ok]
                print(f"{c.source_key}\t{c.kind}\t{status}\t{c.name}")
        return 0
    if not args.name:
        raise RevenueConnectorError(f"connections {args.action} needs --name.")
    if args.action == "add":
        if not args.kind:
            raise RevenueConnectorError("connections add needs --kind (salesforce, hubspot, file or warehouse).")
        kind = source_kind(args.kind)
        values, secrets = connection_values(
            kind, pairs(args.set, "--set"), pairs(args.secret_from_env, "--secret-from-env"), os.environ
        )
        with session_scope(engine) as session:
            connection = create_connection(
                session,
                workspace.id,
                name=args.name,
                kind=kind,
                settings=values,
                secrets=secrets,
                box=secret_box(settings),
                access=access,
            )
        print(
            f"connection {connection.name} added to {workspace.name} as source key {connection.source_key}; "
            f"test it with `python -m core connections test --workspace '{workspace.name}' --name '{connection.name}'`"
        )
        return 0
    with session_scope(engine) as session:
        connection = require_connection(session, workspace.id, args.name)
        check = check_connection(session, connection.id, settings, access=access)
    # What the Connect page's 'Test connection' shows: the headline, then its details.
    print(check.headline)
    for line in check.details:
        print(f"  {line}")
    if not check.ok:
        raise RevenueConnectorError(f"{connection.name} failed its test: {check.headline}")
    return 0


def _cmd_apply(args: argparse.Namespace) -> int:
    settings, engine = open_app()
    report = apply_workspace_file(
        engine, settings, Path(args.file), access=cli_access(engine, settings), environ=os.environ
    )
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
    settings, engine, workspace, access = open_workspace(args.workspace)
    with session_scope(engine) as session:
        choices = []
        for item in args.source:
            key, _, object_name = item.partition(":")
            if not object_name:
                raise RevenueConnectorError(
                    f"--source '{item}': write it as SOURCE_KEY:OBJECT, e.g. salesforce:Opportunity."
                )
            choices.append(RouteChoice(connection_by_key(session, workspace.id, key).id, object_name))
        save_routes(session, workspace.id, Domain(args.domain), choices, access=access)
    print(f"{Domain(args.domain).label} of {workspace.name} routed from: " + ", ".join(args.source))
    return 0


def _cmd_reconcile(args: argparse.Namespace) -> int:
    settings, engine, workspace, access = open_workspace(args.workspace)
    with session_scope(engine) as session:
        connection = connection_by_key(session, workspace.id, args.source)
        result = reconcile_accounts(session, connection.id, args.object, settings, access=access)
    print(f"{result.created:,} new canonical accounts, {result.renamed:,} renamed, {result.unchanged:,} unchanged")
    for line in result.held_lines():
        print(line)
    return 0


def _cmd_mapping(args: argparse.Namespace) -> int:
    settings, engine = open_app()
    access = cli_access(engine, settings)
    with session_scope(engine) as session:
        workspace = workspace_named(session, args.workspace)
        if args.action == "import":
            text = Path(args.file).read_text(encoding="utf-8")
            row = save_mapping(session, workspace.id, text, access=access, note=f"imported from {args.file}")
            print(f"mapping version {row.version} saved for {workspace.name}")
            return 0
        current = latest_mapping(session, workspace.id)
    if current is None:
        raise RevenueConnectorError(
            f"Workspace '{workspace.name}' has no mapping yet.", hint="Import one with `python -m core mapping import`."
        )
    out = Path(args.out)
    out.write_text(current[0].yaml_text, encoding="utf-8")
    print(f"mapping version {current[0].version} of {workspace.name} -> {out}")
    return 0


def _cmd_fx(args: argparse.Namespace) -> int:
    settings, engine, workspace, access = open_workspace(args.workspace)
    access.require(Permission.EDIT_SETUP)  # reading an org's rates is part of changing them
    if args.action == "suggest" or args.from_source:
        with session_scope(engine) as session:
            offers = suggested_org_rates(session, workspace.id, settings, source_key=args.from_source)
        if args.from_source and not offers:
            raise RevenueConnectorError(
                f"'{args.from_source}' is no connection of {workspace.name} that keeps exchange rates.",
                hint="See `python -m core connections`.",
            )
        for offer in offers:
            print(
                f"{offer.source_key} ({offer.connection}): "
                + (offer.problem or f"{len(offer.rates)} rate(s) from {offer.table}")
            )
            for rate in offer.rates:
                print(f"  {rate.currency}\t{rate.valid_from}\t{rate.rate}")
        if args.action == "suggest":
            return 0
        (offer,) = offers
        if offer.problem:
            raise RevenueConnectorError(f"{offer.connection}: {offer.problem}")
        with session_scope(engine) as session:
            row = put_rates_in_force(session, workspace.id, offer.rates, access=access, note=offer.note)
        print(f"{offer.note} in force for {workspace.name} as mapping version {row.version}")
        return 0
    if not args.file:
        raise RevenueConnectorError("fx import needs --file rates.csv or --from-source SOURCE_KEY.")
    path = Path(args.file)
    with session_scope(engine) as session:
        row = put_fx_rates_in_force(session, workspace.id, path.read_bytes(), access=access, file_name=path.name)
    print(f"FX rates from {path.name} in force for {workspace.name} as mapping version {row.version}")
    return 0


def register(commands: argparse._SubParsersAction) -> None:
    """Add the workspaces, connections, apply, route, reconcile, mapping, fx command(s)."""
    workspaces = commands.add_parser("workspaces", help="list workspaces (with setup progress), or create one")
    workspaces.add_argument("action", nargs="?", choices=["list", "create"], default="list")
    workspaces.add_argument("name", nargs="?", help="the new workspace's name (create)")
    workspaces.add_argument("--reporting-currency", default="USD", help="3-letter ISO code (create)")
    workspaces.set_defaults(run=_cmd_workspaces)
    connections = commands.add_parser(
        "connections", help="list a workspace's connections and their source keys, add one, or test one"
    )
    connections.add_argument("action", nargs="?", choices=["list", "add", "test"], default="list")
    connections.add_argument("--workspace", required=True)
    connections.add_argument("--name", help="the connection's name (add, test; test also takes its source key)")
    connections.add_argument("--kind", help="salesforce, hubspot, file or warehouse (add)")
    connections.add_argument(
        "--set",
        action="append",
        metavar="KEY=VALUE",
        help="a Connect form setting, e.g. auth=password, username=…, domain=login, "
        "api_base_url=…, host=…, path=… (repeat)",
    )
    connections.add_argument(
        "--secret-from-env",
        action="append",
        metavar="KEY=ENV_VAR",
        help="a secret read from an environment variable, e.g. password=SF_PASSWORD (repeat); "
        "secrets are never accepted on the command line",
    )
    connections.set_defaults(run=_cmd_connections)
    apply = commands.add_parser(
        "apply",
        help="create or update a workspace from one declarative YAML file "
        "(connections with secrets from the environment, routes, mapping)",
    )
    apply.add_argument("--file", required=True)
    apply.set_defaults(run=_cmd_apply)
    route = commands.add_parser("route", help="choose the sources of a domain (step 2), highest priority first")
    route.add_argument("--workspace", required=True)
    route.add_argument("--domain", required=True, choices=["pipeline", "arr_actuals"])
    route.add_argument("--source", required=True, action="append", metavar="SOURCE_KEY:OBJECT")
    route.set_defaults(run=_cmd_route)
    reconcile = commands.add_parser("reconcile", help="reconcile a source's accounts by CRM ID (step 4)")
    reconcile.add_argument("--workspace", required=True)
    reconcile.add_argument("--source", required=True, metavar="SOURCE_KEY")
    reconcile.add_argument("--object", required=True, help="the object holding accounts, e.g. Account")
    reconcile.set_defaults(run=_cmd_reconcile)
    mapping = commands.add_parser("mapping", help="export or import a workspace's mapping (YAML)")
    mapping.add_argument("action", choices=["export", "import"])
    mapping.add_argument("--workspace", required=True)
    mapping.add_argument("--out", help="file to write (export)")
    mapping.add_argument("--file", help="file to read (import)")
    mapping.set_defaults(run=_cmd_mapping)
    fx = commands.add_parser(
        "fx",
        help="put FX rates in force from a CSV (currency,from,rate) or from a CRM org; "
        "'suggest' lists the rates CRM orgs keep",
    )
    fx.add_argument("action", choices=["import", "suggest"])
    fx.add_argument("--workspace", required=True)
    source = fx.add_mutually_exclusive_group()
    source.add_argument("--file", help="CSV with currency,from,rate")
    source.add_argument(
        "--from-source",
        metavar="SOURCE_KEY",
        help="the rates a multi-currency Salesforce org keeps (CurrencyType / DatedConversionRate)",
    )
    fx.set_defaults(run=_cmd_fx)
