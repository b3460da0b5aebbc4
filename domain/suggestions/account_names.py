"""Company names, websites and countries made comparable, in any script (vectorised, polars).

Kept libraries do the parts they exist for: `anyascii` transliterates (Сбербанк -> sberbank, the original is
kept for display), `cleanco` knows the world's legal forms, `tldextract` finds the registered domain with
its bundled Public Suffix List (no network), `pycountry` knows countries. What they do not cover is added
here and says why: legal forms written in CJK and Korean, the markers SEC filings append (`/DE/`), the
words that describe a company without naming it.

Each account gets:
- `script`: latin, cjk (Han, kana, Hangul), cyrillic, arabic, hebrew, greek, other, or mixed;
- `core`: the distinctive words, transliterated, legal form and regional qualifier removed
  ('The Acme Company, Inc.' -> 'acme'; 'Goldman Sachs - UK' -> 'goldman sachs');
- `chars`: for CJK and Korean names, the characters themselves without legal form and spaces (such a name
  has no words, so word rules never apply to it);
- `region`: a regional or country qualifier the name carries ('uk', 'emea', 'japan');
- `domain`: the registered domain of the website (or of a name that is a domain, 'pwc.com');
- `country_code`: ISO 3166 alpha-2 of the billing country.
"""

from __future__ import annotations

from functools import lru_cache

import polars as pl

