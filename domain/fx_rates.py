"""FX rates a finance user uploads as CSV: read, validate, and put in force as the next mapping version.

Rates are part of the mapping (mapping as code), so an upload is versioned and audited like any import,
and a sync converts each amount at the rate in force on its record's date.
"""

from __future__ import annotations

import io
from dataclasses import dataclass, replace
from datetime import date

import polars as pl

from domain.canonical import Domain, QuarantineReason
from domain.errors import ValidationError
from domain.mapping_config import FxRate, MappingConfig, to_yaml

FX_COLUMNS = ("currency", "from", "rate")
FX_EXAMPLE = "currency,from,rate\nEUR,2025-01-01,1.08\nEUR,2025-07-01,1.12\nGBP,2025-01-01,1.27\n"


def parse_fx_rates(content: bytes, reporting_currency: str) -> tuple[FxRate, ...]:
    """Validated rates, sorted by currency and date. Errors name the line (header = line 1) and the column.

    `rate` is what one unit of `currency` is worth in the reporting currency, from `from` on.
    """

    def fail(line: int | None, column: str, problem: str) -> ValidationError:
        where = f"line {line}, column '{column}'" if line else f"column '{column}'"
        return ValidationError(
            f"FX rates file, {where}: {problem}.",
            hint=f"Expected: {', '.join(FX_COLUMNS)} "
            "(e.g. EUR,2025-01-01,1.08 = one euro is 1.08 in the reporting currency).",
        )

    try:
        raw = pl.read_csv(io.StringIO(content.decode("utf-8-sig")), infer_schema=False)
    except (UnicodeDecodeError, pl.exceptions.PolarsError) as exc:
        raise ValidationError(f"The FX rates file is not a readable UTF-8 CSV: {str(exc).splitlines()[0]}") from exc
    raw = raw.rename({c: c.strip().lower() for c in raw.columns})
    for column in FX_COLUMNS:
        if column not in raw.columns:
            raise fail(None, column, "is missing")
    rows = raw.with_row_index("line", offset=2).with_columns(
        pl.col("currency").str.strip_chars().str.to_uppercase(),
        pl.col("from").str.strip_chars().str.to_date("%Y-%m-%d", strict=False).alias("valid_from"),
        pl.col("rate").str.strip_chars().cast(pl.Float64, strict=False).alias("value"),
    )
    problems = [
        ("currency", ~pl.col("currency").str.contains(r"^[A-Z]{3}$").fill_null(False), "is not a 3-letter ISO code"),
        (
            "currency",
            pl.col("currency") == reporting_currency,
            f"is the reporting currency ({reporting_currency}), which always converts at 1",
        ),
        ("from", pl.col("valid_from").is_null(), "is not a date (YYYY-MM-DD)"),
        (
            "rate",
            pl.col("value").is_null() | ~pl.col("value").is_finite() | (pl.col("value") <= 0),
            "is not a finite number above 0",
        ),
        ("from", pl.struct("currency", "valid_from").is_duplicated(), "repeats a date already given for this currency"),
    ]
    for column, bad, problem in problems:
        first = rows.filter(bad).head(1)
        if first.height:
            line, value = first["line"].item(), first[column].item()
            raise fail(line, column, f"'{value}' {problem}")
    if rows.is_empty():
        raise ValidationError("The FX rates file has no rates.", hint=f"Example:\n{FX_EXAMPLE}")
    rows = rows.sort("currency", "valid_from")
    return tuple(FxRate(c, d, float(r)) for c, d, r in rows.select("currency", "valid_from", "value").iter_rows())


def rates_from_org(org_rates: pl.DataFrame, reporting_currency: str) -> tuple[FxRate, ...]:
    """A CRM org's conversion rates (see SalesforceConnector.org_fx_rates) as rates into the reporting currency.

    Salesforce keeps units of each currency per unit of the corporate currency, so one unit of X is worth
    rate(reporting) / rate(X) in the reporting currency, each taken at the same date. A static rate, or the
    first dated period (Salesforce starts it at 0001-01-01), applies from the beginning.
    """
    beginning = date(1900, 1, 1)
    rates = org_rates.filter(pl.col("conversion_rate").is_finite() & (pl.col("conversion_rate") > 0)).with_columns(
        pl.max_horizontal(pl.col("valid_from").fill_null(beginning), pl.lit(beginning)).alias("valid_from")
    )
    reporting = (
        rates.filter(pl.col("currency") == reporting_currency)
        .select("valid_from", pl.col("conversion_rate").alias("_reporting"))
        .sort("valid_from")
    )
    if reporting.is_empty():
        known = ", ".join(sorted(rates["currency"].unique().to_list())) or "none"
        raise ValidationError(f"The org has no rate for the reporting currency {reporting_currency} (it has: {known}).")
    # Every date at which either side changes starts a new rate.
    starts = pl.concat(
        [
            rates.select("currency", "valid_from"),
            rates.select("currency").unique().join(reporting.select("valid_from"), how="cross"),
        ]
    )
    combined = (
        starts.unique()
        .sort("valid_from")
        .join_asof(
            rates.sort("valid_from").select("currency", "valid_from", "conversion_rate"),
            on="valid_from",
            by="currency",
            strategy="backward",
            check_sortedness=False,
        )
        .join_asof(reporting, on="valid_from", strategy="backward")
        .filter((pl.col("currency") != reporting_currency) & pl.col("conversion_rate").is_not_null())
        .with_columns((pl.col("_reporting") / pl.col("conversion_rate")).round(6).alias("rate"))
        .sort("currency", "valid_from")
        # A period whose rate did not change is no new rate.
        .filter(pl.col("rate") != pl.col("rate").shift(1).over("currency").fill_null(-1.0))
    )
    return tuple(FxRate(c, d, float(r)) for c, d, r in combined.select("currency", "valid_from", "rate").iter_rows())


