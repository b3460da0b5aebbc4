"""What a sync run did, in numbers and in words: per domain what was read, added, changed, tombstoned and
quarantined, and how the business figures moved (defined once, in domain/figures.py)."""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from datetime import date, datetime

import polars as pl

from domain.canonical import REASON_LABELS, CanonicalStage, Domain
from domain.figures import arr_figures, pipeline_figures
from domain.fx_rates import MissingRate, held_counts, held_for_rates


@dataclass
class DomainSummary:
    read: int = 0
    added: int = 0
    changed: int = 0
    unchanged: int = 0
    tombstoned: int = 0
    quarantined: int = 0
    newly_quarantined: int = 0  # of `quarantined`, rows not already held before this run
    filtered: int = 0
    excluded: int = 0
    totals_before: dict[str, float] = field(default_factory=dict)  # the figures of domain/figures.py
    totals_after: dict[str, float] = field(default_factory=dict)
    unchanged_files: list[str] = field(default_factory=list)  # file objects skipped: same bytes as the last run
    # What did not roll up, by reason: {reason, rows, fields, examples}; a dry run shows it before anything lands.
    held: list[dict] = field(default_factory=list)
    # Rows held for want of an FX rate, per currency: {currency, rows, earliest}; step 3 reads it back.
    missing_rates: list[dict] = field(default_factory=list)
    # Pipeline only: what reading the CRM's stage history gave, in words ('' when the source keeps none).
    stage_history: list[str] = field(default_factory=list)

    def rate_gaps(self, domain: Domain) -> list[MissingRate]:
        """`missing_rates` as the domain's MissingRate values."""
        return [
            MissingRate(domain, m["currency"], m["rows"], date.fromisoformat(m["earliest"]) if m["earliest"] else None)
            for m in self.missing_rates
        ]


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
    # Why the run stopped before writing (domain/mass_deletion.py), one line per domain; empty when it did not.
    mass_deletions: list[str] = field(default_factory=list)
    full: bool = False  # the run read everything (ignoring cursors)
    reporting_currency: str = ""  # the currency of its figures; empty in summaries written before it was kept

    def to_json(self) -> str:
        return json.dumps(
            {
                "run_id": self.run_id,
                "dry_run": self.dry_run,
                "mapping_version": self.mapping_version,
                "api_calls": self.api_calls,
                "seconds": self.seconds,
                "phase_seconds": self.phase_seconds,
                "new_fields": self.new_fields,
                "mass_deletions": self.mass_deletions,
                "full": self.full,
                "reporting_currency": self.reporting_currency,
                "domains": {d.value: asdict(s) for d, s in self.domains.items()},
            }
        )

    @classmethod
    def from_json(cls, text: str) -> SyncSummary:
        raw = json.loads(text)
        return cls(
            raw["run_id"],
            raw["dry_run"],
            raw["mapping_version"],
            {Domain(d): DomainSummary(**s) for d, s in raw["domains"].items()},
            raw["api_calls"],
            raw["seconds"],
            raw.get("phase_seconds", {}),
            raw.get("new_fields", {}),
            raw.get("mass_deletions", []),
            raw.get("full", False),
            raw.get("reporting_currency", ""),
        )

    def phases(self) -> str:
        """'read 1.2 s · transform 0.8 s · …' in the order the phases ran."""
        return " · ".join(f"{name} {seconds:.2f} s" for name, seconds in self.phase_seconds.items())

    def lines(self) -> list[str]:
        """The summary in words, one line per domain plus the figures that moved."""
        out = []
        for domain, s in self.domains.items():
            out.append(
                f"{domain.label}: read {s.read:,}, add {s.added:,}, change {s.changed:,}, "
                f"tombstone {s.tombstoned:,}, quarantine {s.quarantined:,} (unchanged {s.unchanged:,})"
            )
            out += [f"  {line}" for line in s.stage_history]
            if s.unchanged_files:
                out.append(f"  not read again, unchanged since the last run: {', '.join(s.unchanged_files)}")
            for key in s.totals_after:
                delta = s.totals_after[key] - s.totals_before.get(key, 0.0)
                out.append(
                    f"  {key}: {s.totals_before.get(key, 0.0):,.2f} -> {s.totals_after[key]:,.2f} ({delta:+,.2f})"
                )
        if self.mass_deletions:
            prefix = "A real run would stop here" if self.dry_run else "Removal allowed"
            out.extend(f"{prefix}: {line}" for line in self.mass_deletions)
        for where, names in self.new_fields.items():
            out.append(
                f"{len(names)} new field(s) in {where} since the mapping was approved, "
                f"{'would be ' if self.dry_run else ''}held for review in step 3 (not mapped): {', '.join(names)}"
            )
        return out


def figures(domain: Domain, rows: pl.DataFrame, stages: list[CanonicalStage]) -> dict[str, float]:
    """The business figures of canonical rows (or of rows already summed by stage / component)."""
    return pipeline_figures(rows, stages) if domain == Domain.PIPELINE else arr_figures(rows)


def figures_after(before: dict[str, float], leaving: dict[str, float], arriving: dict[str, float]) -> dict[str, float]:
    """The figures once a run lands: before, less what replaced or removed rows held, plus the new versions."""
    return {
        key: round(before.get(key, 0.0) - leaving.get(key, 0.0) + arriving.get(key, 0.0), 2) + 0.0 for key in arriving
    }


def landing_lag(landed: list[pl.DataFrame], committed_at: datetime) -> dict[str, float]:
    """Median and longest lag (seconds) from a record's CRM modification to its landing, over rows written."""
    stamps = (
        pl.concat([f.select("source_modified_at") for f in landed if f.height], how="vertical_relaxed")
        if any(f.height for f in landed)
        else pl.DataFrame(schema={"source_modified_at": pl.Datetime("us", "UTC")})
    )
    lag = (pl.lit(committed_at) - pl.col("source_modified_at")).dt.total_milliseconds() / 1000
    row = (
        stamps.drop_nulls().select(lag.median().alias("lag_median_seconds"), lag.max().alias("lag_max_seconds")).row(0)
    )
    return {} if row[0] is None else {"lag_median_seconds": round(row[0], 1), "lag_max_seconds": round(row[1], 1)}


def missing_rates(domain: Domain, quarantine: pl.DataFrame) -> list[dict]:
    """What a run held for want of an FX rate, per currency, as the summary keeps it."""
    return [
        {"currency": m.currency, "rows": m.rows, "earliest": m.earliest.isoformat() if m.earliest else None}
        for m in held_for_rates(domain, held_counts(quarantine))
    ]


def held_by_reason(quarantine: pl.DataFrame) -> list[dict]:
    """Rows a run held back (transform's quarantine frame), grouped by reason with the fields and a few example
    values, most rows first: the same grouping Pipelines shows for a landed run."""
    if quarantine.is_empty():
        return []
    return (
        quarantine.group_by("reason_code")
        .agg(
            pl.col("source_id").n_unique().alias("rows"),
            pl.col("field").drop_nulls().unique().sort().str.join(", ").alias("fields"),
            pl.col("value").drop_nulls().unique().sort().head(3).str.join(", ").alias("examples"),
        )
        .with_columns(
            pl.col("reason_code")
            .replace_strict({k.value: v for k, v in REASON_LABELS.items()}, default=pl.col("reason_code"))
            .alias("reason")
        )
        .sort(["rows", "reason"], descending=[True, False])
        .select("reason", "rows", "fields", "examples")
        .to_dicts()
    )
