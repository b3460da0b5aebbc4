"""Normalising company names and websites for duplicate detection (vectorised, polars).

'The Acme Company, Inc.' and 'ACME co' both become `acme`; 'Acme (EMEA)' and 'Acme UK Ltd' become `acme`
with a regional qualifier kept aside, because a regional entity is often a different customer.
"""

from __future__ import annotations

import polars as pl

# Legal forms, as they read after dots are dropped and case is folded ('S.A.' -> 'sa').
LEGAL_FORMS = ("inc", "aktiengesellschaft", "gesellschaft mit beschrankter haftung", "societe anonyme", "incorporated", "llc", "l l c", "ltd", "limited", "gmbh", "ag", "sa", "plc", "corp",
               "corporation", "co", "company", "bv", "nv", "srl", "sarl", "sas", "spa", "pty", "oy", "oyj", "ab", "as",
               "asa", "aps", "kk", "lp", "llp", "pte", "pvt", "private", "kg", "se", "bhd", "sdn", "sl", "sro", "zrt",
               "kft", "doo", "ooo", "sp z oo", "mbh", "ug", "ek", "cv", "ltda", "sae", "sa de cv")
REGIONS = ("emea", "apac", "amer", "americas", "latam", "na", "north america", "uk", "us", "usa", "de", "fr", "nl",
           "es", "it", "jp", "au", "ca", "in", "br", "mx", "sg", "europe", "asia", "asia pacific", "germany",
           "deutschland", "france", "japan", "australia", "canada", "india", "brazil", "mexico", "singapore", "dach",
           "benelux", "nordics", "nordic", "uk and ireland", "ireland", "spain", "italy", "netherlands", "china",
           "hong kong", "middle east")
# Free-mail and hosting domains say nothing about which company a record is.
GENERIC_DOMAINS = ("gmail.com", "yahoo.com", "hotmail.com", "outlook.com", "live.com", "aol.com", "icloud.com",
                   "example.com", "linkedin.com", "facebook.com", "wixsite.com", "squarespace.com", "godaddysites.com")
COUNTRY_ALIASES = {
    "usa": "us", "united states": "us", "united states of america": "us", "u s": "us", "america": "us",
    "uk": "gb", "united kingdom": "gb", "great britain": "gb", "england": "gb", "scotland": "gb", "wales": "gb",
    "germany": "de", "deutschland": "de", "france": "fr", "spain": "es", "espana": "es", "italy": "it",
    "netherlands": "nl", "the netherlands": "nl", "holland": "nl", "switzerland": "ch", "schweiz": "ch",
    "austria": "at", "osterreich": "at", "belgium": "be", "sweden": "se", "norway": "no", "denmark": "dk",
    "finland": "fi", "ireland": "ie", "canada": "ca", "mexico": "mx", "brazil": "br", "brasil": "br",
    "japan": "jp", "china": "cn", "india": "in", "australia": "au", "singapore": "sg", "new zealand": "nz",
}

_LEGAL = "|".join(sorted((f.replace(" ", r"\s") for f in LEGAL_FORMS), key=len, reverse=True))
_REGION = "|".join(sorted((r.replace(" ", r"\s") for r in REGIONS), key=len, reverse=True))


def _fold(expr: pl.Expr) -> pl.Expr:
    return expr.fill_null("").str.normalize("NFKD").str.replace_all(r"\p{M}", "").str.to_lowercase()


def normalise_accounts(accounts: pl.DataFrame) -> pl.DataFrame:
    """Add `core` (comparable name), `legal` (removed legal form), `region`, `domain` and `country_code`.

    `accounts` needs columns id, name, website, country (website and country may be null).
    """
    folded = _fold(pl.col("name"))
    paren = folded.str.extract(r"\(([^)]*)\)", 1).str.replace_all(r"[^a-z0-9 ]", "").str.strip_chars()
    no_paren = folded.str.replace_all(r"\([^)]*\)", " ")
    # 'salesforce.com, inc' is Salesforce; "Margie's" and "Margies" are one word.
    words_only = (no_paren.str.replace_all(r"\.(?:com|net|org|io)\b", "").str.replace_all(r"['’`]", "")
                  .str.replace_all(r"[&+]", " and ").str.replace_all(r"\.", "")
                  .str.replace_all(r"[^a-z0-9]+", " ").str.strip_chars())
    frame = accounts.with_columns(_words=words_only, _paren=paren)
    # 'GmbH & Co. KG' reads 'gmbh and co kg': an 'and' inside a trailing run of legal forms belongs to it.
    legal_tail = rf"(?:\s(?:{_LEGAL}|and))*\s(?:{_LEGAL})$"
    frame = frame.with_columns(
        _legal=pl.col("_words").str.extract(rf"((?:\s(?:{_LEGAL}|and))*\s(?:{_LEGAL}))$", 1).str.strip_chars(),
        _stem=pl.col("_words").str.replace(legal_tail, ""),
    )
    frame = frame.with_columns(
        _tail_region=pl.col("_stem").str.extract(rf"\s({_REGION})$", 1),
    )
    frame = frame.with_columns(
        region=pl.when(pl.col("_paren").is_not_null() & (pl.col("_paren") != "")).then(pl.col("_paren"))
        .otherwise(pl.col("_tail_region")),
        core=pl.col("_stem").str.replace(rf"\s(?:{_REGION})$", "").str.replace(r"^the\s", "")
        .str.replace(legal_tail, "").str.strip_chars(),
        legal=pl.col("_legal"),
    )
    # A name made only of a legal form or region ('The Company') keeps its words.
    frame = frame.with_columns(core=pl.when(pl.col("core").is_in(["", "the"])).then(pl.col("_words")).otherwise(pl.col("core")))
    host = (_fold(pl.col("website")).str.replace(r"^[a-z]+://", "").str.replace(r"^www\d*\.", "")
            .str.replace(r"[/:?#].*$", "").str.strip_chars("."))
    domain = host.str.extract(r"([a-z0-9-]+\.(?:co|com|org|net|ac|gov|edu)\.[a-z]{2}|[a-z0-9-]+\.[a-z0-9-]+)$", 1)
    country = _fold(pl.col("country")).str.replace_all(r"[^a-z ]", "").str.strip_chars()
    return frame.with_columns(
        domain=pl.when(domain.is_in(GENERIC_DOMAINS) | (domain == "")).then(None).otherwise(domain),
        country_code=pl.when(country == "").then(None).otherwise(country.replace(COUNTRY_ALIASES)),
    ).drop("_words", "_paren", "_legal", "_stem", "_tail_region")
