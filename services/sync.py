"""A sync run: read every routed source, apply the mapping in force, and commit canonical data atomically.

Order of work: take the workspace's run lock; read each routed object (incrementally from its cursor
unless a full run is asked for), re-feeding rows still in quarantine so a fixed mapping releases them;
transform; let the higher-priority source win where two supply the same record; compare with what is
stored. A dry run stops there and reports. A real run then writes canonical rows, tombstones,
quarantine and cursors, archiving every version it replaces (for rollback), in ONE transaction: any failure leaves the previous
data, cursors and quarantine exactly as they were.
"""

from __future__ import annotations

import json
import logging
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field

import polars as pl
from sqlalchemy import Engine

from connectors.base import source_time_zone
from domain.canonical import Domain, MovementComponent
from domain.config import Settings
from domain.errors import RevenueConnectorError, ValidationError
from domain.mapping_config import MappingConfig, ObjectMapping
from domain.timestamps import parse_utc
from domain.transform import QUARANTINE_SCHEMA, transform
from services.connections import connector_for
from services.field_drift import FieldDrift, detect_field_drift, hold_field_drift
from storage import audit
from storage.accounts import load_crosswalk
from storage.connections import get_connection
from storage.db import session_scope
from storage.mappings import latest_mapping
from storage.routing import load_routes
from storage.sync_store import (
    apply_changes,
    canonical_totals,
    cursor_for,
    finish_run,
    open_quarantine_payloads,
    replace_quarantine,
    report_progress,
    restore_as_of,
    save_cursor,
    start_run,
    stored_rows,
)
from storage.tables import utcnow
from storage.workspaces import load_stage_set

log = logging.getLogger(__name__)

# Columns whose change makes a canonical row "changed" (provenance and bookkeeping excluded).
_VALUE_COLUMNS = {
    Domain.PIPELINE: ["name", "account_id", "stage", "source_stage", "pipeline_id", "weight", "amount", "currency", "amount_reporting",
                      "weighted_amount", "expected_close", "owner", "segment", "source", "source_object"],
    Domain.ARR_ACTUALS: ["account_id", "effective_date", "arr_delta", "movement_component", "currency",
                         "arr_delta_reporting", "source", "source_object"],
}


@dataclass
class DomainSummary:
    read: int = 0
    added: int = 0
    changed: int = 0
    unchanged: int = 0
    tombstoned: int = 0
    quarantined: int = 0
    filtered: int = 0
    excluded: int = 0
    totals_before: dict[str, float] = field(default_factory=dict)  # weighted pipeline / ARR per component
    totals_after: dict[str, float] = field(default_factory=dict)


@dataclass
class SyncSummary:
    run_id: int
    dry_run: bool
    mapping_version: int
    domains: dict[Domain, DomainSummary]
    api_calls: int
    seconds: float
    # Seconds per phase (read, transform, compare, write), so a slow run says where its time went.
    phase_seconds: dict[str, float] = field(default_factory=dict)
    # "<connection> · <object>" -> fields that appeared after approval, held for review in step 3.
    new_fields: dict[str, list[str]] = field(default_factory=dict)

    def to_json(self) -> str:
        return json.dumps({"run_id": self.run_id, "dry_run": self.dry_run, "mapping_version": self.mapping_version,
                           "api_calls": self.api_calls, "seconds": self.seconds, "phase_seconds": self.phase_seconds,
                           "new_fields": self.new_fields,
                           "domains": {d.value: asdict(s) for d, s in self.domains.items()}})

    @classmethod
    def from_json(cls, text: str) -> SyncSummary:
        raw = json.loads(text)
        return cls(raw["run_id"], raw["dry_run"], raw["mapping_version"],
                   {Domain(d): DomainSummary(**s) for d, s in raw["domains"].items()}, raw["api_calls"], raw["seconds"],
                   raw.get("phase_seconds", {}), raw.get("new_fields", {}))

    def phases(self) -> str:
        """'read 1.2 s · transform 0.8 s · …' in the order the phases ran."""
        return " · ".join(f"{name} {seconds:.2f} s" for name, seconds in self.phase_seconds.items())

    def lines(self) -> list[str]:
        """The summary in words, one line per domain plus the figures that moved."""
        out = []
        for domain, s in self.domains.items():
            out.append(f"{domain.label}: read {s.read:,}, add {s.added:,}, change {s.changed:,}, "
                       f"tombstone {s.tombstoned:,}, quarantine {s.quarantined:,} (unchanged {s.unchanged:,})")
            for key in s.totals_after:
                delta = s.totals_after[key] - s.totals_before.get(key, 0.0)
                out.append(f"  {key}: {s.totals_before.get(key, 0.0):,.2f} -> {s.totals_after[key]:,.2f} ({delta:+,.2f})")
        for where, names in self.new_fields.items():
            out.append(f"{len(names)} new field(s) in {where} since the mapping was approved, "
                       f"{'would be ' if self.dry_run else ''}held for review in step 3 (not mapped): {', '.join(names)}")
        return out


