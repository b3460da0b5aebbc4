"""What a sync run did, for the Pipelines page: what landed, what was curated, what did not roll up and why."""

from __future__ import annotations

from dataclasses import dataclass

import polars as pl
from sqlalchemy import Engine

from domain.canonical import REASON_LABELS, Domain, QuarantineReason
from domain.figures import figure_label
from domain.mapping_config import amount_source_fields
from domain.money import money_sum
from domain.roles import MASKED, Access, mask_amounts
from services.sync.summary import SyncSummary
from storage.connections import list_connections
from storage.db import session_scope
from storage.frames import read_workspace_table
from storage.mappings import latest_mapping

# Where a user fixes each kind of problem.
FIX_STEP: dict[QuarantineReason, tuple[str, str]] = {
    QuarantineReason.UNMAPPED_STAGE: ("mapping", "Map the stage in step 3"),
    QuarantineReason.UNMAPPED_COMPONENT: ("mapping", "Map the movement type in step 3"),
    QuarantineReason.UNRECONCILED_ACCOUNT: ("reconcile", "Reconcile the account in step 4"),
    QuarantineReason.MISSING_VALUE: ("connect", "Fill the field in the CRM, or change its mapping in step 3"),
    QuarantineReason.INVALID_VALUE: ("connect", "Correct the value in the CRM, or its type in step 3"),
    QuarantineReason.SIGN_CONTRADICTS_COMPONENT: ("mapping", "Check the movement type or the sign in the CRM"),
    QuarantineReason.UNKNOWN_CURRENCY: ("mapping", "Add an FX rate for the currency in step 3"),
    QuarantineReason.DUPLICATE_SOURCE_ID: ("connect", "Remove the duplicate record in the source"),
}


# The 'what did not roll up' table in the user's words; the amount is each record's own (its source currency).
NOT_ROLLED_UP_HEADERS = {
    "domain": "Domain",
    "reason": "Reason",
    "rows": "Rows",
    "amount": "Amount (source currency)",
    "fields": "Fields",
    "examples": "Examples",
    "how to fix": "How to fix",
}


@dataclass(frozen=True)
class RunReview:
    run: dict
    landed: pl.DataFrame  # domain, source, rows in the workspace, rows this run added or changed
    curated: pl.DataFrame  # what the mapping did: stages mapped, accounts resolved, amounts converted
    not_rolled_up: pl.DataFrame  # reason, rows, fields, example values, where to fix it
    quarantine: pl.DataFrame  # every quarantined row of the run, in words (for export and drill-down)


def runs_for_review(engine: Engine, workspace_id: int) -> pl.DataFrame:
    """Completed real runs, newest first."""
    runs = read_workspace_table(engine, "runs", workspace_id)
    return runs.filter(~pl.col("dry_run") & (pl.col("status") == "succeeded")).sort("id", descending=True)


def _source_names(engine: Engine, workspace_id: int) -> dict[str, str]:
    with session_scope(engine) as session:
        return {c.source_key: c.name for c in list_connections(session, workspace_id)}


