"""Duplicate and related accounts: pairs that are one company, or a parent and its regional or legal entity.

Three outcomes per pair, each with its reasons in words: *same* company (merge them), *related* (a regional
or legal-entity variant of one group: link it to its parent), or *different* (not suggested).

Scales by blocking: only pairs that share a comparable name, a squashed name ('health care'/'healthcare'),
a rare word, a website domain, CJK characters or an acronym, or sit next to each other when names are
sorted, are ever compared, so the work grows with the number of accounts, not its square. Candidates are
scored in bulk with rapidfuzz; the few that survive get the careful rules below. Nothing is merged here:
a person decides.

The evidence rules hold on short and common names:
- a word counts by how rare it is among the accounts (inverse document frequency): sharing 'Tencent' is
  evidence, sharing 'Group', 'Global' or 'America' is not;
- a name that normalises to almost nothing (three letters or fewer) is never evidence on its own;
- a typo is forgiven only in long words (six letters or more, one edit), and never auto-accepted;
- an acronym (IBM for International Business Machines) counts only with a shared website, and never auto-accepts;
- the same registered domain is strong evidence (free-mail and hosting domains excluded); two different
  websites are strong evidence against;
- CJK and Korean names are compared by their characters (they have no words to share); a name in one script
  never matches a name in another except through its transliteration (Сбербанк = Sberbank).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import polars as pl
from rapidfuzz import fuzz, process
from rapidfuzz.distance import OSA

from domain.suggestions.account_names import (
    ABBREVIATIONS,
    CJK_DESCRIPTORS,
    DESCRIPTORS,
    normalise_accounts,
    place_words,
)
from domain.suggestions.model import DEFAULT_THRESHOLDS, BandThresholds

SORT_WINDOW = 4  # neighbours compared on each sorted key
GROUP_CAP = 40  # a shared key among more accounts than this is compared by neighbours only
RARE_TOKEN_CAP = 12  # a word shared by more accounts than this does not make candidates on its own
PREFILTER = 60  # token-set ratio below which a candidate without other evidence is dropped
MAX_CLUSTER = 12
SCORE_CHUNK = 500_000  # candidates scored at a time: bounds the Python strings rapidfuzz needs
SAME, RELATED = "same", "related"

PAIR_SCHEMA = {
    "account_id_a": pl.String,
    "account_id_b": pl.String,
    "score": pl.Float64,
    "band": pl.String,
    "reason": pl.String,
    "cluster": pl.Int64,
    "relation": pl.String,
    "parent_id": pl.String,
    "rule": pl.String,
}
_SKIP = frozenset({"and", "of", "the", "de", "du", "des", "la", "le", "der", "die", "das", "y", "e", "et"})


@dataclass(frozen=True)
class DuplicateRun:
    """Pairs (highest score first) plus what the work cost."""

    pairs: pl.DataFrame
    accounts: int
    pairs_compared: int


@dataclass(frozen=True)
class Verdict:
    relation: str
    score: float
    reasons: tuple[str, ...]
    parent: str | None = None  # related pairs: the id of the account that is the parent
    rule: str = ""  # which evidence rule decided, for the per-rule precision in `python -m core eval`


@dataclass(slots=True)
class _Account:
    id: str
    name: str
    core: str
    chars: str | None
    region: str | None
    legal: str | None
    domain: str | None
    country: str | None
    script: str
    tokens: frozenset[str] = field(default_factory=frozenset)

    @property
    def squashed(self) -> str:
        return self.core.replace(" ", "")

    def said(self, tokens: set[str] | frozenset[str]) -> str:
        """Compared words as this name writes them ('healthineer' is 'healthineers' here)."""
        written = [w for w in self.core.split() if _singular(ABBREVIATIONS.get(w, w)) in tokens]
        return " ".join(written) or " ".join(sorted(tokens))


# -- candidates ------------------------------------------------------------------------------------


def _group_pairs(frame: pl.DataFrame, key: str, cap: int = GROUP_CAP) -> pl.DataFrame:
    """All pairs within groups of equal `key` (groups up to `cap`).

    Sorted by key, a group is a run of rows; pairing each row with the k-th row after it while both are in one
    run keeps everything in integer arrays (a join on the string key cost a gigabyte at a million accounts).
    """
    runs = (
        frame.select("idx", pl.col(key).alias("_key"))
        .filter(pl.col("_key").is_not_null() & (pl.col("_key") != ""))
        .filter(pl.len().over("_key").is_between(2, cap))
        .sort("_key")
        .select("idx", pl.col("_key").rle_id().alias("_run"))
    )
    ids, run = runs["idx"], runs["_run"]
    parts = []
    for k in range(1, cap):
        if len(ids) <= k:
            break
        together = run[:-k] == run[k:]
        if not together.any():
            break
        parts.append(pl.DataFrame({"a": ids[:-k].filter(together), "b": ids[k:].filter(together)}))
    return _ordered(parts)


def _neighbour_pairs(frame: pl.DataFrame, key: pl.Expr) -> pl.DataFrame:
    ordered = frame.select("idx", key.alias("_key")).filter(pl.col("_key") != "").sort("_key")["idx"]
    return _ordered(
        [pl.DataFrame({"a": ordered[:-k], "b": ordered[k:]}) for k in range(1, SORT_WINDOW + 1) if len(ordered) > k]
    )


def _ordered(parts: list[pl.DataFrame]) -> pl.DataFrame:
    """Pairs with the smaller index first, as UInt32."""
    if not parts:
        return pl.DataFrame(schema={"a": pl.UInt32, "b": pl.UInt32})
    pairs = pl.concat(parts)
    return pairs.select(
        pl.min_horizontal("a", "b").cast(pl.UInt32).alias("a"), pl.max_horizontal("a", "b").cast(pl.UInt32).alias("b")
    )


def candidate_pairs(normalised: pl.DataFrame) -> pl.DataFrame:
    """Index pairs (a < b) worth comparing: blocked, never all pairs."""
    words = pl.col("core").str.split(" ")
    keyed = normalised.with_columns(
        _squashed=pl.col("core").str.replace_all(" ", ""),
        _sorted=words.list.sort().list.join(" "),
        _initials=pl.when(words.list.len() >= 2).then(
            words.list.eval(pl.element().filter(~pl.element().is_in(list(_SKIP))).str.slice(0, 1)).list.join("")
        ),
        _single=pl.when(words.list.len() == 1).then(pl.col("core")),
        _cjk_head=pl.col("chars").str.slice(0, 2),
    )
    tokens = (
        keyed.select("idx", words.alias("token"))
        .explode("token")
        .filter((pl.col("token").str.len_chars() >= 3) & ~pl.col("token").is_in(list(DESCRIPTORS | _SKIP)))
        .unique()
    )
    acronyms = (
        keyed.filter(pl.col("_initials").str.len_chars().is_between(2, 6))
        .select(pl.col("idx").alias("a"), pl.col("_initials").alias("key"))
        .join(
            keyed.filter(pl.col("_single").is_not_null()).select(
                pl.col("idx").alias("b"), pl.col("_single").alias("key")
            ),
            on="key",
        )
        .select("a", "b")
    )
    pairs = pl.concat(
        [
            _group_pairs(keyed, "core"),
            _group_pairs(keyed, "_squashed"),
            _group_pairs(keyed, "domain"),
            _group_pairs(keyed, "chars"),
            _group_pairs(keyed, "_cjk_head", cap=RARE_TOKEN_CAP),
            _group_pairs(tokens, "token", cap=RARE_TOKEN_CAP),
            _neighbour_pairs(keyed, pl.col("core")),
            _neighbour_pairs(keyed, pl.col("_sorted")),
            _neighbour_pairs(keyed, pl.col("_squashed")),
            _ordered([acronyms]),
        ]
    ).filter(pl.col("a") != pl.col("b"))
    # One 64-bit key per pair makes the de-duplication cheap on millions of candidates.
    key = (pl.col("a").cast(pl.UInt64) * (1 << 32) + pl.col("b").cast(pl.UInt64)).unique()
    return pairs.select(key.alias("_pair")).select(
        (pl.col("_pair") // (1 << 32)).cast(pl.UInt32).alias("a"),
        (pl.col("_pair") % (1 << 32)).cast(pl.UInt32).alias("b"),
    )


# -- evidence --------------------------------------------------------------------------------------


def _expanded(core: str) -> frozenset[str]:
    """The words of a name as compared: abbreviations written out, plurals and possessives as the singular
    ('apartments' = 'apartment', 'Campbell's' = 'campbell')."""
    return frozenset(_singular(ABBREVIATIONS.get(t, t)) for t in core.split() if t not in _SKIP)


def _singular(word: str) -> str:
    return word[:-1] if len(word) >= 5 and word.endswith("s") and not word.endswith("ss") else word


_DESCRIPTORS = DESCRIPTORS | {_singular(d) for d in DESCRIPTORS}


def _descriptor(word: str) -> bool:
    return word in _DESCRIPTORS


class _Rarity:
    """How rare each word is among the accounts: document frequency, and a verdict on 'distinctive'."""

    def __init__(self, cores: pl.Series) -> None:
        # Counted over distinct names: five records of one company must not make its name look common.
        cores = cores.unique()
        words = cores.str.split(" ").list.unique().explode().drop_nulls()
        counts = words.value_counts()
        self.df: dict[str, int] = {}
        for word, count in zip(counts[counts.columns[0]].to_list(), counts["count"].to_list(), strict=True):
            key = _singular(ABBREVIATIONS.get(word, word))
            self.df[key] = self.df.get(key, 0) + count
        self.n = max(len(cores), 1)
        # Rare: at most a handful of accounts carry the word, however many accounts there are.
        self.rare_df = max(3, int(self.n * 0.0005))
        self.places = place_words()

    def idf(self, token: str) -> float:
        weight = math.log((self.n + 1) / (self.df.get(token, 0) + 1)) + 1
        return weight * (0.15 if _descriptor(token) else 1.0)

    def weight(self, tokens) -> float:
        return sum(self.idf(t) for t in tokens)

    def distinctive(self, tokens: frozenset[str]) -> bool:
        """A name that says which company it is: a rare word of four letters or more that is not a place."""
        return any(
            len(t) >= 4 and not _descriptor(t) and t not in self.places and self.df.get(t, 0) <= self.rare_df
            for t in tokens
        )


def _typo_matched(only_a: set[str], only_b: set[str]) -> bool:
    """Every word one name has and the other lacks is a one-edit typo (a swap of two letters counts as one) of a
    long word of the other."""
    if not only_a or len(only_a) != len(only_b):
        return False
    remaining = set(only_b)
    for word in only_a:
        match = next(
            (
                w
                for w in remaining
                if min(len(w), len(word)) >= 6 and w[0] == word[0] and OSA.distance(w, word, score_cutoff=1) <= 1
            ),
            None,
        )
        if match is None:
            return False
        remaining.discard(match)
    return True


def _opens(short: _Account, long: _Account) -> bool:
    """The shorter name's words, in order, open the longer name (Cisco / Cisco Systems)."""

    def written(account: _Account) -> list[str]:
        return [ABBREVIATIONS.get(w, w) for w in account.core.split() if w not in _SKIP]

    head, whole = written(short), written(long)
    return bool(head) and whole[: len(head)] == head


def _acronym_of(short: frozenset[str], long: str) -> bool:
    if len(short) != 1:
        return False
    (word,) = short
    initials = "".join(t[0] for t in long.split() if t not in _SKIP)
    return 2 <= len(word) <= 6 and len(initials) >= 2 and word == initials


def judge(a: _Account, b: _Account, rarity: _Rarity) -> Verdict | None:
    """Same company, related, or None (different), with the reasons in words."""
    same_domain = a.domain is not None and a.domain == b.domain
    other_domain = a.domain is not None and b.domain is not None and not same_domain
    same_country = a.country is not None and a.country == b.country
    other_country = a.country is not None and b.country is not None and a.country != b.country
    if not a.core or not b.core:
        verdict = None  # a name that is only a legal form (or nothing) says nothing
    elif a.chars and b.chars:
        verdict = _judge_cjk(a, b)
    elif (a.chars is None) != (b.chars is None) and a.script != b.script:
        # A CJK name and a name in another script: nothing to compare but the website.
        verdict = None
    else:
        verdict = _judge_words(a, b, rarity, same_domain)
    if verdict is None:
        if same_domain:
            return Verdict(SAME, 0.86, (f"same website {a.domain}", "names differ"), rule="same website only")
        return None
    reasons = list(verdict.reasons)
    score = verdict.score
    if same_domain:
        reasons.insert(0, f"same website {a.domain}")
        if verdict.rule == "initials":
            score = 0.88  # unmeasured on real data, so never auto-accepted: a person confirms
        else:
            score = max(score, 0.97 if verdict.relation == SAME and score >= 0.80 else score)
    elif other_domain and a.domain and b.domain:
        labels = sorted((a.domain.split(".")[0], b.domain.split(".")[0]), key=len)
        equal_names = a.tokens == b.tokens or a.squashed == b.squashed
        if labels[0] == labels[1] or equal_names and labels[0] in labels[1]:
            # acme.com / acme.co.uk, volkswagen.de / volkswagenag.com: one company's sites.
            reasons.append(f"websites {a.domain} / {b.domain}: one name, another site")
            score = min(score, 0.85)
        elif verdict.relation == SAME and labels[1].startswith(labels[0] + "-"):
            # siemens.com / siemens-energy.com: a business of the group with its own site.
            reasons.append(f"websites {a.domain} / {b.domain}: one is a business of the other")
            return Verdict(
                RELATED,
                min(score, 0.70),
                tuple(reasons),
                _parent_of_domains(a, b),
                f"{verdict.rule} · business website",
            )
        else:
            return None  # two companies with their own websites
    if verdict.relation == SAME and other_country:
        if verdict.score < 0.84:
            return None  # 'Douglas' (DE) and 'Douglas Emmett' (US): a shared word across borders is no link
        reasons.append(f"billing countries differ ({a.country} / {b.country}): likely a local entity of one group")
        return Verdict(RELATED, min(score, 0.78), tuple(reasons), _parent_of(a, b), f"{verdict.rule} · other country")
    if same_country and verdict.relation == SAME and score >= 0.5:
        reasons.append(f"same billing country {a.country}")
    rule = verdict.rule + (" · same website" if same_domain else " · other website" if other_domain else "")
    return Verdict(verdict.relation, round(min(max(score, 0.0), 0.99), 3), tuple(reasons), verdict.parent, rule)


def _parent_of_domains(a: _Account, b: _Account) -> str:
    """The account whose website's name the other's contains is the parent (siemens.com of siemens-energy.com)."""
    label_a, label_b = (a.domain or "").split(".")[0], (b.domain or "").split(".")[0]
    return a.id if len(label_a) <= len(label_b) else b.id


def _parent_of(a: _Account, b: _Account) -> str:
    """Of a related pair, the account without a regional qualifier (else the shorter name) is the parent."""
    if (a.region is None) != (b.region is None):
        return a.id if a.region is None else b.id
    return a.id if len(a.name) <= len(b.name) else b.id


def _judge_cjk(a: _Account, b: _Account) -> Verdict | None:
    chars_a, chars_b = a.chars or "", b.chars or ""
    if min(len(chars_a), len(chars_b)) < 2:
        return None
    if chars_a == chars_b:
        return Verdict(
            SAME,
            0.94 if len(chars_a) >= 3 else 0.82,
            (f"same characters '{chars_a}' after removing the legal form",),
            rule="same characters",
        )
    stripped = [chars_a, chars_b]
    for i, value in enumerate(stripped):
        for word in CJK_DESCRIPTORS:
            if value.endswith(word.upper()) and len(value) > len(word) + 1:
                stripped[i] = value[: -len(word)]
    if stripped[0] == stripped[1] and len(stripped[0]) >= 2:
        return Verdict(
            SAME,
            0.88,
            (f"'{chars_a}' and '{chars_b}' differ only by a word such as group or holdings",),
            rule="characters but a descriptor",
        )
    if a.squashed == b.squashed and len(a.squashed) >= 8:
        # Simplified and traditional characters of one name read the same (中国银行 / 中國銀行).
        return Verdict(SAME, 0.80, (f"'{chars_a}' and '{chars_b}' read the same ({a.squashed})",), rule="same reading")
    return None


def _judge_words(a: _Account, b: _Account, rarity: _Rarity, same_domain: bool) -> Verdict | None:
    tokens_a, tokens_b = a.tokens, b.tokens
    for short, long in ((a, b), (b, a)):
        # An acronym says nothing alone ('IBM' could be anyone's initials); with the same website it is evidence,
        # and a person confirms. A shared country is not enough: on real US names 'AES' / 'Atlas Energy Solutions'
        # and 'HP' / 'Highwoods Properties' were the only pairs it found.
        if _acronym_of(short.tokens, long.core) and same_domain:
            return Verdict(SAME, 0.80, (f"'{short.core}' is the initials of '{long.core}'",), rule="initials")
    if min(len(a.squashed), len(b.squashed)) <= 3 and a.squashed != b.squashed:
        # A name of three letters or fewer is no evidence on its own; it may only open the other name
        # ('UBS' / 'UBS Group AG', 'NXP' / 'NXP Semiconductors'), and a person decides.
        short, long = (a, b) if len(a.squashed) <= 3 else (b, a)
        first = long.core.split()[0] if long.core else ""
        if len(short.squashed) == 3 and short.core == first and len(long.tokens) <= 3:
            added = " ".join(long.core.split()[1:])
            return Verdict(
                SAME,
                0.72,
                (f"'{short.core}' opens '{long.core}' ('{added}' added), but so short a name says little",),
                rule="short name opens",
            )
        return None
    shared = tokens_a & tokens_b
    only_a, only_b = set(tokens_a - tokens_b), set(tokens_b - tokens_a)
    regional = (a.region or "") != (b.region or "")
    if tokens_a == tokens_b or (a.squashed == b.squashed and len(a.squashed) >= 5):
        return _equal_names(a, b, rarity, regional)
    places = rarity.places
    shorter: frozenset[str] | None
    extras: set[str]
    if not only_a:
        shorter, extras = tokens_a, only_b
    elif not only_b:
        shorter, extras = tokens_b, only_a
    else:
        shorter, extras = None, set()
    if shorter is not None and shared:
        if not (
            rarity.distinctive(shorter)
            or len(a.squashed if shorter == tokens_a else b.squashed) >= 5
            and rarity.weight(shorter) >= rarity.weight(extras) * 1.5
        ):
            return None
        words = (b if shorter == tokens_a else a).said(extras)
        if all(_descriptor(t) for t in extras):
            # Measured 0.96 precise (Merck & Co. is no Merck Group): a person confirms.
            score = 0.86 if rarity.distinctive(shorter) and len("".join(shorter)) >= 4 else 0.80
            return Verdict(
                SAME, score, (f"one name adds '{words}', which describes rather than names",), rule="descriptor added"
            )
        if any(t in places for t in extras) and all(t in places or t in DESCRIPTORS for t in extras):
            return Verdict(
                RELATED,
                0.78,
                (f"'{words}' on one name only: likely a regional entity of the other",),
                _parent_of(a, b),
                "place added",
            )
        short_account, long_account = (a, b) if shorter == tokens_a else (b, a)
        if not _opens(short_account, long_account):
            # 'Union' in 'Western Union', 'Johnson & Johnson' in 'Johnson Controls': a name found inside another
            # rather than at its start was measured right only one time in three.
            return None
        share = rarity.weight(shorter) / max(rarity.weight(shorter | extras), 1e-9)
        return Verdict(SAME, round(0.5 + 0.3 * share, 3), (f"one name adds '{words}'",), rule="word added")
    if shared and rarity.distinctive(frozenset(shared)):
        share = rarity.weight(shared) / max(rarity.weight(tokens_a | tokens_b), 1e-9)
        if share >= 0.6:
            differ = f"'{a.said(only_a)}' / '{b.said(only_b)}'"
            return Verdict(
                SAME,
                round(0.45 + 0.3 * share, 3),
                (f"share the distinctive '{a.said(shared)}', differ in {differ}",),
                rule="shared rare word",
            )
    if _typo_matched(only_a, only_b):
        pairs = f"'{a.said(only_a)}' / '{b.said(only_b)}'"
        if not shared and len(only_a) == 1 and not rarity.distinctive(frozenset(only_a | only_b)) and not same_domain:
            return None
        return Verdict(SAME, 0.80, (f"names differ by a likely typo ({pairs})",), rule="typo")
    return None


def _equal_names(a: _Account, b: _Account, rarity: _Rarity, regional: bool) -> Verdict | None:
    removed = sorted(
        {f"'{x}'" for x in (a.legal, b.legal) if x}
        | ({"'The'"} if any(r.name.lower().startswith("the ") for r in (a, b)) else set())
    )
    said = "names equal" + (f" after removing {', '.join(removed)}" if removed else " after normalising")
    distinctive = rarity.distinctive(a.tokens)
    if regional:
        if a.region and b.region:
            return None  # two regional entities of one group are siblings, not one company
        regional_one = a.region or b.region
        if len(a.squashed) < 4:
            return None  # 'Air France' is no regional entity of an 'Air'
        return Verdict(
            RELATED,
            0.80,
            (f"{said} but for '{regional_one}' on one: likely a regional entity of the other",),
            _parent_of(a, b),
            "regional qualifier",
        )
    if len(a.squashed) <= 3:
        return Verdict(SAME, 0.70, (f"{said}, but a name this short says little",), rule="short equal names")
    if distinctive:
        return Verdict(SAME, 0.95, (said,), rule="equal distinctive names")
    return Verdict(SAME, 0.86, (said, "the name is common, so it could be two companies"), rule="equal common names")


# -- the run ---------------------------------------------------------------------------------------


def suggest_duplicates(
    accounts: pl.DataFrame,
    *,
    thresholds: BandThresholds = DEFAULT_THRESHOLDS,
    exclude: set[tuple[str, str]] | None = None,
) -> DuplicateRun:
    """Suggested same-company and related pairs among `accounts` (columns id, name, website, country).

    `exclude`: pairs (id_a, id_b) a person already decided; they are never suggested again.
    """
    for column in ("website", "country"):
        if column not in accounts.columns:
            accounts = accounts.with_columns(pl.lit(None, pl.String).alias(column))
    frame = normalise_accounts(
        accounts.select(
            pl.col("id").cast(pl.String),
            pl.col("name").cast(pl.String),
            pl.col("website").cast(pl.String),
            pl.col("country").cast(pl.String),
        ).filter(pl.col("name").is_not_null())
    ).with_row_index("idx")
    pairs = candidate_pairs(frame)
    compared = pairs.height
    if compared == 0:
        return DuplicateRun(pl.DataFrame(schema=PAIR_SCHEMA), frame.height, 0)
    cores = frame["core"]
    survivors = pl.concat(
        [_prefiltered(frame, pairs.slice(start, SCORE_CHUNK)) for start in range(0, pairs.height, SCORE_CHUNK)]
    )
    del pairs
    rarity = _Rarity(cores)
    used = pl.concat([survivors["a"], survivors["b"]]).unique()
    # Countries, scripts and legal forms repeat across a million accounts: one string object each.
    shared: dict[str, str] = {}

    def one(value: str) -> str:
        return shared.setdefault(value, value)

    rows = {
        idx: _Account(
            id_,
            name,
            core,
            chars,
            region and one(region),
            legal and one(legal),
            domain,
            country and one(country),
            one(script),
            _expanded(core),
        )
        for idx, id_, name, core, chars, region, legal, domain, country, script in frame.filter(
            pl.col("idx").is_in(used.implode())
        )
        .select("idx", "id", "name", "core", "chars", "region", "legal", "domain", "country_code", "script")
        .iter_rows()
    }
    excluded = {tuple(sorted(p)) for p in (exclude or set())}
    out: list[tuple] = []
    for a, b in survivors.select("a", "b").iter_rows():
        left, right = rows[a], rows[b]
        key = tuple(sorted((left.id, right.id)))
        if key in excluded or left.id == right.id:
            continue
        verdict = judge(left, right, rarity)
        if verdict is None or verdict.score < thresholds.review:
            continue
        # A related pair is never merged by "accept all": it asks a person which account is the parent.
        score = min(verdict.score, thresholds.auto_accept - 0.01) if verdict.relation == RELATED else verdict.score
        out.append((key[0], key[1], score, "; ".join(verdict.reasons), verdict.relation, verdict.parent, verdict.rule))
    result = pl.DataFrame(
        out,
        schema={
            "account_id_a": pl.String,
            "account_id_b": pl.String,
            "score": pl.Float64,
            "reason": pl.String,
            "relation": pl.String,
            "parent_id": pl.String,
            "rule": pl.String,
        },
        orient="row",
    )
    result = result.with_columns(
        band=pl.when(pl.col("score") >= thresholds.auto_accept)
        .then(pl.lit("auto-accept"))
        .when(pl.col("score") >= thresholds.review)
        .then(pl.lit("review"))
        .otherwise(pl.lit("reject"))
    )
    result = result.with_columns(cluster=pl.Series(_clusters(result, thresholds), dtype=pl.Int64))
    return DuplicateRun(
        result.select(list(PAIR_SCHEMA)).sort(
            ["score", "account_id_a", "account_id_b"], descending=[True, False, False]
        ),
        frame.height,
        compared,
    )


def _prefiltered(frame: pl.DataFrame, pairs: pl.DataFrame) -> pl.DataFrame:
    """The candidates worth the careful rules: names alike in bulk (rapidfuzz token-set ratio), a shared
    website, two CJK names, or a one-word name (an acronym looks nothing like what it stands for)."""
    cores, domains, chars = frame["core"], frame["domain"], frame["chars"]
    a_idx, b_idx = pairs["a"], pairs["b"]
    ratios = process.cpdist(
        cores.gather(a_idx).to_list(), cores.gather(b_idx).to_list(), scorer=fuzz.token_set_ratio, workers=-1
    )
    single = cores.str.contains(" ", literal=True).not_()
    keep = (
        (pl.Series(ratios, dtype=pl.Float64) >= PREFILTER)
        | (domains.gather(a_idx) == domains.gather(b_idx)).fill_null(False)
        | (chars.gather(a_idx).is_not_null() & chars.gather(b_idx).is_not_null())
        | single.gather(a_idx)
        | single.gather(b_idx)
    )
    return pairs.filter(keep)


def _clusters(pairs: pl.DataFrame, thresholds: BandThresholds) -> list[int]:
    """A cluster number per pair. Same-company links join clusters (strong ones freely; a weaker one only when
    every cross pair between the two clusters was suggested too, so weak links never chain). A related pair
    joins the cluster of its parent's side, so a group and its entities are reviewed together."""
    parent: dict[str, str] = {}
    members: dict[str, set[str]] = {}

    def find(x: str) -> str:
        parent.setdefault(x, x)
        members.setdefault(x, {x})
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    relation = pairs["relation"].to_list() if "relation" in pairs.columns else [SAME] * pairs.height
    scores = {
        (a, b): s
        for (a, b, s), r in zip(
            pairs.select("account_id_a", "account_id_b", "score").iter_rows(), relation, strict=True
        )
        if r == SAME
    }
    for (a, b), score in sorted(scores.items(), key=lambda item: -item[1]):
        root_a, root_b = find(a), find(b)
        if root_a == root_b or len(members[root_a]) + len(members[root_b]) > MAX_CLUSTER:
            continue
        if score < thresholds.auto_accept and not all(
            tuple(sorted((x, y))) in scores for x in members[root_a] for y in members[root_b]
        ):
            continue
        parent[root_b] = root_a
        members[root_a] |= members.pop(root_b)
    numbers: dict[object, int] = {}
    out = []
    for (a, b), kind in zip(pairs.select("account_id_a", "account_id_b").iter_rows(), relation, strict=True):
        root_a, root_b = find(a), find(b)
        if kind == SAME:
            # A pair whose ends stayed in different clusters is reviewed on its own, as a cluster of two.
            out.append(numbers.setdefault(root_a if root_a == root_b else (a, b), len(numbers) + 1))
        else:
            out.append(numbers.setdefault(root_a if len(members.get(root_a, {a})) > 1 else root_b, len(numbers) + 1))
    return out


def surviving_name(names: list[str], websites: list[str | None]) -> str:
    """The name a merged cluster keeps: one with a website, written with capitals, the most common, the longest."""

    def rank(i: int) -> tuple:
        name = names[i]
        return (websites[i] is not None, not name.isupper() and not name.islower(), names.count(name), len(name))

    return names[max(range(len(names)), key=rank)]