Progress = Callable[[float, str], None]


@dataclass(frozen=True)
class SyncScope:
    """Part of a workspace to sync now: one domain, one routed object, or one canonical account.

    A scoped run never advances what it did not read: an account run saves no cursor and leaves the
    quarantine alone (it reads only that account's records); an object run touches only that object.
    """

    domain: Domain | None = None
    source_key: str | None = None
    object_name: str | None = None
    account_id: int | None = None
    account_name: str | None = None

    def describe(self) -> str:
        """'pipeline', 'object demo:opportunities', 'account 12 · Acme' (stored on the run)."""
        if self.account_id is not None:
            return f"account {self.account_id}" + (f" · {self.account_name}" if self.account_name else "")
        if self.object_name:
            return f"object {self.source_key + ':' if self.source_key else ''}{self.object_name}"
        return self.domain.label if self.domain else "everything"

    def covers(self, domain: Domain, source_key: str, object_name: str) -> bool:
        if self.domain is not None and domain != self.domain:
            return False
        if self.object_name and object_name != self.object_name:
            return False
        return not (self.source_key and source_key != self.source_key)


def _totals(domain: Domain, aggregate: pl.DataFrame) -> dict[str, float]:
    """Headline figures from canonical_totals()."""
    if domain == Domain.PIPELINE:
        return {"weighted pipeline": float(aggregate["weighted_amount"].sum() or 0.0)}
    sums = dict(aggregate.iter_rows())
    return {f"ARR {c.value}": float(sums.get(c.value) or 0.0) for c in MovementComponent}


def _read_route(session, settings: Settings, workspace_id: int, route, obj: ObjectMapping, full: bool):
    connection = get_connection(session, route.connection_id)
    connector = connector_for(connection, settings)
    since = None if full else cursor_for(session, workspace_id, connection.id, route.object_name)
    read = connector.read(route.object_name, since=since)
    # An incremental read misses rows still in quarantine unless they changed, so re-feed them; a full
    # read already holds every row that still exists (and must not resurrect one that was deleted).
    held = [] if since is None else open_quarantine_payloads(session, workspace_id, connection.source_key,
                                                             route.object_name)
    if held:
        # Rows still in quarantine are processed again with today's mapping; a fresh read of a row wins.
        previous = pl.DataFrame(held, infer_schema_length=None).with_columns(
            parse_utc(pl.col("source_modified_at")),
            pl.col("is_deleted").cast(pl.Boolean))
        previous = previous.filter(~pl.col("source_id").is_in(read["source_id"].implode()))
        read = pl.concat([read, previous.select([c for c in previous.columns if c in read.columns])],
                         how="diagonal_relaxed")
    return connection, connector, since, read