def review_run(engine: Engine, workspace_id: int, run_id: int, access: Access | None = None) -> RunReview:
    """What a run landed, curated and quarantined; offending amounts are masked for roles that may not see them."""
    names = _source_names(engine, workspace_id)
    runs = read_workspace_table(engine, "runs", workspace_id)
    run = runs.filter(pl.col("id") == run_id).to_dicts()[0]
    landed_parts, curated_rows = [], []
    for domain, table in ((Domain.PIPELINE, "opportunities"), (Domain.ARR_ACTUALS, "arr_movements")):
        rows = read_workspace_table(engine, table, workspace_id).filter(~pl.col("is_deleted"))
        landed_parts.append(
            rows.group_by("source")
            .agg(
                pl.len().alias("Rows in workspace"),
                (pl.col("run_id") == run_id).sum().alias("Added or changed by this run"),
            )
            .with_columns(pl.lit(domain.label).alias("Domain"))
        )
        currency_converted = rows.filter(
            pl.col("currency").is_not_null()
            & (
                pl.col("amount_reporting" if domain == Domain.PIPELINE else "arr_delta_reporting")
                != pl.col("amount" if domain == Domain.PIPELINE else "arr_delta")
            )
        ).height
        curated_rows.append(
            {
                "Domain": domain.label,
                "Rows": rows.height,
                "Accounts resolved by CRM ID": rows["account_id"].is_not_null().sum(),
                "Amounts converted to the reporting currency": currency_converted,
                # ARR movements have no stage: left empty (a dash on the page) rather than a misleading 0.
                "Rows with a mapped stage": rows["stage"].is_not_null().sum() if domain == Domain.PIPELINE else None,
                # A deal's own probability replaces its stage's weight while it is open (probability_override).
                "Deals weighted by their own probability": (
                    rows["probability_override"].is_not_null().sum() if domain == Domain.PIPELINE else None
                ),
            }
        )
    landed = pl.concat(landed_parts).select(
        "Domain",
        pl.col("source").replace_strict(names, default=pl.col("source")).alias("Source"),
        "Rows in workspace",
        "Added or changed by this run",
    )
    quarantine = read_workspace_table(engine, "quarantine", workspace_id).filter(pl.col("run_id") == run_id)
    with session_scope(engine) as session:
        mapping = latest_mapping(session, workspace_id)
    config = mapping[1] if mapping else None
    quarantine = quarantine.with_columns(_held_amount(config).alias("amount"))
    not_rolled_up = (
        quarantine.group_by("domain", "reason_code")
        .agg(
            pl.col("source_id").n_unique().alias("rows"),
            # Each held record counts once; a group whose records carry no amount shows none, not 0.
            pl.when(pl.col("amount").is_not_null().any())
            .then(money_sum(pl.col("amount").filter(pl.col("source_id").is_first_distinct())))
            .alias("amount"),
            pl.col("field").unique().sort().str.join(", ").alias("fields"),
            pl.col("value").drop_nulls().unique().sort().head(3).str.join(", ").alias("examples"),
        )
        .with_columns(
            pl.col("domain").replace_strict({d.value: d.label for d in Domain}, default=pl.col("domain")),
            pl.col("reason_code")
            .replace_strict({k.value: v for k, v in REASON_LABELS.items()}, default="")
            .alias("reason"),
            pl.col("reason_code")
            .replace_strict({k.value: v[1] for k, v in FIX_STEP.items()}, default="")
            .alias("how to fix"),
            pl.col("reason_code")
            .replace_strict({k.value: v[0] for k, v in FIX_STEP.items()}, default="")
            .alias("fix_step"),
        )
        .sort("rows", "reason_code", descending=[True, False])
        .select("domain", "reason", "rows", "amount", "fields", "examples", "how to fix", "reason_code", "fix_step")
        .rename(NOT_ROLLED_UP_HEADERS)
    )
    if access is not None and not access.sees_amounts:
        amount_fields = amount_source_fields(config)
        quarantine = mask_amounts(quarantine, access, amount_fields=amount_fields)
        # Examples of an amount field are amounts too.
        not_rolled_up = not_rolled_up.with_columns(
            pl.lit(MASKED).alias(NOT_ROLLED_UP_HEADERS["amount"]),
            pl.when(pl.col("Fields").str.contains_any(sorted(amount_fields)))
            .then(pl.lit(MASKED))
            .otherwise(pl.col("Examples"))
            .alias("Examples"),
        )
    return RunReview(
        run,
        landed,
        pl.DataFrame(curated_rows),
        not_rolled_up,
        quarantine.select(
            pl.col("domain")
            .replace_strict({d.value: d.label for d in Domain}, default=pl.col("domain"))
            .alias("Domain"),
            pl.col("source").replace_strict(names, default=pl.col("source")).alias("Source"),
            pl.col("source_object").alias("Object"),
            pl.col("source_id").alias("Record ID"),
            pl.col("reason_code")
            .replace_strict({k.value: v for k, v in REASON_LABELS.items()}, default=pl.col("reason_code"))
            .alias("Reason"),
            pl.col("field").alias("Field"),
            pl.col("value").alias("Value"),
            pl.col("amount").alias("Amount (source currency)"),
        ),
    )


