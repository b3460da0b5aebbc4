"""Duplicate-account suggestions: pairs of accounts that are likely one company, grouped into clusters.

Scales by blocking: only pairs that share a normalised name, a website domain, or sit next to each other
when the accounts are sorted by name (two different sort keys) are ever compared, so the work grows with
the number of accounts, not its square. Candidate pairs are scored in bulk with rapidfuzz; the few that
survive get the careful checks (distinctive words, website, country, regional qualifier) that keep
Delta Air Lines apart from Delta Dental. Nothing is merged here: a person decides.
"""

from __future__ import annotations

from dataclasses import dataclass

import polars as pl
from rapidfuzz import fuzz, process

from core.suggestions.account_names import normalise_accounts
from core.suggestions.model import DEFAULT_THRESHOLDS, BandThresholds

SORT_WINDOW = 4        # neighbours compared on each sorted key
GROUP_CAP = 40         # a shared name or domain among more accounts than this is compared by neighbours only
PREFILTER = 72         # token-sort ratio below which a pair without a shared domain is dropped
MAX_CLUSTER = 12

PAIR_SCHEMA = {"account_id_a": pl.String, "account_id_b": pl.String, "score": pl.Float64, "band": pl.String,
               "reason": pl.String, "cluster": pl.Int64}


@dataclass(frozen=True)
class DuplicateRun:
    """Pairs (highest score first) plus what the work cost."""

    pairs: pl.DataFrame
    accounts: int
    pairs_compared: int


def _group_pairs(frame: pl.DataFrame, key: str) -> pl.DataFrame:
    """All pairs within groups of equal `key` (groups up to GROUP_CAP)."""
    groups = (frame.filter(pl.col(key).is_not_null()).group_by(key).agg(pl.col("idx"))
              .filter(pl.col("idx").list.len().is_between(2, GROUP_CAP)))
    if groups.is_empty():
        return pl.DataFrame(schema={"a": pl.UInt32, "b": pl.UInt32})
    left = groups.explode("idx").rename({"idx": "a"})
    right = groups.explode("idx").rename({"idx": "b"})
    return left.join(right, on=key).filter(pl.col("a") < pl.col("b")).select("a", "b")


def _neighbour_pairs(frame: pl.DataFrame, key: pl.Expr) -> pl.DataFrame:
    ordered = frame.select("idx", key.alias("_key")).sort("_key")["idx"]
    parts = [pl.DataFrame({"a": ordered[:-k], "b": ordered[k:]}) for k in range(1, SORT_WINDOW + 1) if len(ordered) > k]
    if not parts:
        return pl.DataFrame(schema={"a": pl.UInt32, "b": pl.UInt32})
    pairs = pl.concat(parts)
    return pairs.select(pl.min_horizontal("a", "b").alias("a"), pl.max_horizontal("a", "b").alias("b"))


def candidate_pairs(normalised: pl.DataFrame) -> pl.DataFrame:
    """Index pairs (a < b) worth comparing: blocked, never all pairs."""
    sorted_tokens = pl.col("core").str.split(" ").list.sort().list.join(" ")
    pairs = pl.concat([
        _group_pairs(normalised, "core"),
        _group_pairs(normalised, "domain"),
        _neighbour_pairs(normalised, pl.col("core")),
        _neighbour_pairs(normalised, sorted_tokens),
    ]).unique()
    return pairs


def _words_verdict(core_a: str, core_b: str) -> tuple[float, str]:
    """How far the names' distinctive words agree (1: same words), with the reason in words."""
    words_a, words_b = set(core_a.split()), set(core_b.split())
    if words_a == words_b:
        return 1.0, ""
    only_a, only_b = words_a - words_b, words_b - words_a
    if only_a and only_b:
        similarity = fuzz.ratio(" ".join(sorted(only_a)), " ".join(sorted(only_b))) / 100
        if similarity < 0.75:
            return 0.0, f"different distinctive words '{' '.join(sorted(only_a))}' / '{' '.join(sorted(only_b))}'"
        return similarity, f"names differ by a likely typo ('{' '.join(sorted(only_a))}' / '{' '.join(sorted(only_b))}')"
    extra = only_a or only_b
    return 0.5, f"one name adds '{' '.join(sorted(extra))}'"


def _score_pair(a: dict, b: dict, ratio: float) -> tuple[float, list[str]]:
    """Score one candidate pair from names, website domain, country and regional qualifier."""
    words_score, words_why = _words_verdict(a["core"], b["core"])
    reasons: list[str] = []
    same_domain = a["domain"] is not None and a["domain"] == b["domain"]
    other_domain = a["domain"] is not None and b["domain"] is not None and not same_domain
    if words_score == 1.0:
        removed = sorted({f"'{x}'" for x in (a["legal"], b["legal"]) if x}
                         | ({"'The'"} if any(r["name"].lower().startswith("the ") for r in (a, b)) else set()))
        reasons.append("names equal" + (f" after removing {', '.join(removed)}" if removed else " after normalising"))
    elif words_why:
        reasons.append(words_why)
    name = (ratio / 100) * (1.0 if words_score == 1.0 else words_score)
    if same_domain:
        reasons.insert(0, f"same website {a['domain']}")
        score = 0.80 + 0.19 * name
    elif other_domain:
        reasons.append(f"different websites {a['domain']} / {b['domain']}")
        score = 0.55 * name
    elif words_score == 1.0:
        score = 0.92
    elif words_score >= 0.75:
        score = 0.55 + 0.35 * name
    else:
        score = 0.40 * name
    if a["country_code"] and b["country_code"] and a["country_code"] != b["country_code"]:
        reasons.append(f"different billing countries {a['country_code'].upper()} / {b['country_code'].upper()}")
        # A longer name in another country is the classic subsidiary (Oracle vs Oracle Financial Services, India).
        score = min(score - 0.25, 0.45) if words_score == 0.5 else score - 0.25
    elif a["country_code"] and a["country_code"] == b["country_code"] and score >= 0.5:
        reasons.append(f"same billing country {a['country_code'].upper()}")
        score += 0.02
    if (a["region"] or "") != (b["region"] or ""):
        regional = a["region"] or b["region"]
        reasons.append(f"regional qualifier '{regional}' on one side: likely a separate regional entity")
        score = min(score, 0.45)
    return round(min(max(score, 0.0), 0.99), 3), reasons


