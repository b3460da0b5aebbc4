"""Stage suggestions: CRM stages onto the workspace's canonical stages, with a probability weight.

CRM metadata is authoritative for closed stages: closed + won is always `closed_won`, closed + not won
always `closed_lost`. Open stages map by label (rapidfuzz against the names CRMs use), by probability and
by their position in the pipeline. The suggested weight is the CRM probability where the CRM has one
(Salesforce sends 0-100, HubSpot 0-1 as text: both are normalised here), else the canonical stage's.

An open stage is auto-accepted only when its readings agree: the label, the probability (the canonical stage
whose weight is nearest) and the position in the pipeline point at one canonical stage. When they disagree
('Demo Scheduled' at 20%: the label says Evaluation, the probability Qualification) the suggestion goes to
review with every reading in its reasons, because a label word must not overrule a clear probability unseen.
"""

from __future__ import annotations

from dataclasses import dataclass

from rapidfuzz import fuzz

from domain.canonical import CLOSED_LOST, CLOSED_WON, DEFAULT_STAGES, CanonicalStage, StageSemantics
from domain.suggestions.model import DEFAULT_THRESHOLDS, BandThresholds, Origin, Suggestion
from domain.suggestions.text import phrase


@dataclass(frozen=True)
class CrmStage:
    """A stage as the CRM describes it."""

    system: str
    pipeline_id: str
    stage_id: str
    label: str
    probability: float | None  # as the CRM sends it; normalised by `normalise_probability`
    is_closed: bool | None
    is_won: bool | None
    sort_order: int = 0
    pipeline_label: str = ""  # the pipeline's name, when the CRM gives one


# Names CRMs and sales methodologies give each default canonical stage (words as `phrase()` writes them).
_STAGE_WORDS: dict[str, tuple[str, ...]] = {
    "prospecting": (
        "prospecting",
        "prospect",
        "discovery",
        "lead",
        "new",
        "initial contact",
        "appointment scheduled",
        "appointmentscheduled",
        "identified",
        "first meeting",
        "intro",
        "open",
        "target",
        "sql",
        "renewal identified",
        "outreach",
        "contacted",
    ),
    "qualification": (
        "qualification",
        "qualified",
        "qualify",
        "qualified to buy",
        "qualifiedtobuy",
        "needs analysis",
        "discovery call",
        "meeting booked",
        "validation",
        "business case",
        "renewal qualified",
    ),
    "evaluation": (
        "evaluation",
        "solution fit",
        "technical evaluation",
        "technical eval",
        "demo",
        "demo scheduled",
        "presentation scheduled",
        "presentationscheduled",
        "value proposition",
        "id decision makers",
        "perception analysis",
        "proof of concept",
        "poc",
        "trial",
        "pilot",
        "renewal review",
        "solution",
        "develop",
    ),
    "proposal": (
        "proposal",
        "proposal price quote",
        "proposal sent",
        "quote",
        "quote sent",
        "quoted",
        "pricing",
        "decision maker bought in",
        "decisionmakerboughtin",
        "business proposal",
        "propose",
        "offer",
    ),
    "negotiation": (
        "negotiation",
        "negotiation review",
        "negotiate",
        "contracting",
        "contract sent",
        "contractsent",
        "verbal commit",
        "commit",
        "legal review",
        "procurement",
        "closing",
        "legal",
        "redlines",
    ),
    CLOSED_WON: ("closed won", "closedwon", "won", "renewed", "signed", "booked"),
    CLOSED_LOST: ("closed lost", "closedlost", "lost", "not renewed", "disqualified", "dead", "churned"),
}


def normalise_probability(value: float | None, system: str) -> float | None:
    """0..1 whatever the CRM sends: Salesforce DefaultProbability is a percentage, HubSpot a fraction."""
    if value is None:
        return None
    if system == "salesforce" or value > 1:
        value = value / 100
    return round(min(max(value, 0.0), 1.0), 4)


