"""Reading one routed object: incrementally from its cursor unless a full read is asked for, with the rows still
in quarantine re-fed so a fixed mapping releases them; and the raw record kept with each quarantined row."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import polars as pl

from connectors.base import Connector
from connectors.files import FileSource
from domain.canonical import Domain
from domain.config import Settings
from domain.mapping_config import ObjectMapping
from domain.timestamps import parse_utc
from domain.transform import QUARANTINE_SCHEMA
from services.connections import connector_for
from storage.tables import Connection


@dataclass(frozen=True)
class RouteToRead:
    """One routed object of a run, with what storage said about it (read before any source is asked)."""

    domain: Domain
    connection: Connection
    obj: ObjectMapping
    priority: int
    since: datetime | None  # the cursor; None reads everything
    held: list[dict]  # raw rows of this object still in quarantine
    known_fields: set[str]  # fields the workspace already knows (field drift)
    held_ids: frozenset[str] = frozenset()  # source IDs of this object held in quarantine before the run
    fingerprint: str | None = None  # a file's fingerprint at the last successful run (incremental runs only)
    history_since: datetime | None = None  # pipeline: the newest stage history stored (None: read it whole)


@dataclass(frozen=True)
class RouteRead:
    """What reading one route gave."""

    connector: Connector
    rows: pl.DataFrame
    fingerprint: str | None  # the file's fingerprint now (None for a CRM)
    unchanged: bool  # a file whose bytes did not change since the last run: only its header was read


def read_route(settings: Settings, route: RouteToRead) -> RouteRead:
    """The object's rows as the source has them now, plus the quarantined ones it did not send again. A file whose
    bytes are what the last successful run read is not read again (an incremental run costs what changed)."""
    connector = connector_for(route.connection, settings)
    name = route.obj.object_name
    fingerprint: str | None = None
    unchanged = False
    if isinstance(connector, FileSource):
        fingerprint = connector.content_fingerprint(name, route.fingerprint)
        unchanged = FileSource.same_content(route.fingerprint, fingerprint)
    read = connector.read(name, limit=0) if isinstance(connector, FileSource) and unchanged else None
    if read is None:
        read = connector.read(name, since=route.since)
    # An incremental read misses rows still in quarantine unless they changed, so re-feed them; a full
    # read already holds every row that still exists (and must not resurrect one that was deleted).
    if (route.since is not None or unchanged) and route.held:
        previous = pl.DataFrame(route.held, infer_schema_length=None).with_columns(
            parse_utc(pl.col("source_modified_at")), pl.col("is_deleted").cast(pl.Boolean)
        )
        previous = previous.filter(~pl.col("source_id").is_in(read["source_id"].implode()))
        read = pl.concat(
            [read, previous.select([c for c in previous.columns if c in read.columns])], how="diagonal_relaxed"
        )
    return RouteRead(connector, read, fingerprint, unchanged)


def with_payload(quarantine: pl.DataFrame, read: pl.DataFrame, domain: Domain) -> pl.DataFrame:
    """Attach each quarantined row's raw source record (JSON) so a later run can process it again."""
    columns = [*QUARANTINE_SCHEMA, "domain", "payload_json"]
    if quarantine.is_empty():
        return quarantine.with_columns(
            pl.lit(domain.value).alias("domain"), pl.lit(None, pl.String).alias("payload_json")
        ).select(columns)
    raw = read.filter(pl.col("source_id").is_in(quarantine["source_id"].unique().implode())).unique(
        "source_id", keep="first"
    )
    payload = raw.select("source_id", pl.struct(pl.all()).struct.json_encode().alias("payload_json"))
    return (
        quarantine.join(payload, on="source_id", how="left")
        .with_columns(pl.lit(domain.value).alias("domain"))
        .select(columns)
    )


def empty_quarantine() -> pl.DataFrame:
    return pl.DataFrame(schema={**QUARANTINE_SCHEMA, "domain": pl.String, "payload_json": pl.String})
