"""The five setup steps: what each needs, whether it is done, and what comes next.

Progress is computed from what the database holds (connections tested, routes saved, mappings
approved, runs finished), so it is the same after a reload, in a new tab or on a direct link,
and it can never claim a step is done when its data was removed.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum

from domain.canonical import FIELDS_BY_DOMAIN, Domain, required_field_keys
from domain.fx_rates import MissingRate, missing_in_words


@dataclass(frozen=True)
class Step:
    number: int
    key: str
    title: str
    summary: str


STEPS: tuple[Step, ...] = (
    Step(1, "connect", "Connect", "Connect Salesforce, HubSpot, or a file / warehouse export."),
    Step(2, "domains", "Choose domains", "Pick which source feeds pipeline and which feeds ARR actuals."),
    Step(3, "mapping", "Map fields & stages", "Map CRM fields and stages onto the canonical model."),
    Step(4, "reconcile", "Reconcile accounts", "Match CRM accounts onto canonical accounts by ID."),
    Step(5, "sync", "Run sync", "Run the sync and see what landed and what did not."),
)


class StepStatus(StrEnum):
    DONE = "done"
    CURRENT = "current"  # prerequisites met, not done yet
    # The step's own requirements are met, but a sync would hold rows back for something this step fixes
    # (FX rates for a currency the data holds). Later steps stay open: the rest of the data still lands.
    ATTENTION = "attention"
    BLOCKED = "blocked"  # an earlier step is not done


@dataclass(frozen=True)
class SetupFacts:
    """What a workspace has set up, as counted in storage."""

    connections: int = 0
    connections_ok: int = 0
    routed_domains: frozenset[Domain] = frozenset()
    mapped_fields: dict[Domain, frozenset[str]] = field(default_factory=dict)
    stages_approved: int = 0
    stages_pending: int = 0
    accounts_approved: int = 0
    accounts_pending: int = 0
    successful_syncs: int = 0
    reporting_currency: str = "USD"
    # What the latest run (a dry run too) held for want of an FX rate that the mapping in force still lacks.
    missing_rates: tuple[MissingRate, ...] = ()


@dataclass(frozen=True)
class StepState:
    step: Step
    status: StepStatus
    done_note: str  # what is done, in words
    todo_note: str  # what is left, in words
    blocked_by: Step | None = None


def _step_done(step: Step, facts: SetupFacts) -> tuple[bool, str, str]:
    """Whether one step's own condition holds, with what is done and what is left, in words."""
    if step.key == "connect":
        if facts.connections_ok:
            return True, f"{facts.connections_ok} of {facts.connections} connection(s) tested OK.", ""
        if facts.connections:
            return False, "", "Test a connection until it succeeds."
        return False, "", "Add a connection and test it."
    if step.key == "domains":
        routed = sorted(d.label for d in facts.routed_domains)
        if routed:
            missing = [d.label for d in Domain if d not in facts.routed_domains]
            note = f"Routed: {', '.join(routed)}."
            return True, note, (f"{', '.join(missing)} not routed (optional)." if missing else "")
        return False, "", "Choose a source for pipeline and/or ARR actuals."
    if step.key == "mapping":
        if not facts.routed_domains:
            return False, "", "Route a domain first."
        gaps: list[str] = []
        for domain in sorted(facts.routed_domains):
            unmapped = set(required_field_keys(domain)) - set(facts.mapped_fields.get(domain, frozenset()))
            if unmapped:
                labels = [f.label for f in FIELDS_BY_DOMAIN[domain] if f.key in unmapped]
                gaps.append(f"{domain.label}: {', '.join(labels)}")
        if Domain.PIPELINE in facts.routed_domains and (facts.stages_pending or not facts.stages_approved):
            gaps.append(f"{facts.stages_pending} stage(s) to review" if facts.stages_pending else "stages not mapped")
        if gaps:
            return False, "", "Approve mappings for " + "; ".join(gaps) + "."
        return True, "Required fields and all stages mapped.", ""
    if step.key == "reconcile":
        if facts.accounts_pending:
            return (
                False,
                f"{facts.accounts_approved} account(s) reconciled.",
                f"{facts.accounts_pending} account match(es) to review.",
            )
        if facts.accounts_approved:
            return True, f"{facts.accounts_approved} account(s) reconciled.", ""
        return False, "", "Reconcile CRM accounts onto canonical accounts."
    if step.key == "sync":
        if facts.successful_syncs:
            return True, f"{facts.successful_syncs} successful sync(s).", ""
        return False, "", "Run the first sync."
    raise ValueError(step.key)


def _attention(step: Step, facts: SetupFacts) -> str:
    """What keeps a step whose own requirements are met from being done: rows a sync would hold that this
    step can fix, in words; empty when nothing does."""
    if step.key == "mapping" and facts.missing_rates:
        held = sum(m.rows for m in facts.missing_rates)
        return (
            f"{held:,} row(s) are held back for want of an FX rate into {facts.reporting_currency}: "
            + missing_in_words(list(facts.missing_rates))
            + ". Add these rates under 'FX rates' in step 3 (upload a CSV or take the CRM org's own rates)."
        )
    return ""


def progress(facts: SetupFacts) -> list[StepState]:
    """Status of every step in order: a step is blocked while an earlier one is not done."""
    states: list[StepState] = []
    first_open: Step | None = None
    for step in STEPS:
        done, done_note, todo_note = _step_done(step, facts)
        if first_open is not None:
            # Later data can outlive an earlier step (a connection deleted after mapping): still blocked.
            states.append(StepState(step, StepStatus.BLOCKED, done_note, todo_note, blocked_by=first_open))
            continue
        attention = _attention(step, facts) if done else ""
        if attention:
            states.append(StepState(step, StepStatus.ATTENTION, done_note, attention))
        elif done:
            states.append(StepState(step, StepStatus.DONE, done_note, todo_note))
        else:
            first_open = step
            states.append(StepState(step, StepStatus.CURRENT, done_note, todo_note))
    return states


def next_step(states: list[StepState]) -> StepState | None:
    """The step the user should do now (the first open one, else the first that needs attention), or None when
    setup is complete."""
    return next((s for s in states if s.status == StepStatus.CURRENT), None) or next(
        (s for s in states if s.status == StepStatus.ATTENTION), None
    )


def step_by_key(key: str) -> Step:
    return next(s for s in STEPS if s.key == key)
