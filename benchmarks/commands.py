"""`python -m core bench`: benchmark figures (wired in by core/__main__.py)."""

from __future__ import annotations

import argparse

from benchmarks.bench import bench_accounts, bench_contracts, bench_dashboard, bench_extract, bench_sync


def _cmd_bench(args: argparse.Namespace) -> int:
    if args.target == "dashboard":
        bench_dashboard(args.opportunities)
        return 0

    if args.target == "extract":
        bench_extract(args.records)
    elif args.target == "accounts":
        bench_accounts(args.accounts)
    elif args.target == "contracts":
        bench_contracts(args.contracts)
    else:
        bench_sync(args.opportunities, args.movements, database=args.database, source=args.source)
    return 0


def register(commands: argparse._SubParsersAction) -> None:
    """Add the bench command(s)."""
    bench = commands.add_parser("bench", help="print benchmark figures")
    bench.add_argument("target", choices=["extract", "sync", "accounts", "dashboard", "contracts"])
    bench.add_argument("--accounts", type=int, default=100_000, help="accounts: accounts to generate and match")
    bench.add_argument(
        "--contracts", type=int, default=1_000_000, help="contracts: contracts to derive ARR movements from"
    )
    bench.add_argument("--records", type=int, default=25_000, help="extract: opportunities / deals to read")
    bench.add_argument("--opportunities", type=int, default=100_000, help="sync, dashboard: opportunities to generate")
    bench.add_argument("--movements", type=int, default=100_000, help="sync: ARR movements to generate")
    bench.add_argument(
        "--database",
        default=None,
        help="sync: a DATABASE_URL to run on (e.g. postgresql+psycopg://postgres@127.0.0.1:5432/test; "
        "a scratch database is created there and dropped); SQLite in a scratch folder by default",
    )
    bench.add_argument(
        "--source",
        choices=["file", "salesforce"],
        default="file",
        help="sync: read a CSV export, or the local Salesforce sandbox through the real client",
    )
    bench.set_defaults(run=_cmd_bench)
