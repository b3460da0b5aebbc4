"""What a field's sample values look like: currency codes, movement words, dates, numbers, e-mails."""

from __future__ import annotations

import re
from datetime import date, datetime
from enum import StrEnum

from domain.suggestions.text import phrase

# ISO 4217 codes in everyday use; a column of these is a currency column.
CURRENCY_CODES = frozenset(
    [
        "USD",
        "EUR",
        "GBP",
        "JPY",
        "CHF",
        "CAD",
        "AUD",
        "NZD",
        "SEK",
        "NOK",
        "DKK",
        "PLN",
        "CZK",
        "HUF",
        "RON",
        "BGN",
        "HRK",
        "ISK",
        "TRY",
        "RUB",
        "UAH",
        "ILS",
        "AED",
        "SAR",
        "QAR",
        "KWD",
        "BHD",
        "OMR",
        "EGP",
        "ZAR",
        "NGN",
        "KES",
        "MAD",
        "INR",
        "PKR",
        "BDT",
        "LKR",
        "CNY",
        "HKD",
        "TWD",
        "KRW",
        "SGD",
        "MYR",
        "THB",
        "IDR",
        "PHP",
        "VND",
        "BRL",
        "MXN",
        "ARS",
        "CLP",
        "COP",
        "PEN",
        "UYU",
    ]
)

# CRM words for ARR movements (also the dictionary for movement-type values).
MOVEMENT_WORDS: dict[str, str] = {
    "new": "new",
    "new business": "new",
    "new logo": "new",
    "new customer": "new",
    "initial": "new",
    "first purchase": "new",
    "land": "new",
    "expansion": "expansion",
    "upsell": "expansion",
    "up sell": "expansion",
    "cross sell": "expansion",
    "crosssell": "expansion",
    "add on": "expansion",
    "addon": "expansion",
    "price increase": "expansion",
    "upgrade": "expansion",
    "seat increase": "expansion",
    "expand": "expansion",
    "uplift": "expansion",
    "contraction": "contraction",
    "downsell": "contraction",
    "down sell": "contraction",
    "downgrade": "contraction",
    "seat reduction": "contraction",
    "price decrease": "contraction",
    "reduction": "contraction",
    "churn": "churn",
    "cancellation": "churn",
    "cancelled": "churn",
    "canceled": "churn",
    "lost": "churn",
    "termination": "churn",
    "non renewal": "churn",
    "churned": "churn",
    "reactivation": "reactivation",
    "win back": "reactivation",
    "winback": "reactivation",
    "reactivated": "reactivation",
    "resurrection": "reactivation",
    "return": "reactivation",
}


class Profile(StrEnum):
    CURRENCY_CODES = "currency codes"
    MOVEMENT_WORDS = "movement words"
    DATES = "dates"
    NUMBERS = "numbers"
    EMAILS = "e-mail addresses"
    IDS = "record IDs"
    TEXT = "text"
    EMPTY = "no samples"


_ID = re.compile(r"^[a-zA-Z0-9]{15}$|^[a-zA-Z0-9]{18}$|^\d{5,}$")


def _is_date(value: str) -> bool:
    text = value.strip()
    for parse in (date.fromisoformat, datetime.fromisoformat):
        try:
            parse(text.replace("Z", "+00:00"))
            return True
        except ValueError:
            continue
    return False


def _is_number(value: str) -> bool:
    try:
        float(value.replace(",", ""))
        return True
    except ValueError:
        return False


def profile(samples: tuple[str, ...] | list[str]) -> Profile:
    """The one kind that describes all non-empty samples (movement words: most of them)."""
    values = [s.strip() for s in samples if s is not None and str(s).strip()]
    if not values:
        return Profile.EMPTY
    if all(v.upper() in CURRENCY_CODES and len(v) == 3 for v in values):
        return Profile.CURRENCY_CODES
    if sum(phrase(v) in MOVEMENT_WORDS for v in values) * 2 > len(values):
        return Profile.MOVEMENT_WORDS
    if all(_is_number(v) for v in values):
        return Profile.NUMBERS
    if all(_is_date(v) for v in values):
        return Profile.DATES
    if all("@" in v and "." in v.split("@")[-1] for v in values):
        return Profile.EMAILS
    if all(_ID.match(v) and any(c.isdigit() for c in v) for v in values):
        return Profile.IDS
    return Profile.TEXT
