"""A folder of CSV or Parquet exports as a source: each file is one object.

CSV values are read as text so that a bad value (an unparseable date, a stray letter in an
amount) reaches validation intact and can be quarantined with the offending value, instead of
being turned into null by type inference.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

import polars as pl

from connectors.base import ConnectionCheck, FieldInfo, ObjectInfo
from connectors.file_checks import check_file
from domain.errors import SourceError, ValidationError
from domain.source_kinds import SourceKind
from domain.timestamps import parse_utc

SUPPORTED_SUFFIXES = (".csv", ".parquet")
# Files up to this size are checked line by line when the connection is tested (bigger ones only by a read).
CHECKED_BYTES = 256 * 1024**2
# Tried in order when a file's settings name no ID or modification column.
ID_CANDIDATES = ("Id", "id", "ID", "hs_object_id", "record_id")
MODIFIED_CANDIDATES = ("SystemModstamp", "LastModifiedDate", "hs_lastmodifieddate", "updated_at", "modified_at")

_DTYPE_NAMES = {
    pl.String: "string",
    pl.Float64: "number",
    pl.Float32: "number",
    pl.Int64: "number",
    pl.Int32: "number",
    pl.Boolean: "boolean",
    pl.Date: "date",
    pl.Datetime: "datetime",
}


class FileSource:
    """Reads `*.csv` / `*.parquet` in one folder."""

    kind = SourceKind.FILE

    def __init__(self, path: str | Path, *, source_key: str, id_fields: dict[str, str] | None = None) -> None:
        self.path = Path(path).expanduser()
        self.source_key = source_key
        self.id_fields = id_fields or {}

    # -- discovery -------------------------------------------------------------------------
    def _files(self) -> dict[str, Path]:
        if not self.path.exists():
            raise SourceError(f"The folder {self.path} does not exist.", hint="Check the path in Connect.")
        if not self.path.is_dir():
            raise SourceError(f"{self.path} is a file; point the connection at the folder that holds the exports.")
        files = sorted(p for p in self.path.iterdir() if p.suffix.lower() in SUPPORTED_SUFFIXES and p.is_file())
        return {p.stem: p for p in files}

    def _file(self, object_name: str) -> Path:
        files = self._files()
        if object_name not in files:
            raise SourceError(
                f"There is no file for '{object_name}' in {self.path}.",
                hint=f"Found: {', '.join(files) or 'no CSV or Parquet files'}.",
            )
        return files[object_name]

    def _scan(self, path: Path, *, as_text: bool) -> pl.LazyFrame:
        if path.suffix.lower() == ".parquet":
            return pl.scan_parquet(path)
        return pl.scan_csv(path, infer_schema=not as_text, infer_schema_length=1000, try_parse_dates=not as_text)

    def describe(self) -> list[ObjectInfo]:
        """Every file with its columns, inferred types and a few sample values."""
        return [self._describe_file(name, path) for name, path in self._files().items()]

    def _describe_file(self, name: str, path: Path) -> ObjectInfo:
        try:
            sample = self._scan(path, as_text=False).head(1000).collect()
            row_count = self._scan(path, as_text=True).select(pl.len()).collect().item()
        except (pl.exceptions.PolarsError, OSError) as exc:
            raise SourceError(
                f"{path.name} cannot be read: {_first_line(exc)}",
                hint="Re-export the file, or remove it from the folder.",
            ) from exc
        fields = []
        for column, dtype in sample.schema.items():
            values = sample.get_column(column).drop_nulls().cast(pl.String).unique(maintain_order=True).head(5)
            fields.append(
                FieldInfo(
                    name=column,
                    label=column,
                    type=_type_name(dtype),
                    custom=column.endswith("__c"),
                    samples=tuple(values.to_list()),
                )
            )
        return ObjectInfo(name=name, label=path.name, fields=tuple(fields), row_count=row_count)

    # -- change detection ------------------------------------------------------------------
    def content_fingerprint(self, object_name: str, previous: str | None = None) -> str:
        """'size:mtime_ns:sha256' of the object's file. When size and modification time equal `previous`'s, its
        hash is reused (no re-read); otherwise the file is hashed, so a file touched but not changed still matches.

        A file whose size differs from `previous`'s has changed for certain and is not hashed ('size:mtime_ns:'):
        the hash only tells a rewrite with the same bytes, which keeps the size, and hashing a changed export cost
        a fifth of an incremental run. Should the next run find it touched at the same size, it is read (and
        hashed) once more."""
        path = self._file(object_name)
        stat = path.stat()
        stamp = f"{stat.st_size}:{stat.st_mtime_ns}:"
        if previous and previous.startswith(stamp):
            return previous
        if previous and previous.split(":", 1)[0] != str(stat.st_size):
            return stamp
        digest = hashlib.sha256()
        with path.open("rb") as handle:
            for block in iter(lambda: handle.read(1 << 20), b""):
                digest.update(block)
        return stamp + digest.hexdigest()

    @staticmethod
    def same_content(before: str | None, now: str) -> bool:
        """Whether two fingerprints are the same bytes (size and hash; the modification time may differ)."""
        if not before:
            return False
        size, _, digest = before.split(":", 2)
        now_size, _, now_digest = now.split(":", 2)
        return (size, digest) == (now_size, now_digest)

    # -- reading ---------------------------------------------------------------------------
    def read(self, object_name: str, *, since=None, limit: int | None = None) -> pl.DataFrame:
        """Rows of one file with the SOURCE_COLUMNS added; with `since`, only rows modified after it (when the
        file has a modification column such as SystemModstamp or LastModifiedDate)."""
        path = self._file(object_name)
        scan = self._scan(path, as_text=True)
        try:
            columns = scan.collect_schema().names()
        except (pl.exceptions.PolarsError, OSError) as exc:
            raise SourceError(f"{path.name} cannot be read: {_first_line(exc)}") from exc
        id_field = self.id_fields.get(object_name) or next((c for c in ID_CANDIDATES if c in columns), None)
        if id_field is None or id_field not in columns:
            raise SourceError(
                f"{path.name} has no ID column.",
                hint=f"Add one of {', '.join(ID_CANDIDATES)} or name the ID column in Connect.",
            )
        modified = next((c for c in MODIFIED_CANDIDATES if c in columns), None)
        modified_expr = parse_utc(pl.col(modified)) if modified else pl.lit(None, dtype=pl.Datetime("us", "UTC"))
        deleted = (
            (pl.col("IsDeleted").cast(pl.String).str.to_lowercase() == "true")
            if "IsDeleted" in columns
            else pl.lit(False)
        )
        # One lazy pass: the timestamp is parsed once, and an incremental read keeps only newer rows as
        # the file streams in instead of holding the whole export first.
        rows = scan.with_columns(
            pl.lit(self.source_key).alias("source"),
            pl.col(id_field).cast(pl.String).alias("source_id"),
            modified_expr.alias("source_modified_at"),
            deleted.fill_null(False).alias("is_deleted"),
        )
        if since is not None and modified:
            # Only what changed after the cursor; rows with no readable timestamp are always kept.
            rows = rows.filter(pl.col("source_modified_at").is_null() | (pl.col("source_modified_at") > since))
        if limit is not None:
            rows = rows.head(limit)  # the header only, for a file known to be unchanged
        try:
            return rows.collect()
        except (pl.exceptions.PolarsError, OSError) as exc:
            raise SourceError(f"{path.name} cannot be read: {_first_line(exc)}") from exc

    def test_connection(self) -> ConnectionCheck:
        """Is every file a well-formed CSV or Parquet export? Names the file, line and column of the first fault."""
        try:
            for path in self._files().values():
                if path.stat().st_size <= CHECKED_BYTES:
                    check_file(path.name, path)
            objects = self.describe()
        except (SourceError, ValidationError) as exc:
            return ConnectionCheck(ok=False, headline=exc.user_message, details=(exc.hint,) if exc.hint else ())
        if not objects:
            return ConnectionCheck(
                ok=False,
                headline=f"No CSV or Parquet files in {self.path}.",
                details=("Export your CRM objects as CSV or Parquet into this folder.",),
            )
        total = sum(o.row_count or 0 for o in objects)
        return ConnectionCheck(
            ok=True,
            headline=f"{len(objects)} file{'' if len(objects) == 1 else 's'} readable in {self.path.name}/ ({total:,} rows)",
            details=tuple(f"{o.label}: {o.row_count:,} rows, {len(o.fields)} columns" for o in objects),
            objects=tuple(objects),
        )


def _type_name(dtype: pl.DataType) -> str:
    for polars_type, name in _DTYPE_NAMES.items():
        if isinstance(dtype, polars_type):
            return name
    return "string"


def _first_line(exc: Exception) -> str:
    return (str(exc).strip().splitlines() or [type(exc).__name__])[0]