def sync_now_targets(session, workspace_id: int) -> list[tuple[str, SyncScope | None]]:
    """What 'Sync now' can cover, in words: everything, each routed domain, each routed object."""
    routes = load_routes(session, workspace_id)
    targets: list[tuple[str, SyncScope | None]] = [("Everything", None)]
    for domain, domain_routes in routes.items():
        if domain_routes:
            targets.append((f"{domain.label} only", SyncScope(domain=domain)))
    for domain, domain_routes in routes.items():
        for route in domain_routes:
            connection = get_connection(session, route.connection_id)
            targets.append((f"{connection.name} · {route.object_name} ({domain.label})",
                            SyncScope(domain=domain, source_key=connection.source_key, object_name=route.object_name)))
    return targets


@dataclass(frozen=True)
class PreparedRun:
    """A sync that holds the workspace's run lock and has everything it needs to execute."""

    run_id: int
    workspace_id: int
    dry_run: bool
    mapping_version: int
    config: MappingConfig
    routes: dict
    stages: list
    scope: SyncScope | None = None


def begin_sync(engine: Engine, workspace_id: int, *, trigger: str, dry_run: bool = False,
               scope: SyncScope | None = None) -> PreparedRun:
    """Check the setup and take the run lock. Raises ValidationError or SyncInProgress before anything runs."""
    with session_scope(engine) as session:
        mapping = latest_mapping(session, workspace_id)
        if mapping is None:
            raise ValidationError("There is no mapping yet.", hint="Import or approve a mapping in step 3 first.")
        version, config = mapping
        routes = load_routes(session, workspace_id)
        stages = load_stage_set(session, workspace_id)
    if not any(routes.values()):
        raise ValidationError("No source is routed to pipeline or ARR actuals.", hint="Choose domains in step 2 first.")
    if scope is not None and (scope.domain or scope.object_name):
        with session_scope(engine) as session:
            keys = {r.connection_id: get_connection(session, r.connection_id).source_key for rs in routes.values() for r in rs}
        if not any(scope.covers(d, keys[r.connection_id], r.object_name) for d, rs in routes.items() for r in rs):
            raise ValidationError(f"Nothing routed matches {scope.describe()}.",
                                  hint="Routed objects: " + ", ".join(f"{keys[r.connection_id]}:{r.object_name}"
                                                                      for rs in routes.values() for r in rs) + ".")
    run = start_run(engine, workspace_id, trigger=trigger, dry_run=dry_run,
                    scope=scope.describe() if scope is not None else None)
    return PreparedRun(run.id, workspace_id, dry_run, version.version, config, routes, stages, scope)


@contextmanager
def _heartbeat(engine: Engine, run_id: int, every_seconds: float = 20.0) -> Iterator[None]:
    """Beat while the run works, so a run whose process died can be told from a slow one."""
    stop = threading.Event()

    def beat() -> None:
        while not stop.wait(every_seconds):
            report_progress(engine, run_id)

    thread = threading.Thread(target=beat, daemon=True, name=f"sync-heartbeat-{run_id}")
    thread.start()
    try:
        yield
    finally:
        stop.set()


def execute_sync(engine: Engine, settings: Settings, prepared: PreparedRun, *, actor: str, full: bool = False,
                 progress: Progress | None = None) -> SyncSummary:
    """Do the work of a prepared run; any failure is recorded on the run and re-raised."""
    started = time.perf_counter()

    def report(fraction: float, text: str) -> None:
        report_progress(engine, prepared.run_id, fraction, text)
        if progress is not None:
            progress(fraction, text)

    from services.alerts import alert_after_run

    try:
        with _heartbeat(engine, prepared.run_id):
            summary = _run(engine, settings, prepared, actor=actor, full=full, report=report, started=started)
    except Exception as exc:
        message = exc.user_message if isinstance(exc, RevenueConnectorError) else f"{type(exc).__name__}: {exc}"
        finish_run(engine, prepared.run_id, status="failed", error=message, mapping_version=prepared.mapping_version)
        log.error("sync run %s of workspace %s failed: %s", prepared.run_id, prepared.workspace_id, message)
        alert_after_run(engine, prepared.run_id, error=exc)
        raise
    alert_after_run(engine, prepared.run_id)
    return summary


