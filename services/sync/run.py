"""A sync run: read every routed source, apply the mapping in force, and commit canonical data atomically.

Order of work, in four trips to storage:
1. what the run needs (connections, cursors, rows held in quarantine, known fields, the crosswalk, the figures);
2. then, without the database, read each routed object and transform it; let the higher-priority source win
   where two supply the same record;
3. the stored rows those reads touch, to compare with (`compare.plan_changes`, a pure function);
4. a dry run stops and reports; a real run writes canonical rows, tombstones, quarantine, cursors and held fields,
   archiving every version it replaces (for rollback), in ONE transaction: any failure leaves the previous data,
   cursors and quarantine exactly as they were.
The run record (lock, heartbeat, progress, outcome) is written apart, in small transactions of its own.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from typing import cast
from zoneinfo import ZoneInfo

import polars as pl
from sqlalchemy import Engine

from connectors.base import source_time_zone
from domain.canonical import CanonicalStage, Domain
from domain.config import Settings
from domain.errors import MassDeletionRefused, RevenueConnectorError, ValidationError
from domain.mapping_config import MappingConfig
from domain.mass_deletion import mass_deletion
from domain.roles import Access, Permission
from domain.transform import transform
from services.alerts import alert_after_run
from services.field_drift import FieldDrift, detect_field_drift
from services.sync.compare import ChangePlan, plan_changes, stored_columns
from services.sync.lifecycle import heartbeat, start_run
from services.sync.load import RunWrites, write_run
from services.sync.read import RouteToRead, empty_quarantine, read_route, with_payload
from services.sync.scope import SyncScope
from services.sync.stage_history import HistoryRead, read_stage_history
from services.sync.summary import (
    DomainSummary,
    SyncSummary,
    figures,
    figures_after,
    held_by_reason,
    landing_lag,
    missing_rates,
)
from storage import review
from storage.accounts import load_crosswalk
from storage.connections import get_connection
from storage.db import session_scope
from storage.mappings import latest_mapping
from storage.routing import load_routes
from storage.sync_runs import close_running_run, finish_run, finish_run_in, report_progress
from storage.tables import DomainRoute, utcnow
from storage.unit_of_work import UnitOfWork
from storage.workspaces import load_stage_set

log = logging.getLogger(__name__)

Progress = Callable[[float, str], None]


@dataclass(frozen=True)
class PreparedRun:
    """A sync that holds the workspace's run lock and has everything it needs to execute."""

    run_id: int
    workspace_id: int
    dry_run: bool
    mapping_version: int
    config: MappingConfig
    routes: dict[Domain, list[DomainRoute]]
    stages: list[CanonicalStage]
    scope: SyncScope | None = None


def begin_sync(
    engine: Engine, workspace_id: int, *, trigger: str, dry_run: bool = False, scope: SyncScope | None = None
) -> PreparedRun:
    """Check the setup and take the run lock. Raises ValidationError or SyncInProgress before anything runs."""
    with session_scope(engine) as session:
        mapping = latest_mapping(session, workspace_id)
        if mapping is None:
            raise ValidationError("There is no mapping yet.", hint="Import or approve a mapping in step 3 first.")
        version, config = mapping
        routes = load_routes(session, workspace_id)
        stages = load_stage_set(session, workspace_id)
        keys = {
            r.connection_id: get_connection(session, r.connection_id).source_key for rs in routes.values() for r in rs
        }
    if not any(routes.values()):
        raise ValidationError("No source is routed to pipeline or ARR actuals.", hint="Choose domains in step 2 first.")
    if (
        scope is not None
        and (scope.domain or scope.object_name)
        and not any(scope.covers(d, keys[r.connection_id], r.object_name) for d, rs in routes.items() for r in rs)
    ):
        raise ValidationError(
            f"Nothing routed matches {scope.describe()}.",
            hint="Routed objects: "
            + ", ".join(f"{keys[r.connection_id]}:{r.object_name}" for rs in routes.values() for r in rs)
            + ".",
        )
    run = start_run(
        engine, workspace_id, trigger=trigger, dry_run=dry_run, scope=scope.describe() if scope is not None else None
    )
    return PreparedRun(run.id, workspace_id, dry_run, version.version, config, routes, stages, scope)


