"""Timestamps and dates as CRMs write them, read as polars expressions.

Salesforce REST writes `2025-03-31T12:00:00.000+0000`, Bulk API 2.0 CSV `2025-03-31T12:00:00.000Z`,
HubSpot `2025-03-31T12:00:00Z` or `…12:00:00.123Z` and sometimes epoch milliseconds, exports add
`-08:00` offsets or a space instead of `T`. Every reader goes through these two expressions, so a
form one path accepts is never refused by another.

Each parse tries the common forms at full speed first and normalises only the values that did not
parse: a million Salesforce timestamps cost milliseconds, an odd export costs only its odd rows.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import polars as pl

log = logging.getLogger(__name__)

_UTC = pl.Datetime("us", "UTC")
# What Salesforce REST, Bulk 2.0 and HubSpot write: `%#z` takes Z, +0000 and +00:00 alike.
_COMMON = "%Y-%m-%dT%H:%M:%S%.f%#z"
# An instant: a date, a time of day, and an offset or Z.
_INSTANT = r"^\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}.*([Zz]|[+-]\d{2}:?\d{2})$"
_EPOCH_MS = r"^\d{12,13}$"


def _normalised(text: pl.Expr) -> pl.Expr:
    """`2025-03-31 12:00Z` -> `2025-03-31T12:00:00+00:00`: one shape for every ISO-8601 form seen."""
    iso = (
        text.str.replace(r"^(\d{4}-\d{2}-\d{2})[ T]", "${1}T")
        .str.replace(r"[Zz]$", "+00:00")
        .str.replace(r"([+-]\d{2})(\d{2})$", "${1}:${2}")
        .str.replace(r"T(\d{2}:\d{2})([+-]|$)", "T${1}:00${2}")
    )
    # No offset at all: the value is taken as UTC (what CRMs mean when they leave it out).
    return (
        pl.when(iso.str.contains(r"^\d{4}-\d{2}-\d{2}$"))
        .then(iso + "T00:00:00+00:00")
        .when(iso.str.contains(r"T\d{2}:\d{2}:\d{2}(\.\d+)?$"))
        .then(iso + "+00:00")
        .otherwise(iso)
    )


def _any_form_utc(text: pl.Expr) -> pl.Expr:
    iso = _normalised(text).str.to_datetime("%Y-%m-%dT%H:%M:%S%.f%:z", time_zone="UTC", strict=False)
    epoch = pl.from_epoch(text.cast(pl.Int64, strict=False), time_unit="ms").dt.replace_time_zone("UTC")
    return pl.when(text.str.contains(_EPOCH_MS)).then(epoch).otherwise(iso).cast(_UTC)


def _any_form_date(text: pl.Expr, time_zone: str) -> pl.Expr:
    is_instant = text.str.contains(_INSTANT) | text.str.contains(_EPOCH_MS)
    local = _any_form_utc(text).dt.convert_time_zone(time_zone).dt.date()
    written = text.str.extract(r"^(\d{4}-\d{2}-\d{2})(?:$|[T ])", 1).str.to_date("%Y-%m-%d", strict=False)
    return pl.when(is_instant).then(local).otherwise(written)


def _fill_rest(text: pl.Series, fast: pl.Series, slow) -> pl.Series:
    """`fast` where it parsed; the slow, every-form parse only for the values it left null."""
    rest = fast.is_null() & text.is_not_null()
    if not rest.any():
        return fast
    filled = pl.select(slow(pl.lit(text.filter(rest)))).to_series().cast(fast.dtype)
    return fast.scatter(rest.arg_true(), filled)


def utc_series(values: pl.Series) -> pl.Series:
    """See parse_utc (a Series in, a Series out)."""
    text = values.cast(pl.String).str.strip_chars()
    fast = text.str.to_datetime(_COMMON, time_zone="UTC", strict=False).cast(_UTC)
    return _fill_rest(text, fast, _any_form_utc).alias(values.name)


def date_series(values: pl.Series, time_zone: str = "UTC") -> pl.Series:
    """See parse_date (a Series in, a Series out)."""
    text = values.cast(pl.String).str.strip_chars()
    instant = text.str.to_datetime(_COMMON, time_zone="UTC", strict=False).dt.convert_time_zone(time_zone).dt.date()
    fast = text.str.to_date("%Y-%m-%d", strict=False).fill_null(instant)
    return _fill_rest(text, fast, lambda rest: _any_form_date(rest, time_zone)).alias(values.name)


def parse_utc(text: pl.Expr) -> pl.Expr:
    """A text column of ISO-8601 timestamps (any offset, `Z`, `+0000`, with or without fraction) or epoch
    milliseconds, as UTC datetimes; what is not a timestamp becomes null."""
    return text.map_batches(utc_series, return_dtype=_UTC)


def parse_date(text: pl.Expr, time_zone: str = "UTC") -> pl.Expr:
    """A text column as dates. A plain date stays as written; an instant (a time with an offset, or epoch
    milliseconds) is the date it was in `time_zone`, the source's own zone, as its users saw it: a HubSpot
    close date of 2025-03-31T03:00Z is 30 March in a New York portal."""
    return text.map_batches(lambda values: date_series(values, time_zone), return_dtype=pl.Date)


def known_time_zone(name: str | None) -> str:
    """The IANA time zone a portal or org names, or UTC when it names none this machine knows."""
    try:
        return str(ZoneInfo(name)) if name else "UTC"
    except (ZoneInfoNotFoundError, ValueError):
        log.warning("unknown time zone %r; its dates are taken in UTC", name)
        return "UTC"


def local_minute(at: datetime, time_zone: str) -> str:
    """A stored moment (naive means UTC) as the viewer reads it: 'YYYY-MM-DD HH:MM' in their zone, no offset."""
    return at.replace(tzinfo=at.tzinfo or UTC).astimezone(ZoneInfo(time_zone or "UTC")).strftime("%Y-%m-%d %H:%M")