def run_sync(engine: Engine, settings: Settings, workspace_id: int, *, trigger: str, actor: str,
             dry_run: bool = False, full: bool = False, progress: Progress | None = None,
             scope: SyncScope | None = None) -> SyncSummary:
    """Run (or dry-run) a sync of one workspace, or of a scope of it, and wait for it.

    Raises SyncInProgress, ValidationError or a SourceError.
    """
    prepared = begin_sync(engine, workspace_id, trigger=trigger, dry_run=dry_run, scope=scope)
    return execute_sync(engine, settings, prepared, actor=actor, full=full, progress=progress)


def start_background_sync(engine: Engine, settings: Settings, workspace_id: int, *, trigger: str, actor: str,
                          dry_run: bool = False, full: bool = False, scope: SyncScope | None = None) -> int:
    """Take the lock now (so a refusal is immediate), then run in a background thread; returns the run ID.

    Progress, the outcome and the summary are written to the run record, so any page or process can follow it.
    """
    prepared = begin_sync(engine, workspace_id, trigger=trigger, dry_run=dry_run, scope=scope)

    def work() -> None:
        try:
            execute_sync(engine, settings, prepared, actor=actor, full=full)
        except Exception:  # noqa: BLE001 - already recorded on the run by execute_sync
            return

    threading.Thread(target=work, daemon=True, name=f"sync-{prepared.run_id}").start()
    return prepared.run_id


