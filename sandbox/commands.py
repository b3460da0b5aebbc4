"""`python -m core demo`: write the deterministic demo CRM export (wired in by core/__main__.py)."""

from __future__ import annotations

import argparse
from datetime import date
from pathlib import Path

from sandbox.demo_data import DemoSpec, write_demo


def _cmd_demo(args: argparse.Namespace) -> int:
    spec = DemoSpec(
        seed=args.seed,
        accounts=args.accounts,
        opportunities=args.opportunities,
        movements=args.movements,
        months=args.months,
        as_of=date.fromisoformat(args.as_of),
    )
    counts = write_demo(spec, Path(args.out), file_format=args.format)
    for name, rows in counts.items():
        print(f"{name}: {rows:,} rows")
    print(f"written to {Path(args.out).resolve()}")
    return 0


def register(commands: argparse._SubParsersAction) -> None:
    """Add the demo command(s)."""
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