def execute_sync(
    engine: Engine,
    settings: Settings,
    prepared: PreparedRun,
    *,
    actor: str,
    full: bool = False,
    allow_mass_delete: bool = False,
    progress: Progress | None = None,
) -> SyncSummary:
    """Do the work of a prepared run; any failure is recorded on the run and re-raised.

    `allow_mass_delete`: the caller was checked for Permission.FORCE_MASS_DELETE and asked to go ahead.
    """
    started = time.perf_counter()

    def report(fraction: float, text: str) -> None:
        report_progress(engine, prepared.run_id, fraction, text)
        if progress is not None:
            progress(fraction, text)

    try:
        with heartbeat(engine, prepared.run_id):
            summary = _run(
                engine,
                settings,
                prepared,
                actor=actor,
                full=full,
                allow_mass_delete=allow_mass_delete,
                report=report,
                started=started,
            )
    except Exception as exc:
        message = exc.user_message if isinstance(exc, RevenueConnectorError) else f"{type(exc).__name__}: {exc}"
        close_running_run(
            engine,
            prepared.run_id,
            status="failed",
            error=message,
            mapping_version=prepared.mapping_version,
            summary_json=exc.summary_json if isinstance(exc, MassDeletionRefused) else None,
        )
        log.error("sync run %s of workspace %s failed: %s", prepared.run_id, prepared.workspace_id, message)
        alert_after_run(engine, prepared.run_id, error=exc)
        raise
    alert_after_run(engine, prepared.run_id)
    return summary


def run_sync(
    engine: Engine,
    settings: Settings,
    workspace_id: int,
    *,
    trigger: str,
    access: Access,
    dry_run: bool = False,
    full: bool = False,
    allow_mass_delete: bool = False,
    progress: Progress | None = None,
    scope: SyncScope | None = None,
) -> SyncSummary:
    """Run (or dry-run) a sync of one workspace, or of a scope of it, and wait for it.

    Raises NotPermitted, SyncInProgress, ValidationError, MassDeletionRefused or a SourceError.
    """
    _check_access(access, allow_mass_delete)
    prepared = begin_sync(engine, workspace_id, trigger=trigger, dry_run=dry_run, scope=scope)
    return execute_sync(
        engine,
        settings,
        prepared,
        actor=access.actor,
        full=full,
        allow_mass_delete=allow_mass_delete,
        progress=progress,
    )


def _check_access(access: Access, allow_mass_delete: bool) -> None:
    access.require(Permission.RUN_SYNC)
    if allow_mass_delete:
        access.require(Permission.FORCE_MASS_DELETE)


def start_background_sync(
    engine: Engine,
    settings: Settings,
    workspace_id: int,
    *,
    trigger: str,
    access: Access,
    dry_run: bool = False,
    full: bool = False,
    allow_mass_delete: bool = False,
    scope: SyncScope | None = None,
) -> int:
    """Take the lock now (so a refusal is immediate), then run in a background thread; returns the run ID.

    Progress, the outcome and the summary are written to the run record, so any page or process can follow it.
    """
    _check_access(access, allow_mass_delete)
    prepared = begin_sync(engine, workspace_id, trigger=trigger, dry_run=dry_run, scope=scope)

    def work() -> None:
        try:
            execute_sync(engine, settings, prepared, actor=access.actor, full=full, allow_mass_delete=allow_mass_delete)
        except Exception:  # noqa: BLE001 - already recorded on the run by execute_sync
            return

    threading.Thread(target=work, daemon=True, name=f"sync-{prepared.run_id}").start()
    return prepared.run_id


@dataclass(frozen=True)
class RunContext:
    """What storage holds that a run needs, read in one trip before any source is asked."""

    routes: dict[Domain, list[RouteToRead]]
    crosswalk: pl.DataFrame
    figures_before: dict[Domain, dict[str, float]]
    live_rows: dict[Domain, int]


def contract_domains(prepared: PreparedRun) -> set[Domain]:
    """Domains with an object read as contracts (ARR derived from them): read and compared whole on every run."""
    return {o.domain for o in prepared.config.objects if o.from_contracts}