def _run(engine, settings, prepared: PreparedRun, *, actor: str, full: bool, report: Progress,
         started: float) -> SyncSummary:
    workspace_id, config, routes, stages = prepared.workspace_id, prepared.config, prepared.routes, prepared.stages
    dry_run, mapping_version, run_id, scope = prepared.dry_run, prepared.mapping_version, prepared.run_id, prepared.scope
    account_id = scope.account_id if scope is not None else None
    crosswalk = load_crosswalk(engine, workspace_id).select("source_account_id", "account_id")
    summaries: dict[Domain, DomainSummary] = {}
    plans: dict[Domain, DomainPlan] = {}
    drifts: list[FieldDrift] = []
    quarantine_frames, read_objects, cursors, api_calls = [], [], [], 0
    total_routes = max(sum(len(r) for r in routes.values()), 1)
    phases: dict[str, float] = {}

    @contextmanager
    def phase(name: str) -> Iterator[None]:
        began = time.perf_counter()
        try:
            yield
        finally:
            phases[name] = phases.get(name, 0.0) + time.perf_counter() - began

    with session_scope(engine) as session:
        for domain in Domain:
            if not routes[domain]:
                continue
            summary = DomainSummary()
            canonical_parts, tombstones, route_count = [], [], len(routes[domain])
            # Which route each stored row came from, so a scoped run never lets a lower-priority source
            # overwrite a record that a higher-priority one (not read this time) supplied.
            priority_of = {(get_connection(session, r.connection_id).source_key, r.object_name): r.priority
                           for r in routes[domain]}
            for route in routes[domain]:
                connection = get_connection(session, route.connection_id)
                if scope is not None and not scope.covers(domain, connection.source_key, route.object_name):
                    continue
                obj = next((o for o in config.objects if o.source == connection.source_key
                            and o.object_name == route.object_name), None)
                if obj is None:
                    raise ValidationError(f"The mapping has no entry for {connection.name} · {route.object_name}.",
                                          hint="Add it in step 3 (objects[…].source / object).")
                report(len(read_objects) / total_routes * 0.7, f"Reading {connection.name} · {route.object_name}…")
                # An account run reads the object whole and keeps that account's records: no cursor applies.
                with phase("read"):
                    connection, connector, _since, read = _read_route(session, settings, workspace_id, route, obj,
                                                                      full or account_id is not None)
                api_calls += getattr(connector, "api_calls", 0)
                with phase("read"):
                    drifts.append(detect_field_drift(session, workspace_id, connection, connector, obj, read))
                with phase("transform"):
                    result = transform(read, obj, config, stages, crosswalk, time_zone=source_time_zone(connector))
                    if account_id is not None:
                        result = result.for_account(account_id)
                summary.read += read.height
                summary.filtered += result.filtered_out
                summary.excluded += result.excluded_by_policy
                chosen = (f"priority {route.priority} of {route_count}: {connection.name}" if route_count > 1
                          else f"only source: {connection.name}")
                canonical_parts.append(result.canonical.with_columns(pl.lit(route.priority).alias("_priority"),
                                                                     pl.lit(chosen).alias("chosen_by")))
                tombstones += result.tombstones["source_id"].to_list()
                if account_id is None:
                    with phase("transform"):
                        quarantine_frames.append(_with_payload(result.quarantine, read, domain))
                    summary.quarantined += result.quarantine["source_id"].n_unique()
                    read_objects.append((connection.source_key, route.object_name))
                    newest = read["source_modified_at"].max() if read.height else None
                    if newest is not None:
                        cursors.append((connection.id, route.object_name, newest))
            if not canonical_parts:
                continue
            with phase("compare"):
                # One source has no ties to break (its own duplicate IDs are already quarantined).
                incoming = canonical_parts[0] if len(canonical_parts) == 1 else (
                    pl.concat(canonical_parts, how="diagonal_relaxed").sort("_priority", maintain_order=True)
                    .unique("source_id", keep="first", maintain_order=True))
                del canonical_parts
                quarantined = pl.concat([q.select("source_id") for q in quarantine_frames])["source_id"] \
                    if quarantine_frames else pl.Series("source_id", [], pl.String)
                plans[domain] = _plan(engine, workspace_id, domain, incoming, tombstones, full and scope is None,
                                      summary, quarantined_ids=quarantined,
                                      priority_of=priority_of if scope is not None else None, account_id=account_id)
            summaries[domain] = summary
        report(0.8, "Comparing with stored data…")
        quarantine = pl.concat(quarantine_frames, how="vertical") if quarantine_frames else pl.DataFrame(
            schema={**QUARANTINE_SCHEMA, "domain": pl.String, "payload_json": pl.String})
        if dry_run:
            session.rollback()
        else:
            report(0.85, "Writing canonical data…")
            with phase("write"):
                for domain, plan in plans.items():
                    apply_changes(session, workspace_id, domain, run_id, upserts=plan.upserts,
                                  replaced_ids=plan.replaced_ids, tombstone_ids=plan.tombstone_ids)
                replace_quarantine(session, workspace_id, run_id, read_objects, quarantine)
                for connection_id, object_name, newest in cursors:
                    save_cursor(session, workspace_id, connection_id, object_name, newest, run_id)
                # An object routed to both domains is one set of fields: record it once.
                for drift in {(d.connection_id, d.obj.object_name): d for d in drifts}.values():
                    hold_field_drift(session, workspace_id, drift, run_id=run_id)
                audit.record(session, actor=actor, action="sync", entity="workspace", entity_id=workspace_id,
                             workspace_id=workspace_id, detail={"run": run_id, "mapping_version": mapping_version,
                                                                "full": full})
                session.commit()
    totals = {k: sum(getattr(s, k) for s in summaries.values())
              for k in ("read", "added", "changed", "tombstoned", "quarantined")}
    summary = SyncSummary(run_id, dry_run, mapping_version, summaries, api_calls, time.perf_counter() - started,
                          {name: round(seconds, 3) for name, seconds in phases.items()},
                          {d.where: d.new_names for d in drifts if d.new})
    report(1.0, "Done")
    lag = {} if dry_run else landing_lag([plan.upserts for plan in plans.values()], utcnow())
    finish_run(engine, run_id, status="succeeded", mapping_version=mapping_version, api_calls=api_calls,
               rows_read=totals["read"], rows_added=totals["added"], rows_changed=totals["changed"],
               rows_tombstoned=totals["tombstoned"], rows_quarantined=totals["quarantined"],
               summary_json=summary.to_json(), **lag)
    return summary


