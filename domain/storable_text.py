"""Text every database keeps the same way: no NUL byte (PostgreSQL refuses it), nothing longer than its field.

A value that breaks either is held back with a reason instead of failing a whole run on PostgreSQL or being
stored whole (52 MB) on SQLite; what a reviewer sees of it is a short preview.
"""

from __future__ import annotations

import polars as pl

from domain.canonical import TEXT_LIMITS

NUL = "\x00"
VALUE_PREVIEW = 300  # characters of an offending value a quarantine entry or a message keeps

# Account attributes as reconciliation stores them (see storage/tables.py: CanonicalAccount, AccountCrosswalk).
ACCOUNT_TEXT_LIMITS: dict[str, int] = {
    "source_account_id": TEXT_LIMITS["account"],
    "name": 255,
    "website": 255,
    "country": 80,
    "parent_source_id": TEXT_LIMITS["account"],
}


def has_nul(text: pl.Expr) -> pl.Expr:
    return text.str.contains(NUL, literal=True)


def too_long(text: pl.Expr, limit: int) -> pl.Expr:
    return text.str.len_chars() > limit


def preview(text: pl.Expr, limit: int = VALUE_PREVIEW) -> pl.Expr:
    """What a message keeps of a value: NUL shown as U+2400 and at most `limit` characters."""
    shown = text.str.replace_all(NUL, "\u2400", literal=True)
    return pl.when(shown.str.len_chars() > limit).then(shown.str.slice(0, limit - 1) + "…").otherwise(shown)


def unstorable_accounts(accounts: pl.DataFrame) -> pl.DataFrame:
    """Accounts with a text attribute no database can keep: source_account_id (a preview), field, problem."""
    checks = [
        accounts.filter(has_nul(pl.col(column)) | too_long(pl.col(column), limit)).select(
            preview(pl.col("source_account_id"), TEXT_LIMITS["account"]).alias("source_account_id"),
            pl.lit(column).alias("field"),
            pl.when(has_nul(pl.col(column)))
            .then(pl.lit("contains a NUL byte"))
            .otherwise(pl.format("is {} characters long (at most {})", pl.col(column).str.len_chars(), limit))
            .alias("problem"),
        )
        for column, limit in ACCOUNT_TEXT_LIMITS.items()
        if column in accounts.columns
    ]
    return pl.concat(checks) if checks else pl.DataFrame(schema={"source_account_id": pl.String})
