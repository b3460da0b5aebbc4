"""Synthetic account lists for the duplicate benchmark: distinct companies plus planted duplicates.

Names are built from word lists, so many companies share words (as real ones do: 'Delta', 'General');
about one in ten companies gets a second record written differently (legal form, case, '&'/'and',
'The', a typo), some with the website, some without.
"""

from __future__ import annotations

import numpy as np
import polars as pl

_FIRST = [
    "Acme",
    "Alpha",
    "Apex",
    "Atlas",
    "Aurora",
    "Beacon",
    "Blue",
    "Bright",
    "Cedar",
    "Citadel",
    "Cobalt",
    "Summit",
    "Crescent",
    "Delta",
    "Eagle",
    "Echo",
    "Ember",
    "Evergreen",
    "Falcon",
    "First",
    "Frontier",
    "General",
    "Global",
    "Golden",
    "Granite",
    "Harbor",
    "Horizon",
    "Iron",
    "Juniper",
    "Keystone",
    "Liberty",
    "Lumen",
    "Maple",
    "Meridian",
    "Metro",
    "Nova",
    "Oak",
    "Orion",
    "Pacific",
    "Peak",
    "Pioneer",
    "Polar",
    "Prime",
    "Quantum",
    "Radiant",
    "Red",
    "Ridge",
    "River",
    "Sapphire",
    "Silver",
    "Sky",
    "Solar",
    "Spring",
    "Star",
    "Sterling",
    "Stone",
    "Sun",
    "Titan",
    "Trinity",
    "Union",
    "United",
    "Vertex",
    "Vista",
    "West",
    "Willow",
    "Zenith",
]
_SECOND = [
    "Air",
    "Analytics",
    "Bank",
    "Bio",
    "Brands",
    "Capital",
    "Cloud",
    "Consulting",
    "Data",
    "Dental",
    "Devices",
    "Digital",
    "Dynamics",
    "Energy",
    "Engineering",
    "Foods",
    "Freight",
    "Games",
    "Health",
    "Holdings",
    "Industries",
    "Insurance",
    "Labs",
    "Logistics",
    "Media",
    "Medical",
    "Metals",
    "Mills",
    "Mining",
    "Motors",
    "Networks",
    "Partners",
    "Pharma",
    "Power",
    "Retail",
    "Robotics",
    "Security",
    "Semiconductors",
    "Software",
    "Solutions",
    "Systems",
    "Telecom",
    "Textiles",
    "Therapeutics",
    "Tools",
    "Travel",
    "Ventures",
    "Water",
    "Wireless",
    "Works",
]
_THIRD = ("", "", "", "Group", "International", "Services", "Technologies", "North", "Labs", "Company")
_LEGAL = ("", "", "Inc.", "LLC", "Ltd", "Corp.", "GmbH", "S.A.", "plc", "Co.")
_COUNTRIES = ("US", "US", "US", "GB", "DE", "FR", "CA", "AU", "NL", "ES")


def _typo(name: str, rng: np.random.Generator) -> str:
    if len(name) < 6:
        return name
    i = int(rng.integers(1, len(name) - 2))
    return name[:i] + name[i + 1] + name[i] + name[i + 2 :]


def synthetic_accounts(n: int, seed: int = 5, duplicate_share: float = 0.1) -> tuple[pl.DataFrame, pl.DataFrame]:
    """`n` accounts (id, name, website, country) and the planted duplicate pairs (account_id_a, account_id_b)."""
    rng = np.random.default_rng(seed)
    companies = max(1, int(n / (1 + duplicate_share)))
    first = rng.integers(0, len(_FIRST), companies)
    second = rng.integers(0, len(_SECOND), companies)
    third = rng.integers(0, len(_THIRD), companies)
    serial = np.arange(companies)
    base = [
        f"{_FIRST[f]} {_SECOND[s]}{(' ' + _THIRD[t]) if _THIRD[t] else ''} {i:x}".replace(f" {i:x}", f" {_code(i)}")
        for f, s, t, i in zip(first, second, third, serial, strict=True)
    ]
    legal = rng.integers(0, len(_LEGAL), companies)
    names = [f"{b} {_LEGAL[g]}".strip() for b, g in zip(base, legal, strict=True)]
    sites = [f"{b.lower().replace(' ', '')}.com" for b in base]
    countries = [_COUNTRIES[c] for c in rng.integers(0, len(_COUNTRIES), companies)]
    dup_count = n - companies
    picks = rng.choice(companies, size=dup_count, replace=False) if dup_count > 0 else np.array([], dtype=int)
    variants = rng.integers(0, 5, dup_count)
    keep_site = rng.random(dup_count) < 0.5
    dup_names, dup_sites, dup_countries = [], [], []
    for pick, variant, site in zip(picks, variants, keep_site, strict=True):
        original = base[pick]
        variant_name = (
            original.upper(),
            f"The {original}",
            f"{original} Incorporated",
            _typo(original, rng),
            original.replace(" ", "  ") + " Ltd",
        )[variant]
        dup_names.append(variant_name)
        dup_sites.append(f"https://www.{sites[pick]}/" if site else None)
        dup_countries.append(countries[pick])
    frame = pl.DataFrame(
        {
            "id": [f"C{i:07d}" for i in range(companies)] + [f"D{i:07d}" for i in range(dup_count)],
            "name": names + dup_names,
            "website": sites + dup_sites,
            "country": countries + dup_countries,
        }
    )
    truth = pl.DataFrame(
        {"account_id_a": [f"C{p:07d}" for p in picks], "account_id_b": [f"D{i:07d}" for i in range(dup_count)]},
        schema={"account_id_a": pl.String, "account_id_b": pl.String},
    )
    return frame, truth


def _code(i: int) -> str:
    """A pronounceable suffix that keeps generated companies distinct ('Delta Motors Kavo')."""
    consonants, vowels = "bdfgklmnprstvz", "aeiou"
    out = []
    while True:
        out.append(consonants[i % 14] + vowels[(i // 14) % 5])
        i //= 70
        if i == 0:
            break
    return "".join(out).title()
