"""`python -m core eval`: precision, recall and F1 of each suggestion type on the labelled sets in tests/evaluation.

Fields and stages are scored as a classification (a correct "nothing" counts towards accuracy; precision and
recall are over the fields that map to something). Accounts are scored pairwise per outcome (same company,
related), per script, per evidence rule, and for the auto-accept band, on the hand-written `accounts.csv` and on
`real_accounts.csv` (real company names from public sources, built by `build_real_accounts.py`).
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from pathlib import Path

import polars as pl

from domain.canonical import DEFAULT_STAGES, StageSemantics
from domain.config import PROJECT_ROOT
from domain.suggestions.accounts import RELATED, SAME, suggest_duplicates
from domain.suggestions.headless import (
    ACCOUNT_COLUMNS,
    FIELD_COLUMNS,
    STAGE_COLUMNS,
    account_records,
    crm_stages,
    field_suggestions,
    read_table,
    stage_suggestions,
)
from domain.suggestions.model import DEFAULT_THRESHOLDS, Band, BandThresholds
from domain.suggestions.stages import normalise_probability

EVALUATION_DIR = PROJECT_ROOT / "tests" / "evaluation"


@dataclass(frozen=True)
class Score:
    kind: str
    items: int
    precision: float
    recall: float
    f1: float
    accuracy: float | None = None
    auto_accept_wrong: int = 0
    mistakes: tuple[str, ...] = ()
    readings_disagree_auto: int | None = None  # stages: open stages auto-accepted against their probability

    def line(self) -> str:
        accuracy = f"  top-1 accuracy {self.accuracy:.3f}" if self.accuracy is not None else ""
        disagree = (
            f"  auto-accepted against the probability: {self.readings_disagree_auto}"
            if self.readings_disagree_auto is not None
            else ""
        )
        return (
            f"{self.kind:<9} n={self.items:<5} precision {self.precision:.3f}  recall {self.recall:.3f}  "
            f"F1 {self.f1:.3f}{accuracy}  wrong in auto-accept: {self.auto_accept_wrong}{disagree}"
        )


def _prf(true_positive: int, predicted: int, actual: int) -> tuple[float, float, float]:
    precision = true_positive / predicted if predicted else 1.0
    recall = true_positive / actual if actual else 1.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return precision, recall, f1


def _classification(kind: str, labels: list[str], subjects: list[str], suggestions) -> Score:
    predicted = [s.target for s in suggestions]
    correct = [p == e for p, e in zip(predicted, labels, strict=True)]
    true_positive = sum(c and e != "" for c, e in zip(correct, labels, strict=True))
    precision, recall, f1 = _prf(true_positive, sum(p != "" for p in predicted), sum(e != "" for e in labels))
    wrong_auto = sum(not c and s.band == Band.AUTO_ACCEPT for c, s in zip(correct, suggestions, strict=True))
    mistakes = tuple(
        f"{subject}: suggested '{s.target}' ({s.score:.2f}, {s.band.value}), expected '{e}'"
        for subject, s, e, c in zip(subjects, suggestions, labels, correct, strict=True)
        if not c
    )
    return Score(kind, len(labels), precision, recall, f1, sum(correct) / len(labels), wrong_auto, mistakes)


def evaluate_fields(path: Path = EVALUATION_DIR / "fields.csv") -> Score:
    frame = read_table(path, FIELD_COLUMNS + ("expected",))
    suggestions = field_suggestions(frame)
    labels = [e or "" for e in frame["expected"].to_list()]
    return _classification(
        "fields", labels, [f"{o}.{n}" for o, n in frame.select("object", "name").iter_rows()], suggestions
    )


def evaluate_stages(path: Path = EVALUATION_DIR / "stages.csv") -> Score:
    frame = read_table(path, STAGE_COLUMNS + ("expected",))
    suggestions = stage_suggestions(frame)
    labels = [e or "" for e in frame["expected"].to_list()]
    score = _classification(
        "stages", labels, [f"{p}/{s}" for p, s in frame.select("pipeline", "stage_id").iter_rows()], suggestions
    )
    # Counted here without the engine's own reading: the open stages whose weight is nearest the probability.
    weights = {s.key: s.weight for s in DEFAULT_STAGES if s.semantics == StageSemantics.OPEN}
    against = 0
    for stage, suggestion in zip(crm_stages(frame), suggestions, strict=True):
        if stage.is_closed or stage.probability is None or suggestion.band != Band.AUTO_ACCEPT:
            continue
        probability = normalise_probability(stage.probability, stage.system)
        assert probability is not None  # the stage has one
        gap = {key: abs(probability - weight) for key, weight in weights.items()}
        against += suggestion.target in gap and gap[suggestion.target] > min(gap.values()) + 1e-9
    return replace(score, readings_disagree_auto=against)


def evaluate_all() -> list[Score]:
    """Fields and stages (accounts are scored by `evaluate_account_sets`)."""
    return [evaluate_fields(), evaluate_stages()]


# -- accounts ----------------------------------------------------------------------------------------

ACCOUNT_SETS = ("accounts.csv", "real_accounts.csv")
TARGET_PRECISION = 0.99  # the auto-accept band must be at least this precise


@dataclass(frozen=True)
class PairScore:
    """Pairwise precision / recall / F1 of one outcome (or of one script's pairs)."""

    label: str
    actual: int
    predicted: int
    correct: int

    @property
    def precision(self) -> float:
        return _prf(self.correct, self.predicted, self.actual)[0]

    @property
    def recall(self) -> float:
        return _prf(self.correct, self.predicted, self.actual)[1]

    @property
    def f1(self) -> float:
        return _prf(self.correct, self.predicted, self.actual)[2]

    def line(self) -> str:
        return (
            f"{self.label:<24} actual {self.actual:>5}  suggested {self.predicted:>5}  precision "
            f"{self.precision:.3f}  recall {self.recall:.3f}  F1 {self.f1:.3f}"
        )


@dataclass(frozen=True)
class RuleScore:
    """How one evidence rule did: the score it gives against how often it is right."""

    rule: str
    pairs: int
    correct: int
    lowest: float
    highest: float

    def line(self) -> str:
        scores = f"{self.lowest:.2f}" if self.lowest == self.highest else f"{self.lowest:.2f}-{self.highest:.2f}"
        return f"{self.rule:<44} {self.pairs:>5} pairs  precision {self.correct / self.pairs:.3f}  score {scores}"


@dataclass(frozen=True)
class AccountEvaluation:
    """Duplicate-account suggestions scored pairwise on one labelled set.

    Truth: two rows are the *same* company when they share `entity`; *related* when one's `parent_entity` is
    the other's entity (a subsidiary and its parent); every other pair is *different*.
    """

    name: str
    accounts: int
    companies: int
    same: PairScore
    related: PairScore
    scripts: tuple[PairScore, ...]
    auto_accept: PairScore  # same-company pairs in the auto-accept band
    calibrated: float | None  # lowest score from which every score level up is >= TARGET_PRECISION right
    auto_accept_lowest: float | None  # the lowest score a pair in the auto-accept band actually has
    rules: tuple[RuleScore, ...]
    unrelated_non_latin: int  # pairs of unrelated names, neither in Latin script, suggested at all
    mistakes: tuple[str, ...]

    @property
    def band_is_calibrated(self) -> bool:
        """Every score the auto-accept band holds is one measured at least TARGET_PRECISION precise."""
        return self.auto_accept_lowest is None or (
            self.calibrated is not None and self.auto_accept_lowest >= self.calibrated
        )

    def lines(self) -> list[str]:
        calibrated = (
            f"{self.calibrated:.2f}" if self.calibrated is not None else f"none (no score reaches {TARGET_PRECISION})"
        )
        return [
            f"accounts  {self.name}: {self.accounts:,} names of {self.companies:,} companies",
            "  per outcome:",
            f"    {self.same.line()}",
            f"    {self.related.line()}",
            f"    auto-accept band: {self.auto_accept.predicted:,} pairs, precision {self.auto_accept.precision:.4f}"
            f" ({self.auto_accept.predicted - self.auto_accept.correct} wrong); measured safe auto-accept threshold "
            f"(every score from it up >= {TARGET_PRECISION} precise): {calibrated}",
            f"    auto-accept pairs score from {self.auto_accept_lowest or 0:.2f} (the band is safe when that is at"
            f" or above the measured threshold: {'yes' if self.band_is_calibrated else 'NO'})",
            f"    unrelated non-Latin pairs suggested: {self.unrelated_non_latin}",
            "  same company, per script (a pair is 'cross-script' when its two names are in different scripts):",
            *[f"    {s.line()}" for s in self.scripts],
            "  per rule (all suggested pairs, same and related):",
            *[f"    {r.line()}" for r in self.rules],
        ]


def _calibrated(scored: list[tuple[float, bool]]) -> float | None:
    """The lowest score s such that the pairs at every score from s up are each at least TARGET_PRECISION right.

    Each score level must hold on its own: over all pairs at or above s, a thousand easy pairs at 0.95 would hide
    a weak rule at 0.86 that is right only 96 times in 100.
    """
    levels: dict[float, list[bool]] = {}
    for score, right in scored:
        levels.setdefault(round(score, 3), []).append(right)
    best = None
    for score in sorted(levels, reverse=True):
        if sum(levels[score]) / len(levels[score]) < TARGET_PRECISION:
            break
        best = score
    return best


def evaluate_accounts(
    path: Path = EVALUATION_DIR / "accounts.csv", thresholds: BandThresholds = DEFAULT_THRESHOLDS
) -> AccountEvaluation:
    frame = read_table(path, ACCOUNT_COLUMNS + ("entity",))
    for column in ("parent_entity", "script"):
        if column not in frame.columns:
            frame = frame.with_columns(pl.lit(None, pl.String).alias(column))
    run = suggest_duplicates(account_records(frame), thresholds=thresholds)
    names = dict(frame.select("account_id", "name").iter_rows())
    entity = dict(frame.select("account_id", "entity").iter_rows())
    parent = dict(frame.select("account_id", "parent_entity").iter_rows())
    script = {k: v or "latin" for k, v in frame.select("account_id", "script").iter_rows()}

    def truth(a: str, b: str) -> str:
        if entity[a] == entity[b]:
            return SAME
        return RELATED if parent[a] == entity[b] or parent[b] == entity[a] else "different"

    def pair_script(a: str, b: str) -> str:
        return script[a] if script[a] == script[b] else "cross-script"

    groups = frame.group_by("entity").agg(pl.col("account_id"))["account_id"].to_list()
    actual_same = {tuple(sorted((x, y))) for ids in groups for x in ids for y in ids if x < y}
    children = frame.filter(pl.col("parent_entity").is_not_null())
    actual_related = {
        tuple(sorted((c, p)))
        for c, parent_entity in children.select("account_id", "parent_entity").iter_rows()
        for p in frame.filter(pl.col("entity") == parent_entity)["account_id"]
    }
    rows = run.pairs.select("account_id_a", "account_id_b", "relation", "band", "score", "rule").rows()
    same = [(a, b, band, score) for a, b, relation, band, score, _ in rows if relation == SAME]
    related = [(a, b) for a, b, relation, *_ in rows if relation == RELATED]

    def score_of(label: str, actual: set, predicted: list[tuple[str, str]], kind: str) -> PairScore:
        return PairScore(label, len(actual), len(predicted), sum(truth(a, b) == kind for a, b in predicted))

    scripts = sorted(
        {pair_script(a, b) for a, b in actual_same} | {pair_script(a, b) for a, b, *_ in same},
        key=lambda s: (s == "cross-script", s),
    )
    per_script = tuple(
        score_of(
            s,
            {p for p in actual_same if pair_script(*p) == s},
            [(a, b) for a, b, *_ in same if pair_script(a, b) == s],
            SAME,
        )
        for s in scripts
    )
    rules: dict[str, list[tuple[bool, float]]] = {}
    for a, b, relation, _band, score, rule in rows:
        rules.setdefault(rule or "(unnamed)", []).append((truth(a, b) == relation, score))
    rule_scores = tuple(
        sorted(
            (
                RuleScore(rule, len(v), sum(r for r, _ in v), min(s for _, s in v), max(s for _, s in v))
                for rule, v in rules.items()
            ),
            key=lambda r: (-r.highest, r.rule),
        )
    )
    auto = [(a, b) for a, b, band, _ in same if band == Band.AUTO_ACCEPT.value]
    unrelated_non_latin = sum(
        truth(a, b) == "different" and script[a] != "latin" and script[b] != "latin" for a, b, *_ in rows
    )
    wrong = [(band, score, a, b, relation) for a, b, relation, band, score, _ in rows if truth(a, b) != relation]
    mistakes = tuple(
        [
            f"suggested {relation} ({band}, {score:.2f}) but {truth(a, b)}: {names[a]} / {names[b]}"
            for band, score, a, b, relation in sorted(wrong, key=lambda w: -w[1])
        ]
        + [
            f"missed same: {names[a]} / {names[b]}"
            for a, b in sorted(actual_same - {(a, b) for a, b, *_ in same})
            if script[a] == script[b]
        ]
    )
    return AccountEvaluation(
        name=path.name,
        accounts=frame.height,
        companies=frame["entity"].n_unique(),
        same=score_of("same company", actual_same, [(a, b) for a, b, *_ in same], SAME),
        related=score_of("related (parent/child)", actual_related, related, RELATED),
        scripts=per_script,
        auto_accept=score_of("auto-accept", actual_same, auto, SAME),
        calibrated=_calibrated([(score, truth(a, b) == SAME) for a, b, _, score in same]),
        auto_accept_lowest=min((score for _, _, band, score in same if band == Band.AUTO_ACCEPT.value), default=None),
        rules=rule_scores,
        unrelated_non_latin=unrelated_non_latin,
        mistakes=mistakes,
    )


def evaluate_account_sets() -> list[AccountEvaluation]:
    """Every labelled account set: the hand-written one and the real company names."""
    return [evaluate_accounts(EVALUATION_DIR / name) for name in ACCOUNT_SETS]
