"""Money rounded the way finance rounds it: from the amount as written, half away from zero, at the currency's
minor unit (2 for USD and EUR, 0 for JPY and KRW, 3 for BHD and KWD; ISO 4217 through babel's CLDR data).

Binary floating point cannot hold 491,901.575 (it holds 491,901.57499999…), so rounding the parsed double rounds
the wrong way; the amount is therefore read as a decimal from its text, and every product (FX conversion, weighting)
is computed in decimals and rounded once. A rounded amount has at most three decimals, so it is a whole number of
thousandths: storage keeps that integer, frames carry the double nearest it, and every total adds the integers
(`money_sum`), so sums are exact at any row count.
"""

from __future__ import annotations

from functools import cache
from typing import Final

import polars as pl
from babel.numbers import get_currency_precision

EXACT = pl.Decimal(38, 12)  # wide enough for MONEY_LIMIT (10^15) times any FX rate, with 12 decimals
ROUNDING: Final = "half_away_from_zero"
THOUSANDTHS: Final = 1000  # every amount is a whole number of these (the finest minor unit kept is 3 decimals)


@cache
def minor_unit(currency: str) -> int:
    """Decimals of the currency's minor unit (2 when unknown; at most 3: the 4-decimal units of account CLF and
    UYW are not invoiced in CRMs, and thousandths are what storage keeps)."""
    try:
        return min(int(get_currency_precision(currency.upper())), 3)
    except Exception:  # noqa: BLE001 - babel raises for odd codes; two decimals is the common case
        return 2


def exact(value: pl.Expr) -> pl.Expr:
    """A number as an exact decimal: text is read digit for digit, a double by its shortest decimal form."""
    return value.cast(pl.String).cast(EXACT, strict=False)


def round_money(value: pl.Expr, currency: pl.Expr, currencies: list[str]) -> pl.Expr:
    """`value` (decimal) rounded half away from zero at the minor unit of each row's `currency`, as a double.

    `currencies` lists the codes that can occur (the mapping's); any other rounds to 2 decimals.
    """
    by_unit: dict[int, list[str]] = {}
    for code in currencies:
        by_unit.setdefault(minor_unit(code), []).append(code)
    rounded: pl.Expr = value.round(2, mode=ROUNDING)
    for unit, codes in by_unit.items():
        if unit != 2:
            rounded = pl.when(currency.is_in(codes)).then(value.round(unit, mode=ROUNDING)).otherwise(rounded)
    return _nearest_double(rounded)


def round_cents(value: pl.Expr) -> pl.Expr:
    """A decimal rounded half away from zero to cents, as a double (weighted amounts, reporting amounts)."""
    return _nearest_double(value.round(2, mode=ROUNDING))


def _nearest_double(rounded: pl.Expr) -> pl.Expr:
    """A decimal of at most 3 places as the double nearest it."""
    return from_thousandths((rounded * THOUSANDTHS).cast(pl.Int64))


def from_thousandths(thousandths: pl.Expr) -> pl.Expr:
    """Whole thousandths as the double nearest each amount, the one value every layer agrees on.

    polars' own decimal-to-double cast and its division of a column by a constant are each off by one bit for
    about one value in seven (it multiplies by the reciprocal); NumPy's division is correctly rounded.
    """
    return thousandths.cast(pl.Float64).map_batches(_divide_by_thousand, return_dtype=pl.Float64, is_elementwise=True)


def _divide_by_thousand(values: pl.Series) -> pl.Series:
    divided = pl.Series(values.name, values.to_numpy() / THOUSANDTHS, dtype=pl.Float64)
    return divided.set(values.is_null(), None) if values.null_count() else divided


def money_sum(value: pl.Expr) -> pl.Expr:
    """The exact total of amounts (each a whole number of thousandths), as the double nearest it.

    Added as 128-bit integers, so a million rows total exactly what Python's `decimal` gives.
    """
    return from_thousandths((value * THOUSANDTHS).round(0).cast(pl.Int128).sum())
