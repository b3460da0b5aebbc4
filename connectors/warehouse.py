"""A warehouse as a source: named SQL queries against any SQLAlchemy URL, one query per object.

Lets a finance team route ARR actuals from a warehouse table while pipeline comes from the CRM.
The database URL may hold a password, so it is stored as a secret.
"""

from __future__ import annotations

from typing import Any

import polars as pl
from sqlalchemy import create_engine, text
from sqlalchemy.exc import SQLAlchemyError

from connectors.base import ConnectionCheck, FieldInfo, ObjectInfo
from connectors.files import ID_CANDIDATES, MODIFIED_CANDIDATES, _type_name
from domain.errors import CredentialsError, SourceError, SourceUnavailable
from domain.source_kinds import SourceKind
from domain.timestamps import parse_utc


class WarehouseSource:
    kind = SourceKind.WAREHOUSE

    def __init__(self, settings: dict[str, Any], secrets: dict[str, str], *, source_key: str) -> None:
        self.queries: dict[str, str] = dict(settings.get("queries") or {})
        self.id_fields: dict[str, str] = dict(settings.get("id_fields") or {})
        self.source_key = source_key
        url = secrets.get("database_url", "")
        if not url:
            raise CredentialsError("This warehouse connection has no database URL.", hint="Enter it in Connect.")
        try:
            self._engine = create_engine(url, pool_pre_ping=True)
        except (SQLAlchemyError, ValueError) as exc:
            raise SourceError(f"The warehouse URL is not valid: {exc}") from exc

    def _query(self, object_name: str) -> str:
        if object_name not in self.queries:
            raise SourceError(
                f"There is no query named '{object_name}'.", hint=f"Queries: {', '.join(self.queries) or 'none yet'}."
            )
        return self.queries[object_name].strip().rstrip(";")

    def _frame(self, sql: str, what: str) -> pl.DataFrame:
        try:
            with self._engine.connect() as connection:
                return pl.read_database(text(sql), connection, infer_schema_length=None)
        except SQLAlchemyError as exc:
            message = str(getattr(exc, "orig", exc)).strip().splitlines()[0]
            raise SourceUnavailable(f"The warehouse query '{what}' failed: {message}") from exc

    def describe(self) -> list[ObjectInfo]:
        objects = []
        for name in self.queries:
            sample = self._frame(f"SELECT * FROM ({self._query(name)}) AS q LIMIT 1000", name)
            count = self._frame(f"SELECT COUNT(*) AS n FROM ({self._query(name)}) AS q", name).item()
            fields = tuple(
                FieldInfo(
                    c,
                    c,
                    _type_name(t),
                    samples=tuple(
                        sample.get_column(c).drop_nulls().cast(pl.String).unique(maintain_order=True).head(5).to_list()
                    ),
                )
                for c, t in sample.schema.items()
            )
            objects.append(ObjectInfo(name, name, fields, row_count=count))
        return objects

    def test_connection(self) -> ConnectionCheck:
        if not self.queries:
            return ConnectionCheck(ok=False, headline="Add at least one named query (e.g. arr_movements).")
        try:
            objects = self.describe()
        except SourceError as exc:
            return ConnectionCheck(ok=False, headline=exc.user_message, details=(exc.hint,) if exc.hint else ())
        return ConnectionCheck(
            ok=True,
            headline=f"{len(objects)} warehouse quer{'y' if len(objects) == 1 else 'ies'} readable",
            details=tuple(f"{o.name}: {o.row_count:,} rows" for o in objects),
            objects=tuple(objects),
        )

    def read(self, object_name: str, *, since=None) -> pl.DataFrame:
        frame = self._frame(self._query(object_name), object_name)
        frame = frame.with_columns(pl.all().cast(pl.String))
        id_field = self.id_fields.get(object_name) or next((c for c in ID_CANDIDATES if c in frame.columns), None)
        if id_field is None:
            raise SourceError(
                f"The query '{object_name}' returns no ID column.",
                hint=f"Select one of {', '.join(ID_CANDIDATES)} or name the ID column in Connect.",
            )
        modified = next((c for c in MODIFIED_CANDIDATES if c in frame.columns), None)
        return frame.with_columns(
            pl.lit(self.source_key).alias("source"),
            pl.col(id_field).alias("source_id"),
            (parse_utc(pl.col(modified)) if modified else pl.lit(None, pl.Datetime("us", "UTC"))).alias(
                "source_modified_at"
            ),
            pl.lit(False).alias("is_deleted"),
        )
