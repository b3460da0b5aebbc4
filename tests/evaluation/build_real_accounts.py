"""Build `real_accounts.csv`: real company names from public sources, labelled by who the company is.

Run from the project root: `python tests/evaluation/build_real_accounts.py`. The inputs in `sources/` are
copies of public data, kept here because the build must not need the internet:

- `sec_titles.csv`: the largest ~890 companies of SEC EDGAR's `company_tickers.json` (CIK, ticker, title as
  the SEC writes it, e.g. `COSTCO WHOLESALE CORP /NEW`; funds left out).
- `sp500_en.csv` / `sp500_zh.csv`: the S&P 500 constituents with their English names (datasets/s-and-p-500-
  companies) and Chinese names (lisposter/s-and-p-500-companies-zh; entries the source gives only in English
  left out).
- `nikkei225_ja.csv`: Nikkei 225 members by securities code with their Japanese short names.
- `index_members.csv`: members of 20 European, US and Japanese indices with website and country
  (pytickersymbols 1.17.10, MIT).
- `multiscript_aliases.csv`: Korean, Hebrew, Arabic and Russian company names and their aliases as they occur
  in public code (KRX masters, Tel Aviv stock lists, Saudi bank tables, Russian registries).
- `labelled_pairs.csv`: pairs labelled by hand from public facts: subsidiaries (related: `name_a` is the child,
  `name_b` its parent, written to `parent_entity`), dual listings (same company) and hard negatives (different).

A company's identity is its SEC CIK where a name can be tied to one (by ticker, or an ADR ticker among an
index member's symbols), else its exchange code or ISIN; so "Costco" (S&P) and "COSTCO WHOLESALE CORP /NEW"
(SEC) are one company because both carry ticker COST, never because their names look alike.
"""

from __future__ import annotations

import csv
import re
from pathlib import Path

HERE = Path(__file__).parent
SOURCES = HERE / "sources"
# Share classes listed apart in the S&P 500 are one company; tickers the company changed since the S&P list was
# taken (a rename keeps the company: Anthem is Elevance Health, Facebook is Meta).
TICKERS = {
    "GOOG": "GOOGL",
    "FOX": "FOXA",
    "NWS": "NWSA",
    "DISCK": "DISCA",
    "UA": "UAA",
    "BF.B": "BF.A",
    "FISV": "FI",
    "BLL": "BALL",
    "PEAK": "DOC",
    "WLTW": "WTW",
    "ANTM": "ELV",
    "ABC": "COR",
    "RE": "EG",
    "FB": "META",
    "COG": "CTRA",
    "NLOK": "GEN",
    "DISCA": "WBD",
}
# An entry of index_members.csv whose symbol the source got wrong.
SYMBOL_FIXES = {"Arthur J. Gallagher & Co.": "AJG", "Marsh McLennan": "MMC"}


def _rows(name: str) -> list[dict[str, str]]:
    with (SOURCES / name).open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


def script_of(name: str) -> str:
    """The writing system of a name: latin, cjk, hangul, cyrillic, arabic, hebrew, or mixed."""
    found = set()
    for char in name:
        code = ord(char)
        if 0x4E00 <= code <= 0x9FFF or 0x3040 <= code <= 0x30FF or 0xFF00 <= code <= 0xFFEF and not char.isascii():
            found.add("cjk")
        elif 0xAC00 <= code <= 0xD7AF:
            found.add("hangul")
        elif 0x0400 <= code <= 0x04FF:
            found.add("cyrillic")
        elif 0x0600 <= code <= 0x06FF:
            found.add("arabic")
        elif 0x0590 <= code <= 0x05FF:
            found.add("hebrew")
        elif char.isalpha():
            found.add("latin")
    if len(found) == 1:
        return found.pop()
    return "mixed" if found else "latin"


