"""Drift guard for fields: a source field that appears after the mapping was approved is held for review.

Stages, picklist values and movement types that appear later are already held by the transform (their rows
are quarantined as unmapped). A new *field* holds no row back, so it would go unnoticed: here each sync
compares the fields it read with the fields the workspace knows for that object and stores the new ones as
pending suggestions in step 3 (rules only, never in the auto-accept band). Nothing maps them until a person
approves one and puts the mapping in force.
"""

from __future__ import annotations

from dataclasses import dataclass

import polars as pl
from sqlmodel import Session

from connectors.base import Connector
from domain.errors import RevenueConnectorError
from domain.mapping_config import ObjectMapping
from domain.suggestions.fields import SourceField, canonical_type, suggest_fields
from services.suggestions import source_fields
from storage import review
from storage.tables import Connection

# Columns every connector adds to a read; they are not fields of the source object.
BOOKKEEPING_COLUMNS = frozenset({"source", "source_id", "source_modified_at", "is_deleted"})
_SAMPLES = 5


_LONGEST_NAME = 120  # what a review row can hold; a longer column name cannot be mapped through review either


def present_fields(read: pl.DataFrame) -> list[str]:
    """The source object's own fields in a read, in the order read (a name no database can store, too long or with
    a NUL byte, is no field anyone could map)."""
    return [c for c in read.columns if c not in BOOKKEEPING_COLUMNS and len(c) <= _LONGEST_NAME and "\x00" not in c]


def _inferred_type(values: pl.Series) -> str:
    """A type name for a field seen only in a read: reads carry text, so infer it from the values."""
    if values.dtype.is_numeric():
        return "double"
    if values.dtype.is_temporal():
        return "date" if values.dtype == pl.Date else "datetime"
    text = values.cast(pl.String).str.strip_chars()
    if text.is_empty():
        return "string"
    for name, parsed in (
        ("double", text.str.replace_all(",", "").cast(pl.Float64, strict=False)),
        ("date", text.str.to_date(strict=False)),
        ("datetime", text.str.to_datetime(strict=False, time_zone="UTC")),
    ):
        if parsed.null_count() == 0:
            return name
    return "string"


def _source_field(system: str, obj: ObjectMapping, read: pl.DataFrame, name: str) -> SourceField:
    values = read[name].drop_nulls().head(1000)
    samples = values.cast(pl.String).unique(maintain_order=True).head(_SAMPLES)
    return SourceField(system, obj.object_name, name, name, _inferred_type(values), tuple(samples.to_list()))


@dataclass(frozen=True)
class FieldDrift:
    """What one routed object's read showed against the fields the workspace knows for it."""

    connection_id: int
    where: str  # "<connection> · <object>", for messages
    obj: ObjectMapping
    baseline: dict[str, str | None]  # first sync of a mapping written as code: field -> canonical in force
    new: tuple[SourceField, ...]  # fields that appeared after approval

    @property
    def new_names(self) -> list[str]:
        return [f.name for f in self.new]


def detect_field_drift(
    known: set[str], connection: Connection, connector: Connector, obj: ObjectMapping, read: pl.DataFrame
) -> FieldDrift:
    """Compare a read's fields with the `known` ones (`review.known_source_fields`; `hold_field_drift` writes).

    The first sync of an object whose mapping was written as code (no review rows) takes the fields it
    has as the baseline: they were there when the mapping was written, so they are not drift.
    """
    present = present_fields(read)
    where = f"{connection.name} · {obj.object_name}"
    if not known:
        # Connectors give every read the same columns (HubSpot's associated company included, even in a window
        # where no deal has one), so the read is the baseline. No describe call here: on a big file it costs seconds.
        in_force = {f.source_field: f.canonical_field for f in obj.fields}
        return FieldDrift(connection.id, where, obj, {name: in_force.get(name) for name in present}, ())
    names = [name for name in present if name not in known]
    if not names:
        return FieldDrift(connection.id, where, obj, {}, ())
    described = _described_fields(connector, connection.kind, obj.object_name)
    new = tuple(described.get(name) or _source_field(connection.kind, obj, read, name) for name in names)
    return FieldDrift(connection.id, where, obj, {}, new)


def _described_fields(connector, kind: str, object_name: str) -> dict[str, SourceField]:
    """The source's own metadata for an object's fields (label, type, picklist values), as review sees it.

    Asked only when new fields appeared (an incremental read may hold no values to infer a type from);
    a source that cannot describe right now leaves the read's inference in place.
    """
    try:
        info = next((o for o in connector.describe() if o.name == object_name), None)
    except RevenueConnectorError:
        return {}
    return {} if info is None else {f.name: f for f in source_fields(kind, info)}


def hold_field_drift(session: Session, workspace_id: int, drift: FieldDrift, *, run_id: int) -> None:
    """Record a baseline, or store the new fields as pending suggestions (never auto-accepted), in `session`."""
    obj = drift.obj
    # Canonical fields already mapped are not offered again: that would map one of them twice.
    in_force = {f.canonical_field: f.source_field for f in obj.fields}
    if drift.baseline:
        review.record_seen_fields(
            session, workspace_id, drift.connection_id, obj.object_name, obj.domain.value, drift.baseline, run_id=run_id
        )
    if drift.new:
        review.hold_for_review(
            session,
            workspace_id,
            drift.connection_id,
            obj.object_name,
            obj.domain.value,
            suggest_fields(list(drift.new), obj.domain, already_mapped=in_force),
            {f.name: (f.label, f.type) for f in drift.new},
            canonical_type,
            run_id=run_id,
        )