def suggest_duplicates(accounts: pl.DataFrame, *, thresholds: BandThresholds = DEFAULT_THRESHOLDS,
                       exclude: set[tuple[str, str]] | None = None) -> DuplicateRun:
    """Suggested duplicate pairs among `accounts` (columns id, name, website, country).

    `exclude`: pairs (id_a, id_b) a person already rejected; they are never suggested again.
    """
    for column in ("website", "country"):
        if column not in accounts.columns:
            accounts = accounts.with_columns(pl.lit(None, pl.String).alias(column))
    frame = normalise_accounts(accounts.select(pl.col("id").cast(pl.String), pl.col("name").cast(pl.String),
                                               pl.col("website").cast(pl.String), pl.col("country").cast(pl.String))
                               .filter(pl.col("name").is_not_null())).with_row_index("idx")
    pairs = candidate_pairs(frame)
    compared = pairs.height
    if compared == 0:
        return DuplicateRun(pl.DataFrame(schema=PAIR_SCHEMA), frame.height, 0)
    cores = frame["core"]
    domains = frame["domain"]
    a_idx, b_idx = pairs["a"], pairs["b"]
    ratios = process.cpdist(cores.gather(a_idx).to_list(), cores.gather(b_idx).to_list(),
                            scorer=fuzz.token_sort_ratio, workers=-1)
    shared_domain = (domains.gather(a_idx) == domains.gather(b_idx)).fill_null(False)
    pairs = pairs.with_columns(ratio=pl.Series(ratios, dtype=pl.Float64), shared_domain=shared_domain)
    survivors = pairs.filter((pl.col("ratio") >= PREFILTER) | pl.col("shared_domain"))
    # Only the accounts of surviving pairs are turned into Python objects.
    used = pl.concat([survivors["a"], survivors["b"]]).unique()
    rows = {r["idx"]: r for r in frame.filter(pl.col("idx").is_in(used.implode()))
            .select("idx", "id", "name", "core", "legal", "region", "domain", "country_code").to_dicts()}
    excluded = {tuple(sorted(p)) for p in (exclude or set())}
    out_a, out_b, out_score, out_reason = [], [], [], []
    for a, b, ratio in survivors.select("a", "b", "ratio").iter_rows():
        left, right = rows[a], rows[b]
        key = tuple(sorted((left["id"], right["id"])))
        if key in excluded or left["id"] == right["id"]:
            continue
        score, reasons = _score_pair(left, right, ratio)
        if score < thresholds.review:
            continue
        out_a.append(key[0])
        out_b.append(key[1])
        out_score.append(score)
        out_reason.append("; ".join(reasons))
    result = pl.DataFrame({"account_id_a": out_a, "account_id_b": out_b, "score": out_score, "reason": out_reason},
                          schema={"account_id_a": pl.String, "account_id_b": pl.String, "score": pl.Float64,
                                  "reason": pl.String})
    result = result.with_columns(band=pl.when(pl.col("score") >= thresholds.auto_accept).then(pl.lit("auto-accept"))
                                 .when(pl.col("score") >= thresholds.review).then(pl.lit("review"))
                                 .otherwise(pl.lit("reject")))
    result = result.with_columns(cluster=pl.Series(_clusters(result, thresholds), dtype=pl.Int64))
    return DuplicateRun(result.select(list(PAIR_SCHEMA)).sort(["score", "account_id_a", "account_id_b"],
                                                               descending=[True, False, False]),
                        frame.height, compared)


def _clusters(pairs: pl.DataFrame, thresholds: BandThresholds) -> list[int]:
    """A cluster number per pair. Strong links (auto-accept) join clusters; a weaker link joins two clusters
    only when every cross pair between them was suggested too, so weak links never chain."""
    parent: dict[str, str] = {}
    members: dict[str, set[str]] = {}

    def find(x: str) -> str:
        parent.setdefault(x, x)
        members.setdefault(x, {x})
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    scores = {(a, b): s for a, b, s in pairs.select("account_id_a", "account_id_b", "score").iter_rows()}
    for (a, b), score in sorted(scores.items(), key=lambda item: -item[1]):
        root_a, root_b = find(a), find(b)
        if root_a == root_b or len(members[root_a]) + len(members[root_b]) > MAX_CLUSTER:
            continue
        if score < thresholds.auto_accept and not all(
                tuple(sorted((x, y))) in scores for x in members[root_a] for y in members[root_b]):
            continue
        parent[root_b] = root_a
        members[root_a] |= members.pop(root_b)
    # A pair whose ends stayed in different clusters is reviewed on its own, as a cluster of two.
    numbers: dict[object, int] = {}
    return [numbers.setdefault(find(a) if find(a) == find(b) else (a, b), len(numbers) + 1)
            for a, b in pairs.select("account_id_a", "account_id_b").iter_rows()]


def surviving_name(names: list[str], websites: list[str | None]) -> str:
    """The name a merged cluster keeps: one with a website, written with capitals, the most common, the longest."""
    def rank(i: int) -> tuple:
        name = names[i]
        return (websites[i] is not None, not name.isupper() and not name.islower(), names.count(name), len(name))
    return names[max(range(len(names)), key=rank)]