def with_fx_rates(config: MappingConfig, rates: tuple[FxRate, ...]) -> str:
    """The mapping in force with its FX rates replaced, as the YAML of the next version."""
    return to_yaml(replace(config, fx_rates=rates))


def rates_frame(config: MappingConfig | None) -> pl.DataFrame:
    """The rates in force, for a table on the page."""
    rates = config.fx_rates if config else ()
    return pl.DataFrame(
        {
            "currency": [r.currency for r in rates],
            "from": [r.valid_from for r in rates],
            "rate": [r.rate for r in rates],
        },
        schema={"currency": pl.String, "from": pl.Date, "rate": pl.Float64},
    )


@dataclass(frozen=True)
class OrgRates:
    """The FX rates one CRM connection keeps, as suggested rates into the reporting currency."""

    connection: str
    source_key: str
    table: str  # where the org keeps them: DatedConversionRate or CurrencyType
    rates: tuple[FxRate, ...]
    problem: str = ""  # why none could be read

    @property
    def note(self) -> str:
        return f"FX rates from {self.connection} ({self.table})"


@dataclass(frozen=True)
class MissingRate:
    """Rows of one domain a sync holds back (or would) because no FX rate into the reporting currency covers them."""

    domain: Domain
    currency: str
    rows: int
    earliest: date | None = None  # the earliest record date held while rates start later; None: no rate at all


_ROW_NOUN = {Domain.PIPELINE: ("deal", "deals"), Domain.ARR_ACTUALS: ("ARR movement", "ARR movements")}


def missing_in_words(missing: list[MissingRate]) -> str:
    """'EUR (1,183 deals, 744 ARR movements), GBP (12 deals dated from 2024-03-01)': one entry per currency."""
    entries = []
    for currency in sorted({m.currency for m in missing}):
        mine = [m for m in missing if m.currency == currency]
        counts = [f"{m.rows:,} {_ROW_NOUN[m.domain][m.rows != 1]}" for m in mine]
        dates = [m.earliest for m in mine if m.earliest is not None]
        dated = f" dated from {min(dates).isoformat()}" if dates else ""
        entries.append(f"{currency} ({', '.join(counts)}{dated})")
    return ", ".join(entries)


def held_for_rates(domain: Domain, held: pl.DataFrame) -> list[MissingRate]:
    """Per currency, the rows held for want of an FX rate, from held rows counted by reason and value
    (columns reason_code, value, rows).

    The transform writes the value as 'EUR' (no rate for the currency at all) or 'EUR on 2024-03-01' (rates
    start after the record's date); the earliest such date says how far back the rates must reach.
    """
    parts = pl.col("value").cast(pl.String).str.split_exact(" on ", 1)
    grouped = (
        held.filter(pl.col("reason_code") == QuarantineReason.UNKNOWN_CURRENCY.value)
        .select(
            parts.struct.field("field_0").str.strip_chars().alias("currency"),
            parts.struct.field("field_1").str.to_date("%Y-%m-%d", strict=False).alias("day"),
            "rows",
        )
        .filter(pl.col("currency").is_not_null() & (pl.col("currency") != ""))
        .group_by("currency")
        .agg(pl.col("rows").sum(), pl.col("day").min().alias("earliest"))
        .sort("currency")
    )
    return [MissingRate(domain, c, n, d) for c, n, d in grouped.iter_rows()]


def held_counts(quarantine: pl.DataFrame) -> pl.DataFrame:
    """A run's quarantine frame (source_id, reason_code, value) as rows counted by reason and value."""
    return quarantine.group_by("reason_code", "value").agg(pl.col("source_id").n_unique().alias("rows"))


def rates_still_missing(held: list[MissingRate], config: MappingConfig | None) -> list[MissingRate]:
    """Of what a run held for want of a rate, what the mapping in force still does not cover.

    A currency is covered once it is the reporting currency, or it has a rate from on or before the earliest
    held date (or any rate, when the rows were held because the currency had none). Rows held for a currency
    that had no rate may still meet a rate that starts too late: the next dry run tells.
    """
    if config is None:
        return list(held)
    starts: dict[str, date] = {}
    for rate in config.fx_rates:
        starts[rate.currency] = min(rate.valid_from, starts.get(rate.currency, rate.valid_from))
    missing = []
    for m in held:
        first = starts.get(m.currency)
        covered = m.currency == config.reporting_currency or (
            first is not None and (m.earliest is None or first <= m.earliest)
        )
        if not covered:
            missing.append(m)
    return missing