def _context(uow: UnitOfWork, prepared: PreparedRun, *, full: bool) -> RunContext:
    scope, workspace_id = prepared.scope, prepared.workspace_id
    # An account run reads the object whole and keeps that account's records: no cursor applies.
    incremental = not full and (scope is None or scope.account_id is None)
    routes: dict[Domain, list[RouteToRead]] = {}
    for domain in Domain:
        # Movements derived from contracts depend on every contract of an account: such a domain is read whole.
        read_whole = domain in contract_domains(prepared)
        for route in prepared.routes[domain]:
            connection = get_connection(uow.session, route.connection_id)
            obj = next(
                (
                    o
                    for o in prepared.config.objects
                    if o.source == connection.source_key and o.object_name == route.object_name
                ),
                None,
            )
            if obj is None:
                raise ValidationError(
                    f"The mapping has no entry for {connection.name} · {route.object_name}.",
                    hint="Add it in step 3 (objects[…].source / object).",
                )
            since = (
                uow.cursors.cursor_of(workspace_id, connection.id, route.object_name)
                if incremental and not read_whole
                else None
            )
            fingerprint = (
                uow.cursors.fingerprint_of(workspace_id, connection.id, route.object_name)
                if incremental and not read_whole
                else None
            )
            # Rows in quarantine are re-fed to any read that will not hold them again (incremental, or a skipped file).
            held = (
                uow.quarantine.open_payloads(workspace_id, connection.source_key, route.object_name)
                if since is not None or fingerprint is not None
                else []
            )
            known = review.known_source_fields(uow.session, workspace_id, connection.id, route.object_name)
            held_ids = frozenset(uow.quarantine.open_ids(workspace_id, connection.source_key, route.object_name))
            history_since = (
                uow.stage_history.newest(workspace_id, connection.source_key)
                if domain == Domain.PIPELINE and not full
                else None
            )
            routes.setdefault(domain, []).append(
                RouteToRead(
                    domain, connection, obj, route.priority, since, held, known, held_ids, fingerprint, history_since
                )
            )
    crosswalk = load_crosswalk(uow.session, workspace_id).select("source_account_id", "account_id")
    sums = {domain: uow.canonical.sums(workspace_id, domain) for domain in routes}
    before = {domain: figures(domain, sums[domain], prepared.stages) for domain in routes}
    live = {domain: int(sums[domain]["rows"].sum()) for domain in routes}
    return RunContext(routes, crosswalk, before, live)


