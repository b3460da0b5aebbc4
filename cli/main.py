"""Headless commands: `python -m core <command>`. Exit 0 on success; otherwise a one-line reason on
stderr and a non-zero exit code, so cron jobs and scripts can rely on it.

Each command group lives in its own module with a `register(commands)` function; `core/__main__.py` adds
the developer groups (demo data, benchmarks) that the product itself never imports.
"""

from __future__ import annotations

import argparse
import logging
import sys
from collections.abc import Callable, Sequence

from cli import database, exports, setup, suggestions, sync, users
from domain.errors import RevenueConnectorError

EXIT_ERROR = 1
EXIT_USAGE = 2

CommandGroup = Callable[[argparse._SubParsersAction], None]
PRODUCT_GROUPS: tuple[CommandGroup, ...] = (
    database.register,
    setup.register,
    sync.register,
    exports.register,
    users.register,
    suggestions.register,
)


def build_parser(extra: Sequence[CommandGroup] = ()) -> argparse.ArgumentParser:
    """The argument parser with the product's command groups and any `extra` ones."""
    parser = argparse.ArgumentParser(prog="python -m core", description="Revenue Connector headless commands.")
    parser.add_argument("-v", "--verbose", action="store_true", help="log progress to stderr")
    commands = parser.add_subparsers(dest="command", required=True)
    for register in (*extra, *PRODUCT_GROUPS):
        register(commands)
    return parser


def main(argv: list[str] | None = None, *, extra: Sequence[CommandGroup] = ()) -> int:
    """Run one command; exit code 0 on success, 1 with a one-line reason on stderr otherwise."""
    parser = build_parser(extra)
    args = parser.parse_args(argv)
    if args.command == "mapping" and not (args.out if args.action == "export" else args.file):
        parser.error(f"mapping {args.action} needs {'--out' if args.action == 'export' else '--file'}")
    # A one-shot command's outcome is its one line on stderr, so it logs only with -v; the worker is a
    # service and logs what it does.
    quiet = logging.CRITICAL + 1 if args.command != "worker" else logging.INFO
    logging.basicConfig(
        level=logging.INFO if args.verbose else quiet, format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    try:
        return args.run(args)
    except RevenueConnectorError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_ERROR
    except (OSError, ValueError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_ERROR
