"""Money rounded the way finance rounds it: from the amount as written, half away from zero, at the currency's
minor unit (2 for USD and EUR, 0 for JPY and KRW, 3 for BHD and KWD; ISO 4217 through babel's CLDR data).

Binary floating point cannot hold 491,901.575 (it holds 491,901.57499999…), so rounding the parsed double rounds
the wrong way; the amount is therefore read as a decimal from its text, and every product (FX conversion, weighting)
is computed in decimals and rounded once. The rounded value is then stored as the nearest double, which holds every
amount below 10^13 with cents exactly recoverable; sums are rounded to cents again (`round_sum`).
"""

from __future__ import annotations

from functools import cache
from typing import Final

import polars as pl
from babel.numbers import get_currency_precision

EXACT = pl.Decimal(38, 12)  # wide enough for MONEY_LIMIT (10^15) times any FX rate, with 12 decimals
ROUNDING: Final = "half_away_from_zero"


@cache
def minor_unit(currency: str) -> int:
    """Decimals of the currency's minor unit (2 when unknown)."""
    try:
        return int(get_currency_precision(currency.upper()))
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
    return rounded.cast(pl.Float64)


def round_cents(value: pl.Expr) -> pl.Expr:
    """A decimal rounded half away from zero to cents, as a double (weighted amounts, reporting amounts)."""
    return value.round(2, mode=ROUNDING).cast(pl.Float64)