def landing_lag(landed: list[pl.DataFrame], committed_at) -> dict[str, float]:
    """Median and longest lag (seconds) from a record's CRM modification to its landing, over rows written."""
    stamps = pl.concat([f.select("source_modified_at") for f in landed if f.height], how="vertical_relaxed") \
        if any(f.height for f in landed) else pl.DataFrame(schema={"source_modified_at": pl.Datetime("us", "UTC")})
    lag = (pl.lit(committed_at) - pl.col("source_modified_at")).dt.total_milliseconds() / 1000
    row = stamps.drop_nulls().select(lag.median().alias("lag_median_seconds"), lag.max().alias("lag_max_seconds")).row(0)
    return {} if row[0] is None else {"lag_median_seconds": round(row[0], 1), "lag_max_seconds": round(row[1], 1)}


def _with_payload(quarantine: pl.DataFrame, read: pl.DataFrame, domain: Domain) -> pl.DataFrame:
    """Attach each quarantined row's raw source record (JSON) so a later run can process it again."""
    columns = [*QUARANTINE_SCHEMA, "domain", "payload_json"]
    if quarantine.is_empty():
        return quarantine.with_columns(pl.lit(domain.value).alias("domain"),
                                       pl.lit(None, pl.String).alias("payload_json")).select(columns)
    raw = read.filter(pl.col("source_id").is_in(quarantine["source_id"].unique().implode())).unique(
        "source_id", keep="first")
    payload = raw.select("source_id", pl.struct(pl.all()).struct.json_encode().alias("payload_json"))
    return quarantine.join(payload, on="source_id", how="left").with_columns(
        pl.lit(domain.value).alias("domain")).select(columns)


def _contribution(domain: Domain, rows: pl.DataFrame) -> dict[str, float]:
    """What rows add to the headline figures: weighted pipeline, or ARR per movement component."""
    if domain == Domain.PIPELINE:
        return {"weighted pipeline": float(rows["weighted_amount"].sum() or 0.0)}
    sums = dict(rows.group_by("movement_component").agg(pl.col("arr_delta_reporting").sum()).iter_rows())
    return {f"ARR {c.value}": float(sums.get(c.value) or 0.0) for c in MovementComponent}


@dataclass(frozen=True)
class DomainPlan:
    """What a run writes for one domain: rows to insert, stored records they replace, records to tombstone."""

    upserts: pl.DataFrame      # new and changed rows, in the canonical shape
    replaced_ids: list[str]    # source IDs already stored whose current version the upserts replace
    tombstone_ids: list[str]   # live source IDs deleted in the source (or gone from a full read)