# Words that describe a company without naming it: an extra one on one side is weak evidence against a match.
DESCRIPTORS = frozenset(
    {
        "group",
        "holding",
        "holdings",
        "international",
        "intl",
        "global",
        "worldwide",
        "services",
        "service",
        # Not 'partners' or 'trust': 'Cheniere Energy Partners' and 'Blackstone Mortgage Trust' are other entities.
        "solutions",
        "company",
        "companies",
        "corporation",
        "enterprises",
        "enterprise",
        "industries",
        "the",
        "and",
        "of",
        "brands",
        "incorporated",
        "limited",
        "public",
    }
)
# Abbreviations finance and CRM users write, and the word each stands for.
ABBREVIATIONS = {
    "intl": "international",
    "int": "international",
    "natl": "national",
    "mfg": "manufacturing",
    "svc": "services",
    "svcs": "services",
    "sys": "systems",
    "tech": "technology",
    "techs": "technologies",
    "hldgs": "holdings",
    "hldg": "holding",
    "grp": "group",
    "bros": "brothers",
    "assoc": "associates",
    "assn": "association",
    "inds": "industries",
    "ind": "industries",
    "pharma": "pharmaceuticals",
    "pharm": "pharmaceuticals",
    "labs": "laboratories",
    "lab": "laboratory",
    "mgmt": "management",
    "fin": "financial",
    "finl": "financial",
    "univ": "university",
    "dept": "department",
    "ctr": "center",
    "centre": "center",
    "cos": "companies",
    "mtn": "mountain",
    "amer": "american",
    "corp": "corporation",
    "co": "company",
    "ltd": "limited",
    "inc": "incorporated",
    "intl.": "international",
}
# Regional qualifiers that are not country names (countries come from pycountry).
REGION_WORDS = frozenset(
    {
        "emea",
        "apac",
        "amer",
        "americas",
        "latam",
        "nordics",
        "nordic",
        "dach",
        "benelux",
        "europe",
        "european",
        "asia",
        "asia pacific",
        "pacific",
        "middle east",
        "africa",
        "north america",
        "south america",
        "gulf",
        "uk",
        "usa",
        "us",
        "eu",
        "anz",
        "mena",
        "uae",
        "hk",
    }
)
# Legal forms cleanco does not list, in scripts and spellings seen in real CRM exports.
EXTRA_LEGAL_FORMS = (
    "public company limited",
    "public co ltd",
    "public ltd co",
    "public limited company",
    "public limited co",
    "pcl",
    "tbk",
    "kabushiki kaisha",
    "k k",
    "yugen kaisha",
    "godo kaisha",
    "sab de cv",
    "s a b de c v",
    "sa de cv",
    "s a de c v",
    "de cv",
    "p l c",
    "n v",
    "b v",
    "a g",
    "s a",
    "s p a",
    "s r l",
    "l l c",
    "l p",
    "adr",
    "ads",
    "aktiengesellschaft",
    "societe anonyme",
    "gesellschaft mit beschrankter haftung",
    "pjsc",
    "ojsc",
    "jsc",
    "pao",
    "oao",
    "ooo",
    "zao",
    "ao",
    "nk",
    "ak",
    "ltd",
    "limited",
    "corp",
    "corporation",
    "inc",
    "incorporated",
    "co",
    "company",
    "plc",
    "llc",
    "lp",
    # Russian legal forms written out (as transliterated): public / closed / plain joint-stock company, LLC.
    "publichnoe aktsionernoe obshchestvo",
    "zakrytoe aktsionernoe obshchestvo",
    "otkrytoe aktsionernoe obshchestvo",
    "aktsionernoe obshchestvo",
    "obshchestvo s ogranichennoy otvetstvennostyu",
)
# Legal forms that open a name ('PT Chandra Asri', 'ПАО Сбербанк'); any other legal form only ends one, so a
# company called 'PC Connection' keeps its 'PC'.
LEADING_LEGAL_FORMS = (
    "pt",
    "cv",
    "pao",
    "ooo",
    "oao",
    "zao",
    "ao",
    "nk",
    "ak",
    "pjsc",
    "ojsc",
    "jsc",
    "tov",
    "pp",
    "publichnoe aktsionernoe obshchestvo",
    "zakrytoe aktsionernoe obshchestvo",
    "otkrytoe aktsionernoe obshchestvo",
    "aktsionernoe obshchestvo",
    "obshchestvo s ogranichennoy otvetstvennostyu",
)
# Words that open a name without naming anyone: 'The', and Dutch 'Koninklijke' (Royal: Koninklijke Philips).
LEADING_WORDS = r"^(?:the|koninklijke)\s"
# Legal forms written in CJK or Korean, removed from a CJK name's characters.
CJK_LEGAL_FORMS = (
    "股份有限公司",
    "有限责任公司",
    "有限責任公司",
    "有限公司",
    "株式会社",
    "有限会社",
    "合同会社",
    "(株)",
    "（株）",
    "㈱",
    "주식회사",
    "(주)",
    "（주）",
    "㈜",
    "公司",
    "会社",
)
# Words a CJK name adds that describe rather than name (group, holdings, co.).
CJK_DESCRIPTORS = ("控股", "集团", "集團", "股份", "グループ", "ホールディングス", "ＨＤ", "HD", "Ｇ", "홀딩스", "그룹")
# Free mail and hosting domains say nothing about which company a record is.
GENERIC_DOMAINS = frozenset(
    {
        "gmail.com",
        "googlemail.com",
        "yahoo.com",
        "hotmail.com",
        "outlook.com",
        "live.com",
        "msn.com",
        "aol.com",
        "icloud.com",
        "me.com",
        "proton.me",
        "protonmail.com",
        "gmx.com",
        "gmx.de",
        "web.de",
        "mail.com",
        "qq.com",
        "163.com",
        "126.com",
        "yandex.ru",
        "mail.ru",
        "example.com",
        "example.org",
        "linkedin.com",
        "facebook.com",
        "wixsite.com",
        "squarespace.com",
        "godaddysites.com",
        "wordpress.com",
        "blogspot.com",
        "sites.google.com",
    }
)
# Colloquial country names pycountry does not know.
COUNTRY_ALIASES = {
    "uk": "GB",
    "england": "GB",
    "scotland": "GB",
    "wales": "GB",
    "great britain": "GB",
    "britain": "GB",
    "holland": "NL",
    "usa": "US",
    "u s": "US",
    "u s a": "US",
    "america": "US",
    "deutschland": "DE",
    "schweiz": "CH",
    "suisse": "CH",
    "espana": "ES",
    "brasil": "BR",
    "osterreich": "AT",
    "nippon": "JP",
    "korea": "KR",
    "south korea": "KR",
    "russia": "RU",
    "czech republic": "CZ",
    "turkey": "TR",
    "uae": "AE",
    "vietnam": "VN",
}

