"""What every source offers the rest of the app, whatever it is (CRM, file folder, warehouse).

Reads return polars frames with the source's own field names (values as text, so a bad value
reaches validation intact) plus four columns we add: `source` (the connection's stable key),
`source_id` (the record ID), `source_modified_at` (UTC, null when the source has none) and
`is_deleted` (a tombstone: the record was deleted or archived in the source).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Protocol

import polars as pl

from domain.source_kinds import SourceKind


@dataclass(frozen=True)
class FieldInfo:
    """A source field as describe() reports it."""

    name: str
    label: str
    type: str
    custom: bool = False
    picklist_values: tuple[str, ...] = ()
    samples: tuple[str, ...] = ()


@dataclass(frozen=True)
class ObjectInfo:
    """A readable object (Salesforce sObject, HubSpot object type, a file, a query)."""

    name: str
    label: str
    fields: tuple[FieldInfo, ...]
    row_count: int | None = None

    @property
    def summary(self) -> str:
        """'3,000 rows, 19 fields' (rows only when the source counts them without spending API calls)."""
        rows = f"{self.row_count:,} rows, " if self.row_count is not None else ""
        return f"{rows}{len(self.fields)} fields"


@dataclass(frozen=True)
class ConnectionCheck:
    """Outcome of 'Test connection': a headline plus the objects found, or what is wrong."""

    ok: bool
    headline: str
    details: tuple[str, ...] = ()
    objects: tuple[ObjectInfo, ...] = field(default_factory=tuple)


# Columns every read adds to the source's own fields.
SOURCE_COLUMNS: tuple[str, ...] = ("source", "source_id", "source_modified_at", "is_deleted")

# What stages() returns, whatever the CRM: probability normalised to 0..1.
STAGE_SCHEMA: dict[str, pl.DataType] = {
    "pipeline_id": pl.String(),
    "pipeline_label": pl.String(),
    "stage_id": pl.String(),
    "label": pl.String(),
    "probability": pl.Float64(),
    "is_closed": pl.Boolean(),
    "is_won": pl.Boolean(),
    "sort_order": pl.Int64(),
    "is_active": pl.Boolean(),
}
# What stage_history() returns: one row per stage a deal entered (the CRM's own record of it), the stage as the
# deal's stage field holds it (Salesforce's StageName, HubSpot's stage id), when it entered it in UTC.
STAGE_HISTORY_SCHEMA: dict[str, pl.DataType] = {
    "source_id": pl.String(),
    "stage": pl.String(),
    "entered_at": pl.Datetime("us", "UTC"),
}
# What owners() returns.
OWNER_SCHEMA: dict[str, pl.DataType] = {"owner_id": pl.String(), "name": pl.String(), "email": pl.String()}


class Connector(Protocol):
    """The part of the connector interface every source implements."""

    kind: SourceKind

    def test_connection(self) -> ConnectionCheck: ...

    def describe(self) -> list[ObjectInfo]: ...

    def read(self, object_name: str, *, since: datetime | None = None) -> pl.DataFrame: ...


def source_time_zone(connector: Connector) -> str:
    """The zone a source shows its dates in: the CRM org's or portal's own, UTC for files and warehouses."""
    zone = getattr(connector, "time_zone", None)
    return zone() if zone is not None else "UTC"


def fields_frame(obj: ObjectInfo) -> pl.DataFrame:
    """One row per field of an object, for review tables: name, type, custom flag, sample or picklist values."""
    return pl.DataFrame(
        {
            "Field": [f.name for f in obj.fields],
            "Label": [f.label or "" for f in obj.fields],
            "Type": [f.type for f in obj.fields],
            "Custom": [f.custom for f in obj.fields],
            "Values": [", ".join((f.samples or f.picklist_values)[:4]) for f in obj.fields],
        },
        schema={"Field": pl.String, "Label": pl.String, "Type": pl.String, "Custom": pl.Boolean, "Values": pl.String},
    )


def settings_from_dict(cls, raw: dict):
    """A connector's settings dataclass from stored JSON: unknown keys and empty values are ignored."""
    return cls(**{k: v for k, v in raw.items() if k in cls.__dataclass_fields__ and v not in (None, "")})