def _plan(engine, workspace_id: int, domain: Domain, incoming: pl.DataFrame, tombstones: list[str], full: bool,
          summary: DomainSummary, *, quarantined_ids: pl.Series, priority_of: dict | None = None,
          account_id: int | None = None) -> DomainPlan:
    """Compare incoming rows with stored ones: what to add or replace, and which IDs to tombstone.

    An incremental run reads back only the stored rows it touches, so its cost follows the changes.
    `priority_of` ((source, object) -> priority) is given for scoped runs, which read only some routes.
    Set work is joins over ID columns, not Python sets, so a million-row full run stays columnar.
    """
    columns = _VALUE_COLUMNS[domain]
    touched = incoming["source_id"].to_list() + tombstones
    stored = stored_rows(engine, workspace_id, domain, None if full else touched,
                         columns=["source_id", "is_deleted", "account_id", "source", "source_object", *columns])
    tombstone_frame = pl.DataFrame({"source_id": tombstones}, schema={"source_id": pl.String})
    if account_id is not None:
        # A deletion seen while re-reading one account tombstones only that account's records.
        tombstone_frame = tombstone_frame.join(stored.filter(pl.col("account_id") == account_id).select("source_id"),
                                               on="source_id", how="semi")
    if priority_of:
        priorities = pl.DataFrame([(src, obj, p) for (src, obj), p in priority_of.items()], orient="row",
                                  schema={"source": pl.String, "source_object": pl.String, "_stored_priority": pl.Int64})
        held = stored.filter(~pl.col("is_deleted")).join(priorities, on=["source", "source_object"], how="left").select(
            "source_id", "_stored_priority")
        incoming = incoming.join(held, on="source_id", how="left").filter(
            pl.col("_stored_priority").is_null() | (pl.col("_priority") <= pl.col("_stored_priority"))
        ).drop("_stored_priority")
    incoming = incoming.drop("_priority")
    incoming_hash = incoming.select("source_id", pl.struct(columns).hash().alias("_h"))
    stored_hash = stored.select("source_id", "is_deleted", pl.struct(columns).hash().alias("_h_old"))
    compared = incoming_hash.join(stored_hash, on="source_id", how="left")
    is_new = pl.col("_h_old").is_null()
    is_changed = ~is_new & ((pl.col("_h") != pl.col("_h_old")) | pl.col("is_deleted"))
    counts = compared.select(is_new.sum().alias("new"), is_changed.sum().alias("changed")).row(0)
    summary.added, summary.changed = counts[0], counts[1]
    summary.unchanged = compared.height - counts[0] - counts[1]
    writing = compared.filter(is_new | is_changed)
    upserts = incoming.join(writing.select("source_id"), on="source_id", how="semi") \
        if writing.height < compared.height else incoming
    replaced_ids = writing.filter(~is_new)["source_id"].to_list()
    live = stored.filter(~pl.col("is_deleted")).select("source_id")
    gone = tombstone_frame
    if full:
        # A full read is the whole truth: live rows it no longer contains are gone from the source,
        # except rows whose new version is quarantined (the last good version stays until it is fixed).
        vanished = live.join(incoming.select("source_id"), on="source_id", how="anti").filter(
            ~pl.col("source_id").is_in(quarantined_ids.implode()))
        gone = pl.concat([gone, vanished])
    tombstone_ids = sorted(gone.join(live, on="source_id", how="semi")["source_id"].unique().to_list())
    summary.tombstoned = len(tombstone_ids)
    # Figures after = before - what replaced or removed rows contributed + what the new versions contribute.
    summary.totals_before = _totals(domain, canonical_totals(engine, workspace_id, domain))
    leaving_ids = pl.concat([pl.Series("source_id", tombstone_ids, pl.String), pl.Series("source_id", replaced_ids,
                                                                                          pl.String)])
    leaving = stored.filter(~pl.col("is_deleted") & pl.col("source_id").is_in(leaving_ids.implode()))
    removed, added = _contribution(domain, leaving), _contribution(domain, upserts)
    summary.totals_after = {k: summary.totals_before.get(k, 0.0) - removed.get(k, 0.0) + added.get(k, 0.0)
                            for k in added}
    return DomainPlan(upserts, replaced_ids, tombstone_ids)


def rollback_to(engine: Engine, workspace_id: int, run_id: int, *, actor: str) -> dict[Domain, int]:
    """Restore exactly the canonical data run `run_id` produced; recorded as a run and in the audit log."""
    run = start_run(engine, workspace_id, trigger="rollback", dry_run=False)
    try:
        with session_scope(engine) as session:
            restored = restore_as_of(session, workspace_id, run_id, run.id)
            audit.record(session, actor=actor, action="rollback", entity="workspace", entity_id=workspace_id,
                         workspace_id=workspace_id, detail={"to_run": run_id, "rows": {d.value: n for d, n in restored.items()}})
    except Exception as exc:
        finish_run(engine, run.id, status="failed", error=str(exc))
        raise
    finish_run(engine, run.id, status="succeeded", rows_read=sum(restored.values()))
    return restored