_SCRIPTS = (
    ("cjk", r"[\p{Han}\p{Hiragana}\p{Katakana}\p{Hangul}]"),
    ("cyrillic", r"\p{Cyrillic}"),
    ("arabic", r"\p{Arabic}"),
    ("hebrew", r"\p{Hebrew}"),
    ("greek", r"\p{Greek}"),
    ("thai", r"\p{Thai}"),
    ("devanagari", r"\p{Devanagari}"),
)


def transliterate(text: str) -> str:
    """ASCII for comparison (anyascii); the original stays on the account for display."""
    from anyascii import anyascii

    return anyascii(text)


@lru_cache(maxsize=1)
def legal_forms() -> tuple[str, ...]:
    """Legal forms as normalised words, longest first: cleanco's list plus EXTRA_LEGAL_FORMS."""
    from cleanco import prepare_default_terms

    words = {" ".join(_words(" ".join(term))) for _, term in prepare_default_terms()}
    words |= set(EXTRA_LEGAL_FORMS)
    # 'UK' and 'US' are in cleanco's list, but on a company name they say where, not what kind of company.
    places = place_words()
    return tuple(sorted((w for w in words if w and w not in places), key=lambda w: (-len(w), w)))


@lru_cache(maxsize=1)
def place_words() -> frozenset[str]:
    """Words that name a place on a company name: country names (not codes: 'SA', 'AG' and 'CO' are legal
    forms far more often than Saudi Arabia, Antigua or Colombia) and regions."""
    import pycountry

    names = {
        " ".join(_words(transliterate(getattr(c, a))))
        for c in pycountry.countries
        for a in ("name", "common_name")
        if getattr(c, a, None)
    }
    return frozenset(names | REGION_WORDS | {k for k in COUNTRY_ALIASES if len(k) > 3})


@lru_cache(maxsize=1)
def country_names() -> dict[str, str]:
    """Every country name, official name and code pycountry knows (normalised) -> alpha-2, plus aliases."""
    import pycountry

    names: dict[str, str] = {}
    for country in pycountry.countries:
        for attribute in ("name", "official_name", "common_name", "alpha_3", "alpha_2"):
            value = getattr(country, attribute, None)
            if value:
                names[" ".join(_words(transliterate(value)))] = country.alpha_2
    names.update(COUNTRY_ALIASES)
    return names


def _words(text: str) -> list[str]:
    import re

    return re.sub(r"[^a-z0-9]+", " ", text.lower()).split()


def _alternation(options) -> str:
    return "|".join(o.replace(" ", r"\s") for o in options)


def _registered_domain(host: str) -> str | None:
    extract = _domain_extractor()
    parts = extract(host)
    domain = parts.top_domain_under_public_suffix
    return domain or None


@lru_cache(maxsize=1)
def _domain_extractor():
    import tldextract

    # The bundled Public Suffix List snapshot, never a download; private suffixes (github.io, herokuapp.com)
    # count, so two tenants of one host are two domains.
    return tldextract.TLDExtract(suffix_list_urls=(), cache_dir=None, include_psl_private_domains=True)


def _script(name: pl.Expr) -> pl.Expr:
    found = [pl.when(name.str.contains(pattern)).then(pl.lit(label)) for label, pattern in _SCRIPTS]
    other = pl.coalesce(*found)
    has_latin = name.str.contains(r"[A-Za-z]")
    return (
        pl.when(other.is_null())
        .then(pl.lit("latin"))
        .when(
            has_latin
            & name.str.contains(r"[\p{Han}\p{Hiragana}\p{Katakana}\p{Hangul}]")
            & (name.str.replace_all(r"[^A-Za-z]", "").str.len_chars() >= 2)
        )
        .then(pl.lit("mixed"))
        .otherwise(other)
    )


def _map_unique(column: pl.Series, function, dtype=pl.String) -> pl.Series:
    """`function` applied once per distinct value (transliteration and domains are Python calls)."""
    distinct = column.drop_nulls().unique()
    mapped = pl.Series([function(v) for v in distinct.to_list()], dtype=dtype)
    return column.replace_strict(distinct, mapped, default=None, return_dtype=dtype)


