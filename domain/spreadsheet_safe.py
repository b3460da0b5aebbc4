"""CSV that a spreadsheet opens as data, never as formulas (OWASP "CSV injection").

A CRM field is text anyone with CRM access can write. A cell starting with =, +, -, @, a tab or a carriage
return is a formula to Excel, LibreOffice and Google Sheets (`=HYPERLINK(...)` phones home with a click), so
such text cells get a leading apostrophe: the spreadsheet shows the text as typed. Numbers and dates are
written as numbers and dates, so a negative amount stays a number.
"""

from __future__ import annotations

import polars as pl

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def neutralise_formulas(frame: pl.DataFrame) -> pl.DataFrame:
    """`frame` with every text cell that a spreadsheet would run as a formula prefixed with an apostrophe."""
    starts = "^[" + "".join("\\" + c if c in "-+" else c for c in FORMULA_STARTS) + "]"
    return frame.with_columns(
        pl.when(pl.col(name).str.contains(starts)).then("'" + pl.col(name)).otherwise(pl.col(name)).alias(name)
        for name, dtype in frame.schema.items()
        if dtype == pl.String
    )


def spreadsheet_csv(frame: pl.DataFrame) -> str:
    """UTF-8 CSV text with a header row, formulas neutralised."""
    return neutralise_formulas(frame).write_csv()
