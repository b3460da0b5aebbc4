"""Domain routing: which source objects feed pipeline and ARR actuals, first one winning ties."""

from __future__ import annotations

import re
from dataclasses import dataclass

from domain.canonical import Domain


@dataclass(frozen=True)
class RouteChoice:
    """One source object for a domain; its position in a list is its priority (first wins)."""

    connection_id: int
    object_name: str


# Words in an object's name that say what it holds. Only a starting point: the user saves the routing.
_DOMAIN_WORDS: dict[Domain, tuple[str, ...]] = {
    Domain.PIPELINE: ("opportunit", "deal", "pipeline"),
    Domain.ARR_ACTUALS: ("arr", "movement", "subscription", "recurring"),
}


# Objects about records rather than records themselves: stage masters, history, line items, shares.
_NOT_RECORDS = {
    "stage",
    "stages",
    "history",
    "field",
    "line",
    "item",
    "items",
    "share",
    "feed",
    "role",
    "team",
    "contact",
    "split",
    "partner",
    "competitor",
}


def _words(name: str) -> list[str]:
    spaced = re.sub(r"(?<=[a-z0-9])(?=[A-Z])", " ", name)  # OpportunityStage -> Opportunity Stage
    return re.sub(r"[^a-z0-9]+", " ", spaced.lower()).split()


def suggest_routes(objects: list[tuple[int, str]]) -> dict[Domain, list[RouteChoice]]:
    """Suggest routes from object names, e.g. 'opportunities' -> pipeline, 'arr_movements' -> ARR actuals."""
    suggestions: dict[Domain, list[RouteChoice]] = {domain: [] for domain in Domain}
    for connection_id, name in objects:
        words = _words(name)
        if _NOT_RECORDS & set(words):
            continue
        for domain, stems in _DOMAIN_WORDS.items():
            if any(word.startswith(stem) for word in words for stem in stems):
                suggestions[domain].append(RouteChoice(connection_id, name))
                break
    return suggestions
