"""Is a file a well-formed CSV or Parquet export? Checked before an upload is saved as a connection and when a
folder connection is tested, so a binary file, a ragged row or an unclosed quote is refused with the line
and column at fault instead of becoming a 'Connected' source with a field named after half the file.
"""

from __future__ import annotations

import csv
import io
from pathlib import Path

import polars as pl

from domain.errors import ValidationError

_PARQUET_MAGIC = b"PAR1"
# Python's csv module refuses fields above 128 KiB by default; a long note is legitimate, a whole file is not.
_FIELD_LIMIT = 16 * 1024 * 1024


def check_file(name: str, content: bytes | Path) -> None:
    """Refuse `name` (its bytes, or the file at a path) unless it is a well-formed CSV or Parquet file."""
    data = content.read_bytes() if isinstance(content, Path) else content
    if Path(name).suffix.lower() == ".parquet":
        _check_parquet(name, data)
    else:
        _check_csv(name, data)


def _fail(name: str, line: int, problem: str, column: str | None = None) -> ValidationError:
    where = f"line {line:,}" + (f", column '{column}'" if column is not None else "")
    return ValidationError(
        f"'{name}', {where}: {problem}.", hint="Fix the file (or export it again) and upload it once more."
    )


def _check_parquet(name: str, data: bytes) -> None:
    if len(data) < 12 or data[:4] != _PARQUET_MAGIC or data[-4:] != _PARQUET_MAGIC:
        raise ValidationError(
            f"'{name}' is not a Parquet file (it does not start and end with PAR1).",
            hint="Export it again as Parquet, or as CSV.",
        )
    try:
        pl.read_parquet_schema(io.BytesIO(data))
    except Exception as exc:  # noqa: BLE001 - pyarrow and polars raise several kinds for a damaged footer
        raise ValidationError(
            f"'{name}' is a damaged Parquet file: {str(exc).splitlines()[0][:200]}", hint="Export it again."
        ) from exc


def _check_csv(name: str, data: bytes) -> None:
    if not data.strip():
        raise ValidationError(f"'{name}' is empty.", hint="Export the object again; a CSV needs a header line.")
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        raise _fail(
            name,
            line,
            f"byte {exc.start + 1:,} is not UTF-8 text (a binary file, or a workbook or another "
            "encoding saved as .csv)",
        ) from exc
    csv.field_size_limit(_FIELD_LIMIT)
    reader = csv.reader(io.StringIO(text, newline=""), strict=True)
    header: list[str] | None = None
    row_start = 1
    while True:
        try:
            row = next(reader)
        except StopIteration:
            break
        except csv.Error as exc:
            if "end of data" in str(exc) or "EOF" in str(exc):
                raise _fail(name, row_start, "a quoted value starts here and is never closed") from exc
            raise _fail(name, reader.line_num, str(exc)) from exc
        line, row_start = row_start, reader.line_num + 1
        if not row:
            continue  # a blank line
        nul = next((i for i, value in enumerate(row) if "\x00" in value), None)
        if nul is not None:
            column = header[nul] if header and nul < len(header) else f"#{nul + 1}"
            raise _fail(name, line, "holds a NUL byte (binary data, not text)", column)
        if header is None:
            header = [value.strip() for value in row]
            _check_header(name, header)
        elif len(row) != len(header):
            raise _fail(name, line, f"has {len(row)} value(s) where the header has {len(header)} column(s)")


def _check_header(name: str, header: list[str]) -> None:
    blank = next((i for i, value in enumerate(header) if not value), None)
    if blank is not None:
        raise _fail(name, 1, f"column {blank + 1} of the header has no name")
    seen: set[str] = set()
    for value in header:
        if value in seen:
            raise _fail(name, 1, "this column name appears twice in the header", value)
        seen.add(value)