def normalise_accounts(accounts: pl.DataFrame) -> pl.DataFrame:
    """Add script, core, chars, region, legal, domain and country_code (see the module docstring).

    `accounts` needs columns id, name, website, country (website and country may be null).
    """
    frame = accounts.with_columns(_nfkc=pl.col("name").fill_null("").str.normalize("NFKC"))
    frame = frame.with_columns(script=_script(pl.col("_nfkc")))
    # Transliterate only the names that need it, each distinct one once (most names are ASCII already).
    non_ascii = frame.filter(~pl.col("_nfkc").str.contains(r"^[\x00-\x7F]*$"))["_nfkc"].unique().to_list()
    latin = (
        pl.col("_nfkc").replace([*non_ascii], [transliterate(v) for v in non_ascii]) if non_ascii else pl.col("_nfkc")
    )
    frame = frame.with_columns(_latin=latin)
    words = _latin_words(pl.col("_latin"))
    frame = frame.with_columns(_words=words)
    legal = _alternation(legal_forms())
    region_options = sorted(place_words(), key=len, reverse=True)
    region = _alternation(o for o in region_options if len(o) >= 2)
    # A trailing (or leading, for forms such as 'PT' and 'ПАО') run of legal forms; a run of them can hold 'and'
    # ('gmbh and co kg').
    tail = rf"(?:\s(?:{legal}|and))*\s(?:{legal})$"
    head = rf"^(?:{_alternation(LEADING_LEGAL_FORMS)})\s"
    frame = frame.with_columns(
        legal=pl.col("_words").str.extract(rf"((?:\s(?:{legal}|and))*\s(?:{legal}))$", 1).str.strip_chars(),
        _stem=pl.col("_words").str.replace(tail, "").str.replace(head, "").str.replace(LEADING_WORDS, ""),
    )
    frame = frame.with_columns(
        # The stem again: 'Deloitte Japan K.K.' lost 'kk' above and loses 'japan' as a qualifier below.
        _stem=pl.col("_stem").str.replace(tail, ""),
        _paren=pl.col("_latin")
        .str.to_lowercase()
        .str.extract(r"\(([^)]*)\)", 1)
        .str.replace_all(r"[^a-z0-9 ]", " ")
        .str.replace_all(r"\s+", " ")
        .str.strip_chars(),
    )
    # 'Bank of America', 'Royal Bank of Canada': a place after 'of' is the name, not a qualifier.
    trailing_region = pl.when(~pl.col("_stem").str.contains(r"\b(?:of|de|du|des|del|da|do|di|von|van|for)\s\S+$")).then(
        pl.col("_stem").str.extract(rf"\s({region})$", 1)
    )
    paren_region = pl.when(pl.col("_paren").str.contains(rf"^(?:{region})$")).then(pl.col("_paren"))
    frame = frame.with_columns(
        region=pl.coalesce(paren_region, trailing_region),
        core=pl.when(trailing_region.is_not_null() & (pl.col("_stem").str.count_matches(" ") >= 1))
        .then(pl.col("_stem").str.replace(rf"\s(?:{region})$", ""))
        .otherwise(pl.col("_stem")),
    )
    frame = frame.with_columns(
        core=pl.col("core").str.replace(tail, "").str.strip_chars(),
    )
    # A name that is nothing but a region ('Japan') keeps its words; one that is nothing but a legal form ('Inc.',
    # 'ООО', '株式会社') has no name at all and is never evidence of anything.
    legal_only = (pl.lit(" ") + pl.col("_words")).str.contains(
        rf"^(?:\s(?:{legal}|{_alternation(LEADING_LEGAL_FORMS)}|the|and))*$"
    )
    frame = frame.with_columns(
        core=pl.when(legal_only)
        .then(pl.lit(""))
        .when(pl.col("core") == "")
        .then(pl.col("_words"))
        .otherwise(pl.col("core"))
    )
    frame = frame.with_columns(chars=_cjk_chars(pl.col("_nfkc"), pl.col("script")))
    frame = frame.with_columns(core=pl.when(pl.col("chars") == "").then(pl.lit("")).otherwise(pl.col("core")))
    frame = frame.with_columns(domain=_domains(frame), country_code=_countries(frame["country"]))
    return frame.drop("_nfkc", "_latin", "_words", "_stem", "_paren")


