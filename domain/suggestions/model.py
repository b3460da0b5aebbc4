"""What every suggestion carries: a target, a score in [0, 1], a band, the reasons in words, the runner-up
and where it came from."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from enum import StrEnum


class Band(StrEnum):
    """How much review a suggestion needs, decided by its score against the workspace thresholds."""

    AUTO_ACCEPT = "auto-accept"
    REVIEW = "review"
    REJECT = "reject"


class Origin(StrEnum):
    DICTIONARY = "dictionary"
    RULES = "rules"
    RAPIDFUZZ = "rapidfuzz"
    LLM = "LLM"


@dataclass(frozen=True)
class BandThresholds:
    """auto-accept at or above `auto_accept`; review at or above `review`; reject below."""

    auto_accept: float = 0.90
    review: float = 0.50

    def __post_init__(self) -> None:
        if not 0 < self.review < self.auto_accept <= 1:
            raise ValueError("Band thresholds need 0 < review < auto-accept <= 1.")

    def band(self, score: float) -> Band:
        if score >= self.auto_accept:
            return Band.AUTO_ACCEPT
        return Band.REVIEW if score >= self.review else Band.REJECT


DEFAULT_THRESHOLDS = BandThresholds()


def thresholds_from(settings) -> BandThresholds:
    """The bands a workspace's settings ask for (REVENUE_CONNECTOR_AUTO_ACCEPT / _REVIEW_FLOOR)."""
    from domain.errors import ConfigurationError

    try:
        return BandThresholds(auto_accept=settings.auto_accept, review=settings.review_floor)
    except ValueError as exc:
        raise ConfigurationError(f"Suggestion thresholds: {exc}") from exc


NOTHING = ""  # the target of "maps to nothing"


@dataclass(frozen=True)
class Suggestion:
    """One proposed mapping of `subject` (a field, a stage) onto `target` (NOTHING: maps to nothing)."""

    subject: str
    target: str
    score: float
    band: Band
    reasons: tuple[str, ...]
    origin: str
    runner_up: str | None = None
    runner_up_score: float | None = None
    group: str = ""  # the object (fields) or pipeline (stages) the subject belongs to
    weight: float | None = None  # stages only: the suggested probability weight
    extra: dict = field(default_factory=dict, compare=False)

    @property
    def reason(self) -> str:
        return "; ".join(self.reasons)

    def with_score(
        self,
        score: float,
        thresholds: BandThresholds,
        *reasons: str,
        origin: str | None = None,
        target: str | None = None,
    ) -> Suggestion:
        score = round(min(max(score, 0.0), 1.0), 3)
        return replace(
            self,
            score=score,
            band=thresholds.band(score),
            reasons=self.reasons + reasons,
            origin=origin or self.origin,
            target=self.target if target is None else target,
        )
