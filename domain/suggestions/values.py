"""Value suggestions: CRM picklist values onto canonical values (movement types such as 'Upsell' -> expansion)."""

from __future__ import annotations

from rapidfuzz import fuzz, process

from domain.canonical import MovementComponent
from domain.suggestions.model import DEFAULT_THRESHOLDS, NOTHING, BandThresholds, Origin, Suggestion
from domain.suggestions.profile import MOVEMENT_WORDS
from domain.suggestions.text import phrase


def suggest_movement_components(
    values: list[str], *, group: str = "", thresholds: BandThresholds = DEFAULT_THRESHOLDS
) -> list[Suggestion]:
    """One suggestion per distinct CRM value: the dictionary of movement words first, then rapidfuzz."""
    suggestions = []
    vocabulary = list(MOVEMENT_WORDS)
    for value in dict.fromkeys(v for v in values if v and v.strip()):
        text = phrase(value)
        if text in MOVEMENT_WORDS:
            target = MOVEMENT_WORDS[text]
            suggestions.append(
                Suggestion(
                    value,
                    target,
                    0.97,
                    thresholds.band(0.97),
                    (f"'{value}' is a known word for {target}",),
                    Origin.DICTIONARY.value,
                    group=group,
                )
            )
            continue
        matches = process.extract(text, vocabulary, scorer=fuzz.WRatio, limit=3)
        if matches and matches[0][1] >= 80:
            word, similarity, _ = matches[0]
            target = MOVEMENT_WORDS[word]
            runner = next((MOVEMENT_WORDS[m[0]] for m in matches[1:] if MOVEMENT_WORDS[m[0]] != target), None)
            score = round(0.85 * similarity / 100, 3)
            suggestions.append(
                Suggestion(
                    value,
                    target,
                    score,
                    thresholds.band(score),
                    (f"'{value}' resembles '{word}' ({similarity:.0f}%)",),
                    Origin.RAPIDFUZZ.value,
                    runner,
                    None,
                    group=group,
                )
            )
        else:
            suggestions.append(
                Suggestion(
                    value,
                    NOTHING,
                    0.4,
                    thresholds.band(0.4),
                    (
                        f"'{value}' is not a movement word we know; choose one of "
                        f"{', '.join(c.value for c in MovementComponent)}",
                    ),
                    Origin.RULES.value,
                    group=group,
                )
            )
    return suggestions
