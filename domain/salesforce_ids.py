"""Salesforce record IDs: 15-character (case-sensitive) to 18-character (case-safe), vectorised."""

from __future__ import annotations

import polars as pl

_SUFFIX_ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZ012345"


def to_18(expr: pl.Expr) -> pl.Expr:
    """18-character IDs for a column of 15- or 18-character IDs; other values (not 15 letters and digits)
    pass through unchanged.

    The suffix encodes, per 5-character chunk, which characters are upper-case letters, so the
    same record always gets the same key whatever case-insensitive tool exported it.
    """
    alphabet = pl.lit(pl.Series([list(_SUFFIX_ALPHABET)]).explode())
    chunks = []
    for chunk in range(3):
        bits = pl.sum_horizontal(
            [
                expr.str.slice(chunk * 5 + position, 1).str.contains("^[A-Z]$").cast(pl.Int32) * (1 << position)
                for position in range(5)
            ]
        )
        chunks.append(alphabet.gather(bits))
    suffix = pl.concat_str(chunks)
    return pl.when(expr.str.contains(r"^[0-9A-Za-z]{15}$")).then(expr + suffix).otherwise(expr)
