"""Benchmarks that print figures (speed goals live here, not in timed tests).

`python -m core bench extract --records N` reads N opportunities/deals from the local sandboxes
through the real client libraries: Salesforce REST (SOQL paging), Salesforce Bulk API 2.0, and
HubSpot (object pages with associations). The sandboxes run in this process, so the figures include
the emulators' own work and are a floor for what the connectors do, not a forecast of a real org.
"""

from __future__ import annotations

import resource
import time
from collections.abc import Callable
from pathlib import Path

from domain.roles import system_access


def _timed(label: str, read: Callable[[], object], records: int, calls: Callable[[], int]) -> dict[str, float]:
    started = time.perf_counter()
    frame = read()
    seconds = time.perf_counter() - started
    assert getattr(frame, "height", records) == records, f"{label}: read {getattr(frame, 'height', '?')} of {records}"
    rate = records / seconds if seconds else float("inf")
    print(f"{label:<28} {records:>9,} records  {seconds:7.2f} s  {rate:>10,.0f} records/s  {calls():>5} API calls")
    return {"seconds": seconds, "records_per_second": rate}


def bench_extract(records: int, seed: int = 11) -> dict[str, dict[str, float]]:
    """Time full extracts of `records` opportunities through each path; prints one line per path."""
    from connectors.hubspot import HubSpotConnector
    from connectors.salesforce import SalesforceConnector
    from sandbox.demo_data import DemoSpec, generate
    from sandbox.demo_org import demo_hubspot_portal, demo_salesforce_org
    from sandbox.hubspot import HubSpotSandbox
    from sandbox.salesforce import SalesforceSandbox

    data = generate(DemoSpec(seed=seed, accounts=max(100, records // 20), opportunities=records, movements=100))
    results = {}
    org = demo_salesforce_org(data=data)
    login = {"username": org.username, "password": org.password, "security_token": org.security_token}
    with SalesforceSandbox(org) as sandbox:
        rest = SalesforceConnector({"api_base_url": sandbox.url, "bulk_threshold": records + 1}, login, source_key="sf")
        results["salesforce_rest"] = _timed(
            "Salesforce REST (query)", lambda: rest.read("Opportunity"), records, lambda: rest.api_calls
        )
        bulk = SalesforceConnector({"api_base_url": sandbox.url, "bulk_threshold": 0}, login, source_key="sf")
        results["salesforce_bulk2"] = _timed(
            "Salesforce Bulk API 2.0", lambda: bulk.read("Opportunity"), records, lambda: bulk.api_calls
        )
    portal = demo_hubspot_portal(data=data)
    with HubSpotSandbox(portal) as sandbox:
        hubspot = HubSpotConnector({"host": sandbox.url}, {"access_token": portal.token}, source_key="hs")
        results["hubspot"] = _timed(
            "HubSpot (objects API)", lambda: hubspot.read("deals"), records, lambda: hubspot.api_calls
        )
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"peak_rss_mib={peak:.0f}")
    return results


def _peak_rss_mib() -> float:
    """Peak resident memory of this process since start, or since the last _reset_peak_rss()."""
    try:
        with open("/proc/self/status") as status:
            for line in status:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _reset_peak_rss() -> bool:
    """Start the peak-memory count afresh (Linux: clear_refs 5), so the data generator is not counted."""
    try:
        with open("/proc/self/clear_refs", "w") as handle:
            handle.write("5")
        return True
    except OSError:
        return False


def bench_sync(
    opportunities: int,
    movements: int,
    seed: int = 11,
    database: str | None = None,
    source: str = "file",
    same_change_every: int | None = None,
) -> dict[str, float]:
    """Our full sync of generated CRM data, then an incremental re-sync after 1% of the rows changed, with the time
    of each phase. `source` is 'file' (a CSV export; baseline: polars reads it and the database's own bulk path
    writes the rows the sync stored) or 'salesforce' (the local Salesforce sandbox through the real client; an
    incremental read asks only for records modified since the cursor). SQLite in a scratch folder by default;
    `database` (a DATABASE_URL) runs it on PostgreSQL, in a scratch database there. With `same_change_every`, a
    third run changes every such row only (as many rows as 1% of a smaller workspace), so its time can be set
    against that smaller workspace's 1% run: the same changes, a bigger workspace. Prints the figures."""
    from storage.bulk_baseline import scratch_database

    with scratch_database(database or "sqlite://") as url:
        return _bench_sync(opportunities, movements, seed, None if database is None else url, source, same_change_every)


def _workspace(engine, settings, connection_args: dict, routes: dict, mapping: str, accounts: str) -> int:
    """A bench workspace on one connection (named so its source key is the one the mapping file uses): routed,
    mapped and reconciled. Returns its id."""
    from domain.routing import RouteChoice
    from services.reconcile import reconcile_accounts
    from storage.connections import create_connection
    from storage.db import session_scope
    from storage.mappings import save_mapping
    from storage.routing import save_routes
    from storage.secret_box import secret_box
    from storage.workspaces import create_workspace

    with session_scope(engine) as session:
        workspace = create_workspace(session, "Bench", actor="bench")
        connection = create_connection(
            session, workspace.id, box=secret_box(settings), actor="bench", **connection_args
        )
        for domain, object_name in routes.items():
            save_routes(session, workspace.id, domain, [RouteChoice(connection.id, object_name)], actor="bench")
        save_mapping(session, workspace.id, mapping, actor="bench")
        reconcile_accounts(session, connection.id, accounts, settings, access=system_access("bench"))
        return workspace.id


def _change_rows(frame, amount: str, stamp_columns: tuple[str, ...], every: int = 100, day: int = 22):
    """Every `every`-th row changes (1% by default): a new amount and a newer modification stamp (November `day`)."""
    import polars as pl

    touched = pl.int_range(pl.len()) % every == 7 % every
    return frame.with_columns(
        pl.when(touched)
        .then((pl.col(amount).cast(pl.Float64, strict=False) * 1.01).round(2).cast(frame.schema[amount]))
        .otherwise(pl.col(amount))
        .alias(amount),
        *(
            pl.when(touched).then(pl.lit(f"2026-11-{day:02d}T08:00:00.000+0000")).otherwise(pl.col(c)).alias(c)
            for c in stamp_columns
        ),
    )


def _bench_sync(
    opportunities: int, movements: int, seed: int, database: str | None, source: str, same_change_every: int | None
) -> dict[str, float]:
    import shutil
    import tempfile

    work = Path(tempfile.mkdtemp(prefix="rc-bench-"))
    try:
        return _bench_sync_in(work, opportunities, movements, seed, database, source, same_change_every)
    finally:
        shutil.rmtree(work, ignore_errors=True)  # a million-row run leaves gigabytes of CSV and SQLite behind


def _bench_sync_in(
    work: Path,
    opportunities: int,
    movements: int,
    seed: int,
    database: str | None,
    source: str,
    same_change_every: int | None = None,
) -> dict[str, float]:
    import gc
    from contextlib import ExitStack

    import polars as pl

    from domain.canonical import Domain
    from domain.config import PROJECT_ROOT, load_settings
    from domain.source_kinds import SourceKind
    from sandbox.demo_data import DemoSpec, generate, write_demo
    from services.startup import start
    from services.sync import run_sync
    from storage.bulk_baseline import native_write_seconds, stored_canonical_rows

    spec = DemoSpec(seed=seed, accounts=max(100, opportunities // 50), opportunities=opportunities, movements=movements)
    started = time.perf_counter()
    with ExitStack() as stack:
        if source == "salesforce":
            from sandbox.demo_org import demo_salesforce_org
            from sandbox.salesforce import SalesforceSandbox

            org = demo_salesforce_org(data=generate(spec))
            sandbox = stack.enter_context(SalesforceSandbox(org))
        else:
            export = work / "export"
            write_demo(spec, export)
        print(
            f"generated {opportunities:,} opportunities and {movements:,} movements ({source}) in "
            f"{time.perf_counter() - started:.1f} s (peak memory {_peak_rss_mib():,.0f} MiB)"
        )
        gc.collect()
        if _reset_peak_rss():
            print(
                "peak memory is counted from the full sync on: the generator, the baseline and the setup are not part of it"
            )

        baseline = 0.0
        if source == "file":
            started = time.perf_counter()
            for name in ("opportunities", "arr_movements"):
                pl.read_csv(export / f"{name}.csv").write_parquet(work / f"{name}.parquet")
            baseline = time.perf_counter() - started
            print(f"baseline (polars read CSV -> Parquet): {baseline:.2f} s")

        data = work / "data"
        data.mkdir()
        env = {"REVENUE_CONNECTOR_DATA": str(data), "REVENUE_CONNECTOR_DEMO": "0"}
        settings = load_settings({**env, "DATABASE_URL": database} if database else env)
        engine = start(settings)
        where = "SQLite" if settings.uses_sqlite else engine.dialect.name
        if source == "salesforce":
            workspace_id = _workspace(
                engine,
                settings,
                {
                    "name": "Demo CRM (Salesforce sandbox)",
                    "kind": SourceKind.SALESFORCE,
                    "settings": {"auth": "password", "api_base_url": sandbox.url, "username": org.username},
                    "secrets": {"password": org.password, "security_token": org.security_token},
                },
                {Domain.PIPELINE: "Opportunity", Domain.ARR_ACTUALS: "ARR_Movement__c"},
                (PROJECT_ROOT / "docs" / "demo-mapping.yaml").read_text(),
                "Account",
            )
        else:
            workspace_id = _workspace(
                engine,
                settings,
                {"name": "demo", "kind": SourceKind.FILE, "settings": {"path": str(export)}, "secrets": None},
                {Domain.PIPELINE: "opportunities", Domain.ARR_ACTUALS: "arr_movements"},
                (PROJECT_ROOT / "docs" / "demo-export-mapping.yaml").read_text(),
                "accounts",
            )

        def emulator_seconds() -> float:
            return sandbox.busy_seconds if source == "salesforce" else 0.0

        # The sync's own peak: generating, the read baseline and the workspace setup are not part of it.
        gc.collect()
        _reset_peak_rss()
        started, busy = time.perf_counter(), emulator_seconds()
        full = run_sync(engine, settings, workspace_id, trigger="bench", access=system_access("bench"), full=True)
        full_seconds = time.perf_counter() - started
        full_emulator = emulator_seconds() - busy
        sync_peak = _peak_rss_mib()
        print(f"full sync from {source} into {where}: {full_seconds:.2f} s  ({full.phases()})")
        for line in full.lines():
            print(f"  {line}")

        def change_source(every: int, day: int) -> None:
            """Every `every`-th record of each object gets a new amount and a modification stamp of that day."""
            if source == "salesforce":
                for name, amount in (("Opportunity", "Amount"), ("ARR_Movement__c", "ARR_Change__c")):
                    records = sandbox.records(name)
                    changed = _change_rows(
                        pl.DataFrame(records, infer_schema_length=None),
                        amount,
                        ("LastModifiedDate", "SystemModstamp"),
                        every,
                        day,
                    )
                    records[:] = changed.to_dicts()
                sandbox.reindex()
            else:
                for name, amount in (("opportunities", "Amount"), ("arr_movements", "ARRChange")):
                    frame = pl.read_csv(export / f"{name}.csv", infer_schema=False)
                    _change_rows(frame, amount, ("LastModifiedDate",), every, day).write_csv(export / f"{name}.csv")

        def incremental_run(label: str) -> tuple[float, float]:
            """An incremental run's seconds and the sandbox's share of them, printed with its summary."""
            # The run's own peak: what the edit before it let go is handed back first (core/memory.py).
            gc.collect()
            time.sleep(0.5)
            _reset_peak_rss()
            started, busy = time.perf_counter(), emulator_seconds()
            outcome = run_sync(engine, settings, workspace_id, trigger="bench", access=system_access("bench"))
            seconds, emulator = time.perf_counter() - started, emulator_seconds() - busy
            print(f"incremental sync after {label}: {seconds:.2f} s  ({outcome.phases()})")
            if source == "salesforce":
                # The sandbox answers in this process and scans every record for a SystemModstamp filter that a
                # real org serves from an index: its own seconds are shown apart, and the ratio without them.
                print(
                    f"of which the Salesforce sandbox answering: full {full_emulator:.2f} s, incremental "
                    f"{emulator:.2f} s; incremental / full without it = "
                    f"{(seconds - emulator) / (full_seconds - full_emulator):.3f}"
                )
            for line in outcome.lines():
                print(f"  {line}")
            return seconds, emulator

        change_source(100, 22)
        incremental_seconds, incremental_emulator = incremental_run("1% changed")
        incremental_peak = _peak_rss_mib()
        same_change_seconds = float("nan")
        if same_change_every:
            change_source(same_change_every, 23)
            same_change_seconds, _ = incremental_run(
                f"every {same_change_every:,}th record changed (as many as 1% of a smaller workspace)"
            )
        # Last, as it reads every stored row back: the same rows (as many as after the full run) written by the
        # database's own bulk path.
        native = native_write_seconds(engine, stored_canonical_rows(engine, workspace_id))
        path = "COPY" if engine.dialect.name == "postgresql" else "ADBC"
        print(
            f"baseline write ({path} of the same stored rows into tables with the same unique key): {native:.2f} s; "
            f"full sync / ({'polars read + ' if baseline else ''}{path} write) = {full_seconds / (baseline + native):.2f}"
        )
        figures = {
            "ratio": full_seconds / baseline if baseline else float("nan"),
            "native_ratio": full_seconds / (baseline + native),
            "peak_rss_mib": sync_peak,
            "incremental_peak_rss_mib": incremental_peak,
            "incremental_ratio": incremental_seconds / full_seconds,
            "incremental_seconds": incremental_seconds,
            "same_change_seconds": same_change_seconds,
            "incremental_ratio_without_emulator": (incremental_seconds - incremental_emulator)
            / (full_seconds - full_emulator),
        }
        print(
            f"source={source} database={where} ratio={figures['ratio']:.2f} native_ratio={figures['native_ratio']:.2f} "
            f"peak_rss_mib={figures['peak_rss_mib']:.0f} (incremental {figures['incremental_peak_rss_mib']:.0f}) "
            f"incremental_ratio={figures['incremental_ratio']:.3f} "
            f"incremental_seconds={incremental_seconds:.2f}"
        )
        engine.dispose()
        return figures


def bench_contracts(contracts: int, seed: int = 22) -> dict[str, float]:
    """Seconds to derive ARR movements from `contracts` generated contracts over 36 months (renewals, upgrades,
    gaps, three currencies); prints contracts, movements and seconds."""
    from datetime import date

    import numpy as np
    import polars as pl

    from domain.contract_arr import CONTRACT_COLUMNS, derive_movements, end_from_term

    rng = np.random.default_rng(seed)
    accounts = max(1, contracts // 4)
    start = date(2023, 1, 1)
    offsets = rng.integers(0, 36 * 30, contracts)
    terms = rng.choice([12, 12, 12, 24, 36, 6], contracts)
    annual = rng.integers(1, 2_000, contracts) * 500.0
    currency = rng.choice(["USD", "EUR", "GBP"], contracts, p=[0.6, 0.3, 0.1])
    rate = np.where(currency == "EUR", 1.08, np.where(currency == "GBP", 1.27, 1.0))
    frame = (
        pl.DataFrame(
            {
                "contract_id": [f"K{i}" for i in range(contracts)],
                "account_id": rng.integers(1, accounts + 1, contracts),
                "start_date": pl.Series([start] * contracts).dt.offset_by(pl.Series([f"{d}d" for d in offsets])),
                "term": terms,
                "annual_amount": annual,
                "currency": currency,
                "annual_amount_reporting": np.round(annual * rate, 2),
            }
        )
        .with_columns(end_from_term(pl.col("start_date"), pl.col("term")).alias("end_date"))
        .select(list(CONTRACT_COLUMNS))
        .cast(CONTRACT_COLUMNS)
    )
    started = time.perf_counter()
    movements = derive_movements(frame)
    seconds = time.perf_counter() - started
    print(
        f"contracts {contracts:,} over 36 months ({accounts:,} accounts): {movements.height:,} ARR movements "
        f"derived in {seconds:.2f} s (peak memory {_peak_rss_mib():,.0f} MiB)"
    )
    return {"seconds": seconds, "movements": movements.height}


def bench_accounts(accounts: int, seed: int = 5) -> dict[str, float]:
    """Time duplicate suggestions over `accounts` synthetic accounts; prints seconds, pairs compared, peak memory
    and how many planted duplicates were found."""
    from domain.suggestions.accounts import suggest_duplicates
    from sandbox.account_samples import synthetic_accounts

    frame, planted = synthetic_accounts(accounts, seed=seed)
    started = time.perf_counter()
    run = suggest_duplicates(frame)
    seconds = time.perf_counter() - started
    hits = run.pairs.join(planted, on=["account_id_a", "account_id_b"], how="semi").height
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(
        f"accounts {accounts:,}: {seconds:.2f} s, {run.pairs_compared:,} pairs compared "
        f"({run.pairs_compared / max(accounts, 1):.1f} per account, all pairs would be "
        f"{accounts * (accounts - 1) // 2:,}), {run.pairs.height:,} pairs suggested, "
        f"{hits:,} of {planted.height:,} planted duplicates found, peak memory {peak:,.0f} MiB"
    )
    return {
        "seconds": seconds,
        "pairs_compared": run.pairs_compared,
        "peak_mib": peak,
        "suggested": run.pairs.height,
        "planted_found": hits,
    }


def bench_dashboard(opportunities: int, seed: int = 3) -> dict[str, float]:
    """Seconds per Revenue-page aggregation on `opportunities` canonical deals (plus half as many movements).

    The rows are generated straight in canonical form: the page reruns on frames already read (and
    cached per data version), so what is timed is exactly the work our code does on each rerun.
    """
    from datetime import date, timedelta

    import numpy as np
    import polars as pl

    from domain.insights.arr_actuals import arr_bridge, arr_by_month, bridge_rows
    from domain.insights.data import FX_SCHEMA, RevenueFilters, shape_revenue_data
    from domain.insights.movement_checks import movement_exceptions
    from domain.insights.plan import plan_vs_actual
    from domain.insights.reconciliation import pipeline_arr_reconciliation, reconciliation_summary
    from domain.insights.revenue_view import filter_options, revenue_view
    from domain.insights.weighted_pipeline import open_pipeline_rows, weighted_pipeline_by_month
    from domain.roles import Access, Role, local_admin
    from domain.stage_set import default_stage_set

    rng = np.random.default_rng(seed)
    stages = tuple(default_stage_set())
    accounts, movements = max(1, opportunities // 10), max(1, opportunities // 2)
    today = date(2026, 11, 1)
    stage_keys = np.array([s.key for s in stages])
    weights = np.array([s.weight for s in stages])
    stage_no = rng.integers(0, len(stages), opportunities)
    amount = np.round(np.exp(rng.normal(10.3, 0.9, opportunities)), -2)
    currency = np.where(rng.random(opportunities) < 0.2, "EUR", "USD")
    rate = np.where(currency == "EUR", 1.1, 1.0)
    account_id = rng.integers(1, accounts + 1, opportunities)
    opps = pl.DataFrame(
        {
            "source": "crm",
            "source_id": [f"006{i:012d}" for i in range(opportunities)],
            "opportunity": [f"Deal {i}" for i in range(opportunities)],
            "account_id": account_id,
            "account": [f"Account {i}" for i in account_id],
            "segment": np.array(["Enterprise", "Mid-Market", "SMB"])[account_id % 3],
            "owner": np.array([f"owner{i}@example.com" for i in range(40)])[rng.integers(0, 40, opportunities)],
            "pipeline": np.where(rng.random(opportunities) < 0.35, "Renewals", "New Business"),
            "stage": stage_keys[stage_no],
            "weight": weights[stage_no],
            "amount": amount,
            "currency": currency,
            "amount_reporting": np.round(amount * rate, 2),
            "weighted_amount": np.round(amount * rate * weights[stage_no], 2),
            "expected_close": [today + timedelta(days=int(d)) for d in rng.integers(-540, 270, opportunities)],
            "run_id": 1,
        }
    )
    m_account = rng.integers(1, accounts + 1, movements)
    component = np.array(["new", "expansion", "reactivation", "contraction", "churn"])[
        rng.choice(5, movements, p=[0.3, 0.4, 0.05, 0.15, 0.1])
    ]
    delta = np.round(np.exp(rng.normal(9.5, 0.8, movements)), -1) * np.where(
        np.isin(component, ["contraction", "churn"]), -1, 1
    )
    m_currency = np.where(m_account % 5 == 0, "EUR", "USD")
    moves = pl.DataFrame(
        {
            "source": "crm",
            "source_id": [f"a0X{i:012d}" for i in range(movements)],
            "account_id": m_account,
            "account": [f"Account {i}" for i in m_account],
            "effective_date": [today - timedelta(days=int(d)) for d in rng.integers(0, 900, movements)],
            "movement_component": component,
            "arr_delta": delta,
            "currency": m_currency,
            "arr_delta_reporting": np.round(delta * np.where(m_currency == "EUR", 1.1, 1.0), 2),
            "run_id": 1,
        }
    )
    fx = pl.DataFrame(
        {"currency": ["EUR", "EUR"], "valid_from": [date(2024, 1, 1), date(2026, 1, 1)], "rate": [1.08, 1.12]},
        schema=FX_SCHEMA,
    )
    months = pl.date_range(date(2026, 1, 1), date(2026, 12, 1), "1mo", eager=True)
    plan = pl.DataFrame({"month": months, "segment": "", "planned_ending_arr": 5e8, "planned_net_new_arr": 1e7})

    started = time.perf_counter()
    data = shape_revenue_data(opps, moves, fx, "USD", stages, plan)
    print(
        f"prepare (once per sync, cached) {time.perf_counter() - started:8.3f} s   "
        f"{opportunities:,} opportunities, {movements:,} movements, {accounts:,} accounts"
    )
    filters, start, end = (
        RevenueFilters(start=date(2025, 11, 1), end=date(2027, 4, 1)),
        date(2026, 1, 1),
        date(2026, 10, 1),
    )
    steps: list[tuple[str, Callable[[], object]]] = [
        ("filter options", lambda: filter_options(data)),
        ("weighted pipeline by month", lambda: weighted_pipeline_by_month(data, filters)),
        ("ARR by month", lambda: arr_by_month(data, filters)),
        ("ARR bridge", lambda: arr_bridge(data, filters, start, end)),
        ("plan vs actual", lambda: plan_vs_actual(data, filters)),
        ("reconciliation", lambda: reconciliation_summary(pipeline_arr_reconciliation(data, filters))),
        ("pipeline drill-down", lambda: open_pipeline_rows(data, filters).head(1000)),
        ("bridge drill-down", lambda: bridge_rows(data, filters, start, end).head(1000)),
        ("movement checks", lambda: movement_exceptions(filters.movement_rows(data.movements))),
    ]
    figures: dict[str, float] = {}
    for label, step in steps:
        began = time.perf_counter()
        step()
        figures[label] = time.perf_counter() - began
        print(f"{label:<32} {figures[label]:8.3f} s")
    for label, access in (("admin", local_admin()), ("viewer", Access("viewer", Role.VIEWER))):
        began = time.perf_counter()
        revenue_view(data, filters, access, bridge_start=start, bridge_end=end)
        figures[f"page rerun ({label})"] = time.perf_counter() - began
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(
        f"page_rerun_admin_s={figures['page rerun (admin)']:.3f} page_rerun_viewer_s={figures['page rerun (viewer)']:.3f} "
        f"peak_rss_mib={peak:.0f}"
    )
    return figures