def _label_similarity(label: str, stage: CanonicalStage) -> float:
    text = phrase(label)
    names = _STAGE_WORDS.get(stage.key, ()) + (phrase(stage.label), phrase(stage.key))
    return max(
        max(fuzz.ratio(text, n), fuzz.token_set_ratio(text, n) * (0.9 if len(n.split()) > 1 else 0.8)) / 100
        for n in names
    )


def _closed_verdict(stage: CrmStage, probability: float | None) -> str | None:
    """closed_won / closed_lost from CRM metadata (HubSpot has no IsWon: probability 1 or 0 tells)."""
    if not stage.is_closed:
        return None
    won = stage.is_won if stage.is_won is not None else (probability is not None and probability >= 1.0)
    return CLOSED_WON if won else CLOSED_LOST


def suggest_stages(
    stages: list[CrmStage],
    canonical: tuple[CanonicalStage, ...] = DEFAULT_STAGES,
    *,
    thresholds: BandThresholds = DEFAULT_THRESHOLDS,
) -> list[Suggestion]:
    """One suggestion per CRM stage, in the order given; pipelines are handled independently."""
    won = next(s for s in canonical if s.semantics == StageSemantics.WON)
    lost = next(s for s in canonical if s.semantics == StageSemantics.LOST)
    open_stages = sorted((s for s in canonical if s.semantics == StageSemantics.OPEN), key=lambda s: s.order)
    suggestions: list[Suggestion] = []
    pipelines: dict[str, list[CrmStage]] = {}
    for stage in stages:
        pipelines.setdefault(stage.pipeline_id, []).append(stage)
    by_key: dict[tuple[str, str], Suggestion] = {}
    for pipeline_id, members in pipelines.items():
        open_members = sorted((s for s in members if not s.is_closed), key=lambda s: s.sort_order)
        # Without CRM metadata (a stage column in a file) a stage may be closed too: the label decides.
        choices = open_stages + ([won, lost] if any(s.is_closed is None for s in members) else [])
        for stage in members:
            probability = normalise_probability(stage.probability, stage.system)
            verdict = _closed_verdict(stage, probability)
            if verdict:
                target = won if verdict == CLOSED_WON else lost
                why = (
                    ("IsClosed = true, IsWon = true" if stage.is_won is not None else "closed, probability 100%")
                    if verdict == CLOSED_WON
                    else (
                        "IsClosed = true, IsWon = false"
                        if stage.is_won is not None
                        else "closed, probability below 100%"
                    )
                )
                by_key[(pipeline_id, stage.stage_id)] = Suggestion(
                    stage.stage_id,
                    target.key,
                    1.0,
                    thresholds.band(1.0),
                    (f"CRM says {why}",),
                    Origin.RULES.value,
                    None,
                    None,
                    group=pipeline_id,
                    weight=target.weight,
                )
                continue
            # Position is a reading only when the pipeline has several open stages.
            position = open_members.index(stage) / (len(open_members) - 1) if len(open_members) > 1 else None
            by_key[(pipeline_id, stage.stage_id)] = _open_suggestion(
                stage, probability, position, choices if stage.is_closed is None else open_stages, thresholds
            )
    for stage in stages:
        suggestions.append(by_key[(stage.pipeline_id, stage.stage_id)])
    return suggestions


def probability_reading(probability: float, funnel: list[CanonicalStage]) -> list[CanonicalStage]:
    """The open canonical stage(s) whose weight is nearest the probability (two when it sits midway)."""
    if not funnel:
        return []
    nearest = min(abs(probability - c.weight) for c in funnel)
    return [c for c in funnel if abs(probability - c.weight) - nearest < 1e-9]


