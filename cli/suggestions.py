"""Suggestions from CSV files, and their evaluation on the labelled sets."""

from __future__ import annotations

import argparse

from domain.spreadsheet_safe import neutralise_formulas

MISTAKES_SHOWN = 25  # per labelled set in `eval`; --all-mistakes lists them all

from domain.suggestions import headless
from domain.suggestions.accounts import suggest_duplicates
from domain.suggestions.evaluation import evaluate_account_sets, evaluate_all


def _cmd_suggest(args: argparse.Namespace) -> int:
    if args.kind == "fields":
        frame = headless.read_table(args.input, headless.FIELD_COLUMNS)
        out = headless.fields_output(headless.field_suggestions(frame))
    elif args.kind == "stages":
        frame = headless.read_table(args.input, headless.STAGE_COLUMNS)
        out = headless.stages_output(headless.stage_suggestions(frame))
    else:
        frame = headless.read_table(args.input, headless.ACCOUNT_COLUMNS)
        out = headless.accounts_output(
            suggest_duplicates(headless.account_records(frame)).pairs, include_related=args.include_related
        )
    neutralise_formulas(out).write_csv(args.out)
    print(f"{out.height:,} suggestion(s) written to {args.out}")
    return 0


def _cmd_eval(args: argparse.Namespace) -> int:
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


def register(commands: argparse._SubParsersAction) -> None:
    """Add the suggest, eval command(s)."""
    suggest = commands.add_parser("suggest", help="suggest field, stage or duplicate-account mappings from a CSV")
    suggest.add_argument("kind", choices=["fields", "stages", "accounts"])
    suggest.add_argument("--input", required=True, help="CSV to read (see README for its columns)")
    suggest.add_argument("--out", required=True, help="CSV to write")
    suggest.add_argument(
        "--include-related",
        action="store_true",
        help="accounts: also write related pairs (a regional or legal entity and its parent)",
    )
    suggest.set_defaults(run=_cmd_suggest)
    evaluation = commands.add_parser("eval", help="precision, recall and F1 of suggestions on the labelled sets")
    evaluation.add_argument(
        "--all-mistakes",
        action="store_true",
        help=f"list every mistake, not only the first {MISTAKES_SHOWN} of each set",
    )
    evaluation.set_defaults(run=_cmd_eval)
