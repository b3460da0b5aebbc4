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
        reference = args.reference if args.reference and args.reference < args.opportunities else 0
        # At the big size a third run changes as many records as 1% of the reference size: the same changes in a
        # bigger workspace, which is what "cost follows the changes" compares.
        every = 100 * args.opportunities // reference if reference else None
        figures = bench_sync(
            args.opportunities, args.movements, database=args.database, source=args.source, same_change_every=every
        )
        if reference:
            movements = max(1, args.movements * reference // args.opportunities)
            print(f"\nthe same 1% change at {reference:,} opportunities and {movements:,} movements, for comparison:")
            small = bench_sync(reference, movements, database=args.database, source=args.source)
            print(
                f"cost follows the changes: as many changed records as 1% of {reference:,} took "
                f"{figures['same_change_seconds']:.2f} s in the workspace of {args.opportunities:,} and "
                f"{small['incremental_seconds']:.2f} s in the one of {reference:,}: ratio "
                f"{figures['same_change_seconds'] / small['incremental_seconds']:.2f} (target 1.5); 1% of each "
                f"(ten times the changes): {figures['incremental_seconds'] / small['incremental_seconds']:.2f}"
            )
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
        "--reference",
        type=int,
        default=100_000,
        help="sync: when --opportunities is larger, also change as many records as 1%% of this size in the big "
        "workspace, run the same 1%% change at this size (movements scaled alike) and print how the incremental "
        "times compare; 0 skips it",
    )
    bench.add_argument(
        "--source",
        choices=["file", "salesforce"],
        default="file",
        help="sync: read a CSV export, or the local Salesforce sandbox through the real client",
    )
    bench.set_defaults(run=_cmd_bench)
