"""Money as the database keeps it: integer thousandths of the currency unit.

Why integers and not NUMERIC: SQLite has no exact decimal type (a NUMERIC column stores 491,901.575 as the double
491,901.57499999…), and the same exact integers in both databases keep their SQL sums exact and equal. Why
thousandths: every currency a CRM uses has 0, 2 or 3 decimals (JPY, USD, KWD), so one fixed scale holds them all,
and a sum in one reporting currency needs no per-row unit. `domain.canonical.MONEY_LIMIT` (10^15) in thousandths
is 10^18, inside a 64-bit integer.

Frames in the domain carry money as the double nearest the exact amount (exact for every amount below 2^53
thousandths); `domain.money.money_sum` adds them as integers again. Only this module converts.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Final

import polars as pl

from domain.money import THOUSANDTHS, from_thousandths

DataTypeLike = pl.DataType | type[pl.DataType]
SCALE: Final = THOUSANDTHS
MONEY_COLUMNS: Final = frozenset(
    {
        "amount",
        "amount_reporting",
        "weighted_amount",
        "arr_delta",
        "arr_delta_reporting",
        "planned_ending_arr",
        "planned_net_new_arr",
    }
)


def read_schema(schema: Mapping[str, DataTypeLike]) -> dict[str, DataTypeLike]:
    """The schema to read `schema`'s columns with: money columns come out of SQL as integers."""
    return {name: pl.Int64() if name in MONEY_COLUMNS else kind for name, kind in schema.items()}


def from_stored(frame: pl.DataFrame) -> pl.DataFrame:
    """Stored thousandths back to amounts (the double nearest each exact amount)."""
    money = [c for c in frame.columns if c in MONEY_COLUMNS and frame.schema[c].is_integer()]
    return frame.with_columns(from_thousandths(pl.col(c)) for c in money) if money else frame


def to_stored(frame: pl.DataFrame) -> pl.DataFrame:
    """Amounts to thousandths. Amounts arrive rounded at their minor unit, so the product is within a rounding
    error of an integer and rounding it loses nothing."""
    money = [c for c in frame.columns if c in MONEY_COLUMNS and frame.schema[c].is_float()]
    return frame.with_columns((pl.col(c) * SCALE).round(0).cast(pl.Int64) for c in money) if money else frame


def to_thousandths(amount: float | None) -> int | None:
    """One amount to thousandths (for the few rows written one by one, such as a plan)."""
    return None if amount is None else round(amount * SCALE)