def _open_suggestion(
    stage: CrmStage,
    probability: float | None,
    position: float | None,
    open_stages: list[CanonicalStage],
    thresholds: BandThresholds,
) -> Suggestion:
    """An open stage: label first, then probability and position in the funnel."""
    if not open_stages:
        return Suggestion(
            stage.stage_id,
            "",
            0.0,
            thresholds.band(0.0),
            ("the workspace has no open canonical stage",),
            Origin.RULES.value,
            group=stage.pipeline_id,
        )
    scored = []
    funnel = [c for c in open_stages if c.semantics == StageSemantics.OPEN]
    for canonical in open_stages:
        label = _label_similarity(stage.label, canonical)
        i = funnel.index(canonical) if canonical in funnel else len(funnel) - 1
        slot = i / max(len(funnel) - 1, 1) if len(funnel) > 1 else 0.0
        order = 1 - abs((position if position is not None else slot) - slot)
        if probability is not None:
            closeness = max(0.0, 1 - abs(probability - canonical.weight) / 0.5)
            score = 0.6 * label + 0.2 * closeness + 0.2 * order
        else:
            closeness = None
            score = 0.7 * label + 0.3 * order
        # A label that names the stage outright is decisive whatever the probabilities say.
        if label >= 0.97:
            score = max(score, 0.93)
        scored.append((round(score, 3), canonical, label, closeness, order))
    scored.sort(key=lambda s: -s[0])
    best, runner = scored[0], scored[1] if len(scored) > 1 else None
    score, canonical, label, closeness, order = best
    # Two stages neck and neck: say so by keeping the score out of auto-accept.
    if runner and best[0] - runner[0] < 0.05:
        score = min(score, thresholds.auto_accept - 0.01)
    reasons = [
        f"label '{stage.label}' resembles {canonical.label} ({label:.0%})"
        if label < 0.97
        else f"label '{stage.label}' names {canonical.label}"
    ]
    if closeness is not None:
        reasons.append(f"probability {probability:.0%} vs weight {canonical.weight:.0%}")
    if position is not None:
        reasons.append(f"position in the pipeline {order:.0%} aligned")
    disagreements = _disagreements(stage, canonical, probability, position, funnel, scored)
    if disagreements:
        score = min(score, thresholds.auto_accept - 0.01)
        reasons = [f"the readings disagree, so a person decides: {'; '.join(disagreements)}", *reasons]
    weight = probability if probability is not None else canonical.weight
    return Suggestion(
        stage.stage_id,
        canonical.key,
        score,
        thresholds.band(score),
        tuple(reasons),
        Origin.RAPIDFUZZ.value,
        runner[1].key if runner else None,
        runner[0] if runner else None,
        group=stage.pipeline_id,
        weight=weight,
    )


def _disagreements(
    stage: CrmStage,
    chosen: CanonicalStage,
    probability: float | None,
    position: float | None,
    funnel: list[CanonicalStage],
    scored: list,
) -> list[str]:
    """Each reading (label, probability, position) that points somewhere other than `chosen`, in words."""
    if chosen not in funnel:
        return []  # a closed stage chosen by label from a file without CRM metadata: no funnel readings
    said: list[str] = []
    by_label = max(scored, key=lambda s: s[2])[1]
    if by_label != chosen:
        said.append(f"the label '{stage.label}' reads {by_label.label}")
    if probability is not None:
        nearest = probability_reading(probability, funnel)
        if chosen not in nearest:
            names = " or ".join(f"{c.label} ({c.weight:.0%})" for c in nearest)
            said.append(f"the probability {probability:.0%} reads {names}")
        if by_label == chosen and said:
            said.insert(0, f"the label '{stage.label}' reads {chosen.label}")
    if position is not None and len(funnel) > 1:
        step = 1 / (len(funnel) - 1)
        slot = funnel.index(chosen) * step
        if abs(position - slot) > step + 1e-9:
            # More than one stage away from where the stage sits in its pipeline.
            at = min(funnel, key=lambda c: abs(position - funnel.index(c) * step))
            said.append(f"its place in the pipeline reads {at.label}")
    return said