def _held_amount(config) -> pl.Expr:
    """The amount a quarantined row would have carried (source currency), read from its raw record."""
    amount = pl.lit(None, pl.Float64)
    for obj in config.objects if config else ():
        field = obj.source_field_for("amount") or obj.source_field_for("arr_delta")
        if field:
            raw = pl.col("payload_json").str.json_path_match(f"$['{field}']")
            amount = (
                pl.when(pl.col("source_object") == obj.object_name)
                .then(raw.str.replace_all(",", "").cast(pl.Float64, strict=False))
                .otherwise(amount)
            )
    return amount


def summary_tables(summary: SyncSummary, access: Access, currency: str) -> tuple[pl.DataFrame, pl.DataFrame]:
    """A SyncSummary as two tables in the user's words: rows per domain (the run history's headers), and the
    figures that move in the reporting currency (blank for a role that may not see amounts: the change a small
    run makes can be one customer's amount)."""
    counts = pl.DataFrame(
        [
            {
                "Domain": d.label,
                "Read": s.read,
                "Added": s.added,
                "Changed": s.changed,
                "Removed": s.tombstoned,
                "Held back": s.quarantined,
                "Unchanged": s.unchanged,
                "Filtered / excluded": s.filtered + s.excluded,
            }
            for d, s in summary.domains.items()
        ]
    )
    before, after, change = (f"{word} ({currency})" for word in ("Before", "After", "Change"))
    figures = pl.DataFrame(
        [
            {
                "Figure": figure_label(k),
                before: s.totals_before.get(k, 0.0),
                after: v,
                change: v - s.totals_before.get(k, 0.0),
            }
            for s in summary.domains.values()
            for k, v in s.totals_after.items()
        ],
        schema={"Figure": pl.String, before: pl.Float64, after: pl.Float64, change: pl.Float64},
    )
    if not access.sees_amounts and figures.height:
        figures = figures.with_columns(pl.lit(None, pl.Float64).alias(c) for c in (before, after, change))
    return counts, figures


def held_table(summary: SyncSummary, access: Access) -> pl.DataFrame:
    """What a run (a dry run too) held back, by domain and reason, with fields and examples; examples are masked
    for a role that may not see amounts (an example can be one)."""
    rows = [
        {"Domain": d.label, "Reason": h["reason"], "Rows": h["rows"], "Fields": h["fields"], "Examples": h["examples"]}
        for d, s in summary.domains.items()
        for h in s.held
    ]
    table = pl.DataFrame(
        rows,
        schema={"Domain": pl.String, "Reason": pl.String, "Rows": pl.Int64, "Fields": pl.String, "Examples": pl.String},
    )
    return table if access.sees_amounts else table.with_columns(pl.lit(MASKED).alias("Examples"))


RUN_HISTORY_COLUMNS = (
    "Run",
    "Started",
    "Kind",
    "Scope",
    "Status",
    "Read",
    "Added",
    "Changed",
    "Removed",
    "Held back",
    "Newly held",
    "Mapping version",
    "Seconds",
    "Error",
)