def _run(
    engine: Engine,
    settings: Settings,
    prepared: PreparedRun,
    *,
    actor: str,
    full: bool,
    allow_mass_delete: bool,
    report: Progress,
    started: float,
) -> SyncSummary:
    workspace_id, config, stages, scope = prepared.workspace_id, prepared.config, prepared.stages, prepared.scope
    account_id = scope.account_id if scope is not None else None
    phases: dict[str, float] = {}

    @contextmanager
    def phase(name: str) -> Iterator[None]:
        began = time.perf_counter()
        try:
            yield
        finally:
            phases[name] = phases.get(name, 0.0) + time.perf_counter() - began

    with UnitOfWork(engine) as uow:  # trip 1: what the run needs
        context = _context(uow, prepared, full=full)
    summaries: dict[Domain, DomainSummary] = {}
    incoming: dict[Domain, tuple[pl.DataFrame, list[str], dict[tuple[str, str], int]]] = {}
    drifts: list[FieldDrift] = []
    quarantine_frames: list[pl.DataFrame] = []
    read_objects: list[tuple[str, str]] = []
    cursors: list[tuple[int, str, datetime | None, str | None]] = []
    histories: list[HistoryRead] = []
    api_calls, done = 0, 0
    total_routes = max(sum(len(r) for r in context.routes.values()), 1)
    for domain, routes in context.routes.items():  # read and transform: no database
        summary = DomainSummary(totals_before=context.figures_before[domain])
        parts, tombstones = [], []
        held_here: list[pl.DataFrame] = []
        # Which route each stored row came from, so a scoped run never lets a lower-priority source
        # overwrite a record that a higher-priority one (not read this time) supplied.
        priority_of = {(r.connection.source_key, r.obj.object_name): r.priority for r in routes}
        for route in routes:
            connection = route.connection
            if scope is not None and not scope.covers(domain, connection.source_key, route.obj.object_name):
                continue
            report(done / total_routes * 0.7, f"Reading {connection.name} · {route.obj.object_name}…")
            done += 1
            with phase("read"):
                got = read_route(settings, route)
                connector, read = got.connector, got.rows
                drifts.append(detect_field_drift(route.known_fields, connection, connector, route.obj, read))
                # The stages each deal went through, for the stage calibration (a real run of the whole pipeline).
                if domain == Domain.PIPELINE and account_id is None and not prepared.dry_run:
                    history, line = read_stage_history(
                        connector, connection.source_key, route.obj.object_name, route.history_since
                    )
                    histories += [history] if history is not None else []
                    summary.stage_history += [line] if line else []
                api_calls += getattr(connector, "api_calls", 0)
            with phase("transform"):
                zone = source_time_zone(connector)
                result = transform(
                    read,
                    route.obj,
                    config,
                    stages,
                    context.crosswalk,
                    time_zone=zone,
                    as_of=datetime.now(ZoneInfo(zone)).date(),
                )
                if account_id is not None:
                    result = result.for_account(account_id)
            summary.read += read.height
            summary.filtered += result.filtered_out
            summary.excluded += result.excluded_by_policy
            chosen = (
                f"priority {route.priority} of {len(routes)}: {connection.name}"
                if len(routes) > 1
                else f"only source: {connection.name}"
            )
            parts.append(
                result.canonical.with_columns(
                    pl.lit(route.priority).alias("_priority"), pl.lit(chosen).alias("chosen_by")
                )
            )
            tombstones += result.tombstones["source_id"].to_list()
            if account_id is None:
                with phase("transform"):
                    quarantine_frames.append(with_payload(result.quarantine, read, domain))
                held_here.append(result.quarantine)
                held_ids = pl.Series(sorted(route.held_ids), dtype=pl.String)
                quarantined_ids = result.quarantine["source_id"].unique()
                summary.quarantined += quarantined_ids.len()
                summary.newly_quarantined += quarantined_ids.filter(~quarantined_ids.is_in(held_ids.implode())).len()
                read_objects.append((connection.source_key, route.obj.object_name))
                newest = cast(datetime | None, read["source_modified_at"].max()) if read.height else None
                if newest is not None or got.fingerprint is not None:
                    cursors.append((connection.id, route.obj.object_name, newest, got.fingerprint))
                if got.unchanged:
                    summary.unchanged_files.append(route.obj.object_name)
            # The raw read and its transform result are done with: free them before the next read (a million raw
            # rows stayed alive through the next object's read and the whole write otherwise).
            del got, read, connector, result
        if held_here:
            summary.held = held_by_reason(pl.concat(held_here))
            summary.missing_rates = missing_rates(domain, pl.concat(held_here))
        if not parts:
            continue
        # One source has no ties to break (its own duplicate IDs are already quarantined).
        rows = (
            parts[0]
            if len(parts) == 1
            else (
                pl.concat(parts, how="diagonal_relaxed")
                .sort("_priority", maintain_order=True)
                .unique("source_id", keep="first", maintain_order=True)
            )
        )
        incoming[domain] = (rows, tombstones, priority_of)
        summaries[domain] = summary
    report(0.8, "Comparing with stored data…")
    quarantined = (
        pl.concat([q.select("source_id") for q in quarantine_frames])["source_id"]
        if quarantine_frames
        else pl.Series("source_id", [], pl.String)
    )
    # A domain read as contracts is compared whole (a movement no longer derived is gone), unless the run is
    # scoped: then only what it read changes.
    whole_domains = {d for d in incoming if scope is None and (full or d in contract_domains(prepared))}
    with phase("compare"), UnitOfWork(engine) as uow:  # trip 2: the stored rows the reads touch
        stored = {
            domain: uow.canonical.stored(
                workspace_id,
                domain,
                None if domain in whole_domains else rows["source_id"].to_list() + tombstones,
                columns=stored_columns(domain),
            )
            for domain, (rows, tombstones, _) in incoming.items()
        }
    plans: dict[Domain, ChangePlan] = {}
    with phase("compare"):
        for domain, (rows, tombstones, priority_of) in incoming.items():
            plan = plans[domain] = plan_changes(
                domain,
                rows,
                stored[domain],
                tombstones,
                full=domain in whole_domains,
                quarantined_ids=quarantined,
                priority_of=priority_of if scope is not None else None,
                account_id=account_id,
            )
            summary = summaries[domain]
            summary.added, summary.changed, summary.unchanged = plan.added, plan.changed, plan.unchanged
            summary.tombstoned = len(plan.tombstone_ids)
            summary.totals_after = figures_after(
                summary.totals_before, figures(domain, plan.leaving, stages), figures(domain, plan.upserts, stages)
            )
        del stored, incoming
    deletions = [
        found
        for domain, plan in plans.items()
        if (
            found := mass_deletion(
                domain,
                live=context.live_rows[domain],
                removing=len(plan.tombstone_ids),
                read=summaries[domain].read,
                share=settings.mass_delete_share,
            )
        )
    ]
    totals = {
        k: sum(getattr(s, k) for s in summaries.values())
        for k in ("read", "added", "changed", "tombstoned", "quarantined", "newly_quarantined")
    }
    outcome = SyncSummary(
        prepared.run_id,
        prepared.dry_run,
        prepared.mapping_version,
        summaries,
        api_calls,
        time.perf_counter() - started,
        {name: round(seconds, 3) for name, seconds in phases.items()},
        {d.where: d.new_names for d in drifts if d.new},
        [found.describe() for found in deletions],
        full,
        config.reporting_currency,
    )
    # A dry run writes nothing, so it reports the deletion (summary.mass_deletions) instead of stopping.
    if deletions and not allow_mass_delete and not prepared.dry_run:
        raise MassDeletionRefused(
            "The sync stopped before writing anything: " + "; ".join(found.describe() for found in deletions) + ".",
            hint="If the source really lost these records, an admin can run it again allowing the removal "
            "(Sync page, or `sync --allow-mass-delete`). Otherwise fix the export or the source and sync again.",
            summary_json=outcome.to_json(),
        )
    quarantine = pl.concat(quarantine_frames, how="vertical") if quarantine_frames else empty_quarantine()
    lag = {} if prepared.dry_run else landing_lag([plan.upserts for plan in plans.values()], utcnow())
    outcome_fields = {
        "status": "succeeded",
        "progress": 1.0,
        "progress_text": "Done",
        "mapping_version": prepared.mapping_version,
        "api_calls": api_calls,
        "rows_read": totals["read"],
        "rows_added": totals["added"],
        "rows_changed": totals["changed"],
        "rows_tombstoned": totals["tombstoned"],
        "rows_quarantined": totals["quarantined"],
        "rows_newly_quarantined": totals["newly_quarantined"],
        **lag,
    }
    if not prepared.dry_run:
        report(0.85, "Writing canonical data…")
        with phase("write"), UnitOfWork(engine) as uow:  # trip 3: every write, one transaction
            write_run(
                uow,
                RunWrites(
                    workspace_id,
                    prepared.run_id,
                    plans,
                    quarantine,
                    read_objects,
                    cursors,
                    drifts,
                    actor=actor,
                    mapping_version=prepared.mapping_version,
                    full=full,
                    forced_deletions=outcome.mass_deletions if allow_mass_delete else [],
                    histories=histories,
                ),
            )
            # The outcome commits with the data: a process killed just after this commit leaves a run that
            # says "succeeded", one killed before it leaves no data and a run found dead later.
            finish_run_in(uow.session, prepared.run_id, summary_json=outcome.to_json(), **outcome_fields)
            uow.commit()
    outcome.seconds = time.perf_counter() - started
    outcome.phase_seconds = {name: round(seconds, 3) for name, seconds in phases.items()}
    report(1.0, "Done")
    # trip 4: the final timings (and a dry run's whole outcome, since it wrote nothing)
    finish_run(
        engine,
        prepared.run_id,
        summary_json=outcome.to_json(),
        **(outcome_fields if prepared.dry_run else {}),
    )
    return outcome