def build() -> list[dict[str, str]]:
    sec = _rows("sec_titles.csv")
    cik_of_ticker = {r["ticker"].replace("-", "."): r["cik"] for r in sec}
    records: list[dict[str, str]] = []

    def add(name: str, entity: str, source: str, website: str = "", country: str = "") -> None:
        records.append(
            {"name": name.strip(), "entity": entity, "source": source, "website": website, "billing_country": country}
        )

    for r in sec:
        add(r["title"], f"cik:{r['cik']}", "SEC")

    def sp_entity(ticker: str) -> str:
        ticker = TICKERS.get(ticker, ticker)
        ticker = TICKERS.get(ticker, ticker)
        return f"cik:{cik_of_ticker[ticker]}" if ticker in cik_of_ticker else f"sp:{ticker}"

    for r in _rows("sp500_en.csv"):
        add(r["name"], sp_entity(r["symbol"]), "S&P 500")
    for r in _rows("sp500_zh.csv"):
        add(r["name"], sp_entity(r["symbol"]), "S&P 500 (zh)")
    for r in _rows("nikkei225_ja.csv"):
        add(r["name"], f"jp:{r['code']}", "Nikkei 225 (ja)")
    seen_members: set[str] = set()
    for r in _rows("index_members.csv"):
        if r["name"] in seen_members:
            continue
        seen_members.add(r["name"])
        r["symbol"] = SYMBOL_FIXES.get(r["name"], r["symbol"])
        symbols = [s for s in r["yahoo_symbols"].split(";") if s] + [r["symbol"]]
        japan = next((m.group(1) for s in symbols if (m := re.fullmatch(r"(\w{4})\.T", s))), None)
        # A US member is its own ticker; a foreign one is tied to the SEC only through an ADR code (five letters
        # ending in Y or F): its other bare symbols collide with unrelated US tickers (Vivendi 'VIV').
        us_listed = bool({"S&P 500", "S&P 100", "S&P 600", "NASDAQ 100", "DOW JONES"} & set(r["indices"].split(";")))
        tied = [r["symbol"]] if us_listed else [s for s in symbols if re.fullmatch(r"[A-Z]{4}[YF]", s)]
        sec_match = next((cik_of_ticker[s] for s in tied if s in cik_of_ticker), None)
        entity = (
            sp_entity(r["symbol"])
            if us_listed
            else f"cik:{sec_match}"
            if sec_match
            else f"jp:{japan}"
            if japan
            else f"isin:{r['isin'].split(';')[0]}"
            if r["isin"]
            else f"ix:{r['name']}"
        )
        # For US members the source's `country` is the head office's city; the billing country is the US.
        add(r["name"], entity, "index members", r["website"], "United States" if us_listed else r["country"])
    for r in _rows("multiscript_aliases.csv"):
        add(r["name"], r["entity"], "aliases in public code")
    # Dual listings and home/US listings are one company: every name of either side gets one entity.
    entities_of_name: dict[str, set[str]] = {}
    for r in records:
        entities_of_name.setdefault(r["name"], set()).add(r["entity"])
    parent: dict[str, str] = {}

    def root(entity: str) -> str:
        while parent.get(entity, entity) != entity:
            entity = parent[entity]
        return entity

    for p in _rows("labelled_pairs.csv"):
        if p["relation"] == "same":
            joined = sorted({root(e) for e in entities_of_name[p["name_a"]] | entities_of_name[p["name_b"]]})
            parent.update(dict.fromkeys(joined, joined[0]))
    for r in records:
        r["entity"] = root(r["entity"])
    # A subsidiary names its parent company (name_a is the child, name_b the parent): such a pair is *related*.
    entity_of_name = {r["name"]: r["entity"] for r in records}
    parent_of = {
        entity_of_name[p["name_a"]]: entity_of_name[p["name_b"]]
        for p in _rows("labelled_pairs.csv")
        if p["relation"] == "related"
    }
    for r in records:
        r["parent_entity"] = parent_of.get(r["entity"], "")
    for number, r in enumerate(records, start=1):
        r["account_id"] = f"R{number:05d}"
        r["script"] = script_of(r["name"])
    return records


def main() -> None:
    records = build()
    columns = ["account_id", "name", "website", "billing_country", "entity", "parent_entity", "script", "source"]
    with (HERE / "real_accounts.csv").open("w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=columns, extrasaction="ignore")
        writer.writeheader()
        writer.writerows(records)
    entities = {r["entity"] for r in records}
    print(f"{len(records):,} names of {len(entities):,} companies written to real_accounts.csv")


if __name__ == "__main__":
    main()
