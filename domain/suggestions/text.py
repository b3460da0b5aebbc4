"""Turning CRM names into comparable words: split camelCase and snake_case, drop `__c` and `hs_` affixes."""

from __future__ import annotations

import re
import unicodedata

_CAMEL = re.compile(r"(?<=[a-z0-9])(?=[A-Z])|(?<=[A-Z])(?=[A-Z][a-z])")
_NON_WORD = re.compile(r"[^a-z0-9]+")
# Affixes that carry no meaning: Salesforce custom suffixes, HubSpot's internal prefix, managed-package namespaces.
_AFFIXES = re.compile(r"(__c|__r|__pc)$|^(hs_)|^[a-z0-9]+__(?=[a-z])", re.IGNORECASE)


def words(name: str) -> list[str]:
    """'ARR_Change__c' -> ['arr', 'change']; 'hs_closed_amount' -> ['closed', 'amount']; 'CloseDate' -> ['close', 'date']."""
    stripped = _AFFIXES.sub("", name.strip())
    spaced = _CAMEL.sub(" ", stripped.replace(".", " "))
    return [w for w in _NON_WORD.split(fold(spaced).lower()) if w]


def phrase(name: str) -> str:
    return " ".join(words(name))


def fold(text: str) -> str:
    """Drop accents: 'Société' -> 'Societe'."""
    return "".join(c for c in unicodedata.normalize("NFKD", text) if not unicodedata.combining(c))
