"""Where a workspace's setup stands: the five steps from what storage holds, and what the latest run says a sync
would still hold back that a step can fix (FX rates for the currencies the data carries).

A step is only done when a sync would land its rows: step 3 with every field mapped but no rate for the EUR
rows of the source is not done. What the data holds is known from a run, so the newest dry run since the last
sync speaks for it (it re-processes held rows too), else the rows held right now.
"""

from __future__ import annotations

from dataclasses import replace

from sqlmodel import Session

from domain.canonical import Domain, QuarantineReason
from domain.fx_rates import MissingRate, held_for_rates, rates_still_missing
from domain.setup_steps import SetupFacts, StepState, progress
from services.sync.summary import SyncSummary
from storage.mappings import latest_mapping
from storage.progress import setup_facts
from storage.quarantine import held_now
from storage.sync_runs import dry_run_since_last_sync


def _held_for_rates(session: Session, workspace_id: int) -> list[MissingRate]:
    dry_run = dry_run_since_last_sync(session, workspace_id)
    if dry_run is not None and dry_run.summary_json:
        summary = SyncSummary.from_json(dry_run.summary_json)
        return [gap for domain, s in summary.domains.items() for gap in s.rate_gaps(domain)]
    held = held_now(session, workspace_id, QuarantineReason.UNKNOWN_CURRENCY.value)
    return [gap for domain in Domain for gap in held_for_rates(domain, held.filter(held["domain"] == domain.value))]


def workspace_facts(session: Session, workspace_id: int) -> SetupFacts:
    """What the workspace has set up, and the FX rates a sync would still miss under the mapping in force."""
    facts = setup_facts(session, workspace_id)
    mapping = latest_mapping(session, workspace_id)
    config = mapping[1] if mapping else None
    missing = rates_still_missing(_held_for_rates(session, workspace_id), config)
    return replace(
        facts,
        reporting_currency=config.reporting_currency if config else facts.reporting_currency,
        missing_rates=tuple(missing),
    )


def workspace_progress(session: Session, workspace_id: int) -> list[StepState]:
    """The five steps, each done, open, needing attention or blocked, for pages and the CLI alike."""
    return progress(workspace_facts(session, workspace_id))