def run_history_rows(runs: pl.DataFrame, time_zone: str) -> pl.DataFrame:
    """The runs table in the user's words, newest first: start time in the viewer's zone (minutes, no offset),
    what kind of run (sync, dry run, rollback; who or what started it), and counts under plain headers."""
    zone = time_zone or "UTC"
    kind = (
        pl.when(pl.col("trigger") == "rollback")
        .then(pl.lit("Rollback"))
        .when(pl.col("dry_run"))
        .then(pl.lit("Dry run"))
        .otherwise(pl.lit("Sync"))
    )
    started_by = pl.col("trigger").replace(
        {"app": "from the app", "cli": "from the CLI", "schedule": "scheduled", "rollback": "from the app or CLI"}
    )
    return (
        runs.sort("id", descending=True)
        .with_columns(
            pl.format("#{}", pl.col("id")).alias("Run"),
            pl.col("started_at").dt.convert_time_zone(zone).dt.strftime("%Y-%m-%d %H:%M").alias("Started"),
            pl.format("{} ({})", kind, started_by).alias("Kind"),
            pl.col("scope").fill_null("Everything routed").alias("Scope"),
            pl.col("status").str.to_titlecase().alias("Status"),
            pl.col("rows_read").alias("Read"),
            pl.col("rows_added").alias("Added"),
            pl.col("rows_changed").alias("Changed"),
            pl.col("rows_tombstoned").alias("Removed"),
            pl.col("rows_quarantined").alias("Held back"),
            pl.col("rows_newly_quarantined").alias("Newly held"),
            pl.col("mapping_version").alias("Mapping version"),
            ((pl.col("finished_at") - pl.col("started_at")).dt.total_milliseconds() / 1000).round(1).alias("Seconds"),
            pl.col("error").fill_null("").alias("Error"),
        )
        .select(RUN_HISTORY_COLUMNS)
    )


def run_volumes(history: pl.DataFrame, last: int = 30) -> pl.DataFrame:
    """Run, measure (Read / Landed / Held back), rows: the last `last` runs, oldest first, for the per-run chart."""
    recent = history.head(last).reverse()
    return recent.select(
        "Run",
        "Started",
        "Kind",
        "Read",
        (pl.col("Added") + pl.col("Changed")).alias("Landed"),
        "Held back",
    ).unpivot(index=["Run", "Started", "Kind"], variable_name="measure", value_name="rows")


PHASES = ("read", "transform", "compare", "write")


def run_phases(engine: Engine, workspace_id: int, last: int = 30) -> pl.DataFrame:
    """Run, phase, seconds: where each of the last `last` runs spent its time, oldest first. Only seconds leave
    the run summary, so every role may see it."""
    runs = read_workspace_table(engine, "runs", workspace_id).sort("id", descending=True).head(last).reverse()
    if runs.is_empty():
        return pl.DataFrame(schema={"Run": pl.String, "phase": pl.String, "seconds": pl.Float64})
    return (
        runs.select(
            pl.format("#{}", pl.col("id")).alias("Run"),
            *(
                pl.col("summary_json")
                .str.json_path_match(f"$.phase_seconds.{name}")
                .cast(pl.Float64, strict=False)
                .alias(name.capitalize())
                for name in PHASES
            ),
        )
        .unpivot(index="Run", variable_name="phase", value_name="seconds")
        .drop_nulls("seconds")
    )


def run_timeline(history: pl.DataFrame, alerts: pl.DataFrame) -> pl.DataFrame:
    """Runs and alerts on one time line: When (the viewer's zone, as the tables show it), Lane (Runs / Alerts),
    What (the run's kind and status, or the alert), Run. `history` is run_history_rows; `alerts` is alert_rows."""
    runs = history.reverse().select(  # oldest first, so runs started within one minute keep their order
        pl.col("Started").alias("When"),
        pl.lit("Runs").alias("Lane"),
        pl.format("{} · {}", pl.col("Kind").str.split(" (").list.first(), pl.col("Status")).alias("What"),
        "Run",
    )
    raised = alerts.reverse().select("When", pl.lit("Alerts").alias("Lane"), pl.col("Alert").alias("What"), "Run")
    return (
        pl.concat([runs, raised])
        .with_columns(pl.col("When").str.to_datetime("%Y-%m-%d %H:%M", strict=False))
        .drop_nulls("When")
        .sort("When", maintain_order=True)
    )