def _latin_words(text: pl.Expr) -> pl.Expr:
    """Lower-case words: '&' and '+' read 'and', apostrophes vanish ('Lowe's' = 'lowes'), the markers SEC
    filings add (`/DE/`, `/NEW`, `/ADR`) and share classes ('(Class A)') go, 'H&M' and 'AT&T' stay one word."""
    cleaned = (
        text.str.to_lowercase()
        .str.replace_all(r"(?:\s*[/\\](?:[a-z]{2,3}|new|adr|fi|can|uk)[/\\]?)+\s*$", "")
        .str.replace_all(r"\((?:class|series) [a-z]\)", " ")
        .str.replace_all(r"\((?:company|corporation|software company|corp)\)", " ")
        .str.replace_all(r"['’`´]", "")
        # 'H&M', 'AT&T', 'P&G': letters around & make one word; 'HandM' (an export's '&' -> 'and') too.
        .str.replace_all(r"\b([a-z]{1,2})\s*&\s*([a-z]{1,2})\b", "${1}${2}")
        .str.replace_all(r"\b([a-z])and([a-z])\b", "${1}${2}")
        .str.replace_all(r"[&+]", " and ")
        .str.replace_all(r"\.(?:com|net|org|io|co)\b", "")
        .str.replace_all(r"\.", "")
        .str.replace_all(r"[^a-z0-9]+", " ")
        .str.strip_chars()
        # Initials written apart are one word: 'C. H. Robinson' = 'CH Robinson', 'J B Hunt' = 'JB Hunt'.
        .str.replace_all(r"\b([a-z]) ([a-z])\b", "${1}${2}")
        .str.replace_all(r"\b([a-z]{2}) ([a-z])\b(?:\s|$)", "${1}${2} ")
        .str.strip_chars()
    )
    return cleaned


def _cjk_chars(name: pl.Expr, script: pl.Expr) -> pl.Expr:
    """A CJK or Korean name's characters without spaces, punctuation and legal form (else null)."""
    chars = name.str.replace_all(r"[\s\p{P}\p{S}]", "").str.to_uppercase()
    for form in CJK_LEGAL_FORMS:
        chars = chars.str.replace_all(form.replace("(", r"\(").replace(")", r"\)"), "", literal=False)
    return pl.when(script.is_in(["cjk", "mixed"])).then(chars.str.replace_all(r"\p{P}", "")).otherwise(None)


def _domains(frame: pl.DataFrame) -> pl.Series:
    """The registered domain of the website, or of a name that is itself a domain ('pwc.com')."""
    site = pl.col("website").cast(pl.String).str.strip_chars().str.to_lowercase()
    named = pl.col("name").cast(pl.String).str.strip_chars().str.to_lowercase()
    host = pl.coalesce(
        site.str.replace(r"^[a-z][a-z0-9+.-]*://", "").str.replace(r"[/?#:].*$", "").str.replace(r"^www\d*\.", ""),
        pl.when(named.str.contains(r"^[a-z0-9-]+(\.[a-z0-9-]+)+$")).then(named),
    )
    hosts = frame.select(pl.when(host == "").then(None).otherwise(host)).to_series()
    domains = _map_unique(hosts, _registered_domain)
    return domains.set(domains.is_in(list(GENERIC_DOMAINS)).fill_null(False), None)


def _countries(country: pl.Series) -> pl.Series:
    """ISO alpha-2 of each billing country, however it is written ('USA', 'Deutschland', 'Royaume-Uni' is not)."""
    names = country_names()
    folded = _map_unique(country.cast(pl.String).fill_null(""), lambda v: " ".join(_words(transliterate(v))))
    return folded.replace_strict(list(names), list(names.values()), default=None, return_dtype=pl.String)
