"""FX rates a finance user uploads as CSV: read, validate, and put in force as the next mapping version.

Rates are part of the mapping (mapping as code), so an upload is versioned and audited like any import,
and a sync converts each amount at the rate in force on its record's date.
"""

from __future__ import annotations

import io
from dataclasses import replace

import polars as pl

from core.errors import ValidationError
from core.mapping_config import FxRate, MappingConfig, to_yaml

FX_COLUMNS = ("currency", "from", "rate")
FX_EXAMPLE = "currency,from,rate\nEUR,2025-01-01,1.08\nEUR,2025-07-01,1.12\nGBP,2025-01-01,1.27\n"


def parse_fx_rates(content: bytes, reporting_currency: str) -> tuple[FxRate, ...]:
    """Validated rates, sorted by currency and date. Errors name the line (header = line 1) and the column.

    `rate` is what one unit of `currency` is worth in the reporting currency, from `from` on.
    """
    def fail(line: int | None, column: str, problem: str) -> ValidationError:
        where = f"line {line}, column '{column}'" if line else f"column '{column}'"
        return ValidationError(f"FX rates file, {where}: {problem}.", hint=f"Expected: {', '.join(FX_COLUMNS)} "
                               "(e.g. EUR,2025-01-01,1.08 = one euro is 1.08 in the reporting currency).")

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
        pl.col("rate").str.strip_chars().cast(pl.Float64, strict=False).alias("value"))
    problems = [
        ("currency", ~pl.col("currency").str.contains(r"^[A-Z]{3}$").fill_null(False), "is not a 3-letter ISO code"),
        ("currency", pl.col("currency") == reporting_currency, f"is the reporting currency ({reporting_currency}), "
                                                               "which always converts at 1"),
        ("from", pl.col("valid_from").is_null(), "is not a date (YYYY-MM-DD)"),
        ("rate", pl.col("value").is_null() | (pl.col("value") <= 0), "is not a number above 0"),
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


def with_fx_rates(config: MappingConfig, rates: tuple[FxRate, ...]) -> str:
    """The mapping in force with its FX rates replaced, as the YAML of the next version."""
    return to_yaml(replace(config, fx_rates=rates))


def rates_frame(config: MappingConfig | None) -> pl.DataFrame:
    """The rates in force, for a table on the page."""
    rates = config.fx_rates if config else ()
    return pl.DataFrame({"currency": [r.currency for r in rates], "from": [r.valid_from for r in rates],
                         "rate": [r.rate for r in rates]}, schema={"currency": pl.String, "from": pl.Date,
                                                                   "rate": pl.Float64})



def put_fx_rates_in_force(session, workspace_id: int, content: bytes, *, actor: str, file_name: str):
    """Validate an uploaded rates file and save the mapping in force with these rates as the next version."""
    from storage.mappings import latest_mapping, save_mapping

    current = latest_mapping(session, workspace_id)
    if current is None:
        raise ValidationError("There is no mapping yet to add FX rates to.", hint="Approve or import a mapping first.")
    rates = parse_fx_rates(content, current[1].reporting_currency)
    return save_mapping(session, workspace_id, with_fx_rates(current[1], rates), actor=actor,
                        note=f"FX rates from {file_name}"[:255])
