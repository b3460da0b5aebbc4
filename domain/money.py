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


# Money columns by the currency they are in: the row's own currency, or the workspace's reporting currency.
NATIVE_MONEY = ("amount", "arr_delta", "Amount (source currency)")
REPORTING_MONEY = (
    "amount_reporting",
    "weighted_amount",
    "arr_delta_reporting",
    "planned_ending_arr",
    "planned_net_new_arr",
    "opportunity_amount",
    "movement_amount",
    "difference",
)


def money_text(frame: pl.DataFrame, reporting_currency: str) -> pl.DataFrame:
    """The frame with each money column written as exact decimal text at its currency's minor unit (491901.58,
    1235 for JPY, 0.00 never -0.00): what a CSV export holds, so a spreadsheet never shows 11302846.4."""
    native_units: pl.Expr = pl.lit(minor_unit(reporting_currency))
    if "currency" in frame.columns:
        codes = frame["currency"].drop_nulls().unique().to_list()
        native_units = pl.col("currency").replace_strict(
            {c: minor_unit(c) for c in codes}, default=minor_unit(reporting_currency), return_dtype=pl.Int64
        )
    columns = [(c, native_units) for c in NATIVE_MONEY] + [
        (c, pl.lit(minor_unit(reporting_currency))) for c in REPORTING_MONEY
    ]
    return frame.with_columns(
        _decimal_text(pl.col(name), units).alias(name)
        for name, units in columns
        if name in frame.columns and frame.schema[name].is_float()
    )


def _decimal_text(value: pl.Expr, decimals: pl.Expr) -> pl.Expr:
    scale = pl.lit(10, pl.Int64).pow(decimals.cast(pl.Int64))
    units = (value * scale).round(0).cast(pl.Int64)
    whole = (units.abs() // scale).cast(pl.String)
    fraction = (units.abs() % scale).cast(pl.String).str.zfill(decimals.cast(pl.Int64))
    sign = pl.when(units < 0).then(pl.lit("-")).otherwise(pl.lit(""))
    text = sign + pl.when(decimals > 0).then(whole + "." + fraction).otherwise(whole)
    return pl.when(value.is_null()).then(None).otherwise(text)
