"""Deterministic demo CRM: accounts, opportunities over two pipelines, ARR movements, stages, owners.

The data looks like a Salesforce export (API field names, 18-character IDs) and carries the
problems real CRMs have: duplicate accounts under variant names, renamed accounts (same ID, new
name), parent/child accounts, two currencies, an inactive stage still used by old deals, and a
handful of deliberately bad rows. `truth.json` records what was planted so tests and the
suggestion evaluation can check themselves against it.

Generation is vectorised (numpy + polars) so a million rows take seconds, not minutes.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from datetime import date
from pathlib import Path

import numpy as np
import polars as pl

from domain.salesforce_ids import to_18

DEMO_OBJECTS = ("accounts", "opportunities", "arr_movements", "stages", "owners")


@dataclass(frozen=True)
class DemoSpec:
    """Sizes and seed of a demo data set. The defaults are what the Demo workspace uses."""

    seed: int = 7
    accounts: int = 500
    opportunities: int = 3000
    movements: int = 2000
    months: int = 24
    as_of: date = date(2026, 11, 1)


# --- reference data ---------------------------------------------------------------------------
_NAME_HEADS = (
    "Northwind",
    "Blue Harbor",
    "Summit",
    "Evergreen",
    "Ironclad",
    "Silverline",
    "Brightpath",
    "Redwood",
    "Clearwater",
    "Stonebridge",
    "Highland",
    "Lakeshore",
    "Pinecrest",
    "Granite",
    "Bluebird",
    "Keystone",
    "Oakridge",
    "Riverbend",
    "Sunrise",
    "Westfield",
    "Crescent",
    "Harborview",
    "Maplewood",
    "Falcon",
    "Cobalt",
    "Quantum",
    "Vertex",
    "Atlas",
    "Horizon",
    "Meridian",
    "Pioneer",
    "Beacon",
    "Cedar",
    "Aurora",
    "Sterling",
    "Nimbus",
    "Orion",
    "Zenith",
    "Willow",
    "Copperleaf",
    "Fjord",
    "Tidewater",
    "Lumen",
    "Kestrel",
    "Bramble",
    "Larkspur",
    "Halcyon",
    "Solstice",
    "Ember",
    "Juniper",
)
_NAME_TAILS = (
    "Analytics",
    "Logistics",
    "Health",
    "Robotics",
    "Foods",
    "Energy",
    "Capital",
    "Software",
    "Systems",
    "Labs",
    "Media",
    "Retail",
    "Pharma",
    "Motors",
    "Networks",
    "Insurance",
    "Biotech",
    "Apparel",
    "Aerospace",
    "Hospitality",
    "Construction",
    "Learning",
    "Security",
    "Payments",
    "Mobility",
)
_LEGAL_FORMS = ("Inc.", "LLC", "Corp.", "Ltd", "GmbH", "S.A.", "plc", "B.V.", "")
# Distinct companies whose names look alike: never duplicates of each other.
_LOOKALIKES = (
    ("Delta Air Lines, Inc.", "delta.com", "United States"),
    ("Delta Dental Plans Association", "deltadental.com", "United States"),
    ("General Motors Company", "gm.com", "United States"),
    ("General Mills, Inc.", "generalmills.com", "United States"),
    ("American Express Company", "americanexpress.com", "United States"),
    ("American Airlines Group Inc.", "aa.com", "United States"),
)
_COUNTRIES = ("United States", "Canada", "United Kingdom", "Germany", "France", "Netherlands", "Spain", "Ireland")
_COUNTRY_WEIGHTS = (0.42, 0.08, 0.12, 0.14, 0.09, 0.06, 0.05, 0.04)
_EUR_COUNTRIES = ("Germany", "France", "Netherlands", "Spain", "Ireland")
_INDUSTRIES = ("Technology", "Healthcare", "Manufacturing", "Financial Services", "Retail", "Media")
_SEGMENTS = ("Enterprise", "Mid-Market", "SMB")
_OWNERS = (
    ("Dana Seller", "dana.seller"),
    ("Luis Ortega", "luis.ortega"),
    ("Priya Raman", "priya.raman"),
    ("Sam Okafor", "sam.okafor"),
    ("Mia Lindqvist", "mia.lindqvist"),
    ("Tom Becker", "tom.becker"),
    ("Aiko Tanaka", "aiko.tanaka"),
    ("Grace Miller", "grace.miller"),
    ("Noah Fischer", "noah.fischer"),
    ("Chloe Martin", "chloe.martin"),
    ("Ravi Shah", "ravi.shah"),
    ("Elena Rossi", "elena.rossi"),
)

# (pipeline, stage id = label as Salesforce stores StageName, probability %, closed, won, active)
STAGE_MASTER: tuple[tuple[str, str, int, bool, bool, bool], ...] = (
    ("New Business", "Discovery", 10, False, False, True),
    ("New Business", "Qualified", 20, False, False, True),
    ("New Business", "Solution Fit", 40, False, False, True),
    ("New Business", "Legacy - Technical Eval", 40, False, False, False),
    ("New Business", "Proposal Sent", 60, False, False, True),
    ("New Business", "Contracting", 80, False, False, True),
    ("New Business", "Closed Won", 100, True, True, True),
    ("New Business", "Closed Lost", 0, True, False, True),
    ("Renewals & Expansion", "Renewal Identified", 10, False, False, True),
    ("Renewals & Expansion", "Renewal Review", 40, False, False, True),
    ("Renewals & Expansion", "Quote Sent", 70, False, False, True),
    ("Renewals & Expansion", "Verbal Commit", 90, False, False, True),
    ("Renewals & Expansion", "Renewed", 100, True, True, True),
    ("Renewals & Expansion", "Not Renewed", 0, True, False, True),
)

# Each pipeline's open stages in the order a deal walks them.
_NB_OPEN = ("Discovery", "Qualified", "Solution Fit", "Proposal Sent", "Contracting")
_RN_OPEN = ("Renewal Identified", "Renewal Review", "Quote Sent", "Verbal Commit")

# CRM movement labels, as a finance team would type them, by canonical component.
MOVEMENT_LABELS = {
    "new": ("New Business", "New Logo"),
    "expansion": ("Upsell", "Cross-sell", "Price Increase"),
    "contraction": ("Downsell", "Seat Reduction"),
    "churn": ("Churn", "Cancellation"),
    "reactivation": ("Win-back",),
}

_FX_EUR_PER_USD = 0.92  # only to size EUR deals like USD ones


# --- helpers ----------------------------------------------------------------------------------
def salesforce_id(prefix: str, numbers: pl.Expr) -> pl.Expr:
    """18-character Salesforce-style IDs: key prefix + 'Dm' + 10 digits + case-safe suffix."""
    return to_18(pl.lit(f"{prefix}Dm") + numbers.cast(pl.String).str.zfill(10))


def _month_start(as_of: date, months_back: np.ndarray) -> np.ndarray:
    base = np.datetime64(as_of.replace(day=1), "M")
    return (base - months_back.astype("timedelta64[M]")).astype("datetime64[D]")


# --- generators -------------------------------------------------------------------------------
def generate(spec: DemoSpec) -> dict[str, pl.DataFrame | dict]:
    """All demo objects plus the planted truth, deterministic for a given spec."""
    rng = np.random.default_rng(spec.seed)
    owners = _owners()
    accounts, truth = _accounts(spec, rng)
    stages = _stages()
    movements, booked = _movements(spec, rng, accounts, truth)
    opportunities = _opportunities(spec, rng, accounts, truth, owners, booked)
    opportunities, movements = _plant_bad_rows(opportunities, movements, truth)
    truth["spec"] = {k: str(v) for k, v in asdict(spec).items()}
    return {
        "accounts": accounts.drop("_base", "_currency"),
        "opportunities": opportunities,
        "stage_history": _stage_history(spec, opportunities),
        "contracts": _contracts(spec, movements),
        "arr_movements": movements,
        "stages": stages,
        "owners": owners,
        "truth": truth,
    }


def _owners() -> pl.DataFrame:
    return pl.DataFrame(
        {
            "Id": pl.select(salesforce_id("005", pl.int_range(1, len(_OWNERS) + 1))).to_series(),
            "Name": [name for name, _ in _OWNERS],
            "Email": [f"{handle}@demo-revenue.example" for _, handle in _OWNERS],
            "IsActive": [True] * len(_OWNERS),
        }
    )


def _stages() -> pl.DataFrame:
    rows = []
    order_in_pipeline: dict[str, int] = {}
    for pipeline, stage, probability, closed, won, active in STAGE_MASTER:
        order_in_pipeline[pipeline] = order_in_pipeline.get(pipeline, 0) + 1
        rows.append(
            {
                "Pipeline": pipeline,
                "ApiName": stage,
                "MasterLabel": stage,
                "DefaultProbability": probability,
                "IsClosed": closed,
                "IsWon": won,
                "IsActive": active,
                "SortOrder": order_in_pipeline[pipeline],
            }
        )
    return pl.DataFrame(rows).with_columns(Id=salesforce_id("01J", pl.int_range(1, pl.len() + 1)))


def _accounts(spec: DemoSpec, rng: np.random.Generator) -> tuple[pl.DataFrame, dict]:
    n_lookalike = min(len(_LOOKALIKES), max(0, spec.accounts // 50))
    n_dupes = max(1, round(spec.accounts * 0.06)) if spec.accounts >= 20 else 0
    n_children = max(1, round(spec.accounts * 0.05)) if spec.accounts >= 20 else 0
    n_base = spec.accounts - n_lookalike - n_dupes - n_children
    combos = len(_NAME_HEADS) * len(_NAME_TAILS)
    picks = rng.permutation(combos)[:n_base] if n_base <= combos else rng.integers(0, combos, n_base)
    heads = np.array(_NAME_HEADS)[picks // len(_NAME_TAILS)]
    tails = np.array(_NAME_TAILS)[picks % len(_NAME_TAILS)]
    # Beyond 1,250 names the combinations repeat; a numbered series keeps them distinct companies.
    series = np.where(np.arange(n_base) < combos, "", np.char.add(" ", (np.arange(n_base) // combos + 1).astype(str)))
    base_names = np.char.add(np.char.add(np.char.add(heads, " "), tails), series)
    forms = np.array(_LEGAL_FORMS)[rng.integers(0, len(_LEGAL_FORMS), n_base)]
    countries = rng.choice(_COUNTRIES, size=n_base, p=_COUNTRY_WEIGHTS)
    revenue = np.round(np.exp(rng.normal(17.0, 1.6, n_base)), -3)
    base = pl.DataFrame(
        {
            "_base": base_names,
            "Name": np.char.strip(np.char.add(np.char.add(base_names, " "), forms)),
            "Website": np.char.add(np.char.lower(np.char.replace(base_names, " ", "")), ".com"),
            "BillingCountry": countries,
            "Industry": rng.choice(_INDUSTRIES, size=n_base),
            "AnnualRevenue": revenue,
        }
    )
    lookalikes = pl.DataFrame(
        {
            "_base": [n for n, _, _ in _LOOKALIKES[:n_lookalike]],
            "Name": [n for n, _, _ in _LOOKALIKES[:n_lookalike]],
            "Website": [w for _, w, _ in _LOOKALIKES[:n_lookalike]],
            "BillingCountry": [c for _, _, c in _LOOKALIKES[:n_lookalike]],
            "Industry": ["Transportation"] * n_lookalike,
            "AnnualRevenue": [5e9] * n_lookalike,
        },
        schema=base.schema,
    )
    originals = pl.concat([base, lookalikes]).with_columns(
        Id=salesforce_id("001", pl.int_range(1, pl.len() + 1)), ParentId=pl.lit(None, pl.String)
    )

    # Duplicates: a second record for the same company under a variant name, another ID.
    dupe_of = rng.choice(n_base, size=n_dupes, replace=False)
    variant = rng.integers(0, 5, n_dupes)
    dup_src = originals[dupe_of.tolist()]
    variant_names = [
        _variant_name(str(b), str(n), int(v))
        for b, n, v in zip(dup_src["_base"], dup_src["Name"], variant, strict=True)
    ]
    dupes = dup_src.with_columns(
        Name=pl.Series(variant_names),
        Website=pl.when(pl.Series(rng.random(n_dupes) < 0.25)).then(None).otherwise(pl.col("Website")),
    )
    # Children: regional subsidiaries with their own ID and ParentId -> the group.
    parent_idx = rng.choice(n_base, size=n_children, replace=False)
    parents = originals[parent_idx.tolist()]
    regions = np.array(["Europe GmbH", "UK Ltd", "(EMEA)", "Canada Inc.", "APAC Pte. Ltd."])[
        rng.integers(0, 5, n_children)
    ]
    # One child in five was never linked to its group in the CRM: step 4 suggests it as related to its parent.
    linked = pl.int_range(pl.len()) % 5 != 4
    children = parents.with_columns(
        Name=pl.col("_base") + " " + pl.Series(regions),
        ParentId=pl.when(linked).then(pl.col("Id")),
        AnnualRevenue=((pl.col("AnnualRevenue") * 0.2) / 1000).round(0) * 1000,
    )
    extra = pl.concat([dupes, children]).with_columns(
        Id=salesforce_id("001", pl.int_range(len(originals) + 1, len(originals) + pl.len() + 1))
    )
    accounts = pl.concat([originals, extra])

    # Renamed: same ID, new name today; older records still carry the old name.
    n_renamed = max(1, round(spec.accounts * 0.03)) if spec.accounts >= 20 else 0
    renamed_idx = rng.choice(n_base, size=n_renamed, replace=False)
    renamed_ids = accounts["Id"].gather(renamed_idx).to_list()
    old_names = accounts["Name"].gather(renamed_idx).to_list()
    new_names = [
        f"{name.split(' ')[0]} {tail}"
        for name, tail in zip(
            old_names,
            np.array(["One", "Group", "Holdings", "Global", "Digital"])[rng.integers(0, 5, n_renamed)],
            strict=True,
        )
    ]
    rename_map = dict(zip(renamed_ids, new_names, strict=True))
    accounts = accounts.with_columns(
        PreviousName=pl.when(pl.col("Id").is_in(renamed_ids)).then(pl.col("Name")).otherwise(None),
    ).with_columns(
        Name=pl.col("Id").replace_strict(rename_map, default=pl.col("Name")),
    )
    accounts = accounts.with_columns(
        Segment__c=pl.when(pl.col("AnnualRevenue") >= 1e9)
        .then(pl.lit("Enterprise"))
        .when(pl.col("AnnualRevenue") >= 5e7)
        .then(pl.lit("Mid-Market"))
        .otherwise(pl.lit("SMB")),
        _currency=pl.when(pl.col("BillingCountry").is_in(_EUR_COUNTRIES)).then(pl.lit("EUR")).otherwise(pl.lit("USD")),
        OwnerId=salesforce_id("005", pl.Series(rng.integers(1, len(_OWNERS) + 1, len(accounts)))),
        CreatedDate=pl.lit(f"{spec.as_of.year - 3}-01-15T09:00:00.000+0000"),
        LastModifiedDate=pl.lit(f"{spec.as_of:%Y-%m-%d}T06:00:00.000+0000"),
    ).select(
        "Id",
        "Name",
        "PreviousName",
        "ParentId",
        "Website",
        "BillingCountry",
        "Industry",
        "AnnualRevenue",
        "Segment__c",
        "OwnerId",
        "CreatedDate",
        "LastModifiedDate",
        "_base",
        "_currency",
    )
    truth = {
        "duplicates": [
            [a, b]
            for a, b in zip(originals["Id"].gather(dupe_of).to_list(), extra["Id"].head(n_dupes).to_list(), strict=True)
        ],
        "renamed": [
            {"id": i, "old_name": o, "new_name": n} for i, o, n in zip(renamed_ids, old_names, new_names, strict=True)
        ],
        "children": [
            [p, c] for p, c in zip(parents["Id"].to_list(), extra["Id"].tail(n_children).to_list(), strict=True)
        ],
        "unlinked_children": [
            [p, c]
            for i, (p, c) in enumerate(
                zip(parents["Id"].to_list(), extra["Id"].tail(n_children).to_list(), strict=True)
            )
            if i % 5 == 4
        ],
        "lookalikes": originals.filter(pl.col("_base").is_in([n for n, _, _ in _LOOKALIKES]))["Id"].to_list(),
    }
    return accounts, truth


def _variant_name(base: str, name: str, variant: int) -> str:
    if variant == 0:
        return name.upper()
    if variant == 1:
        return base  # legal form dropped
    if variant == 2:
        return f"The {base} Company"
    if variant == 3:
        return f"{base} Corporation"
    return f"{base}, Inc"


def _booked_deals(
    spec: DemoSpec, rng: np.random.Generator, accounts: pl.DataFrame, booked: pl.DataFrame
) -> pl.DataFrame:
    """The won deals behind the ARR a customer gained, as the opportunity draws for them.

    Most new, expansion and reactivation movements come from a won deal closed up to three weeks before the
    movement takes effect (the lag from signature to billing), for the movement's amount; a few movements have no
    deal (self-serve upgrades) and a few deals were booked at a different amount than billed.
    """
    with_deal = booked.filter(pl.Series(rng.random(booked.height) < 0.93))
    cap = int(spec.opportunities * 0.6)
    if with_deal.height > cap:
        with_deal = with_deal.sample(cap, seed=spec.seed)
    k = with_deal.height
    mismatch = np.where(rng.random(k) < 0.05, rng.choice([0.8, 1.25], k), 1.0)
    rows = accounts.select(pl.col("Id").alias("AccountId")).with_row_index("account_row")
    return with_deal.join(rows, on="AccountId", how="left").select(
        pl.col("account_row").cast(pl.Int64),
        (pl.col("component") == "expansion").alias("renewal"),  # upsells live in the renewals pipeline
        (
            (pl.col("EffectiveDate").str.to_date() - pl.lit(spec.as_of)).dt.total_days()
            - pl.Series(rng.integers(0, 22, k))
        ).alias("offset_days"),
        (pl.col("ARRChange") * pl.Series(mismatch)).round(0).alias("booked_amount"),
    )


def _opportunities(
    spec: DemoSpec,
    rng: np.random.Generator,
    accounts: pl.DataFrame,
    truth: dict,
    owners: pl.DataFrame,
    booked: pl.DataFrame,
) -> pl.DataFrame:
    n = spec.opportunities
    nb_open, rn_open = list(_NB_OPEN), list(_RN_OPEN)
    draws = pl.DataFrame(
        {
            "account_row": rng.integers(0, len(accounts), n),
            "renewal": rng.random(n) < 0.35,
            # Close dates from 18 months back to 9 months ahead; past deals are mostly closed.
            "offset_days": rng.integers(-548, 274, n),
            "open_draw": rng.random(n),
            "won_draw": rng.random(n),
            "closed_draw": rng.random(n),
            "legacy_draw": rng.random(n),
            "amount_noise": rng.normal(0.0, 0.6, n),
            "age_days": rng.integers(30, 240, n),
            "touch_days": rng.integers(0, 20, n),
            "type_draw": rng.random(n),
            "owner_no": rng.integers(1, len(owners) + 1, n),
            "lead_no": rng.integers(0, 5, n),
            "step_no": rng.integers(0, 5, n),
        }
    )
    # The first deals are the won ones behind booked ARR; the rest are open, lost and renewal deals.
    deals = _booked_deals(spec, rng, accounts, booked)
    k = min(deals.height, n)
    draws = pl.concat(
        [
            draws.head(k)
            .with_columns(deals.head(k).drop("booked_amount"))
            .with_columns(pl.lit(True).alias("booked"), deals.head(k)["booked_amount"]),
            draws.slice(k).with_columns(
                pl.lit(False).alias("booked"),
                pl.lit(None, pl.Float64).alias("booked_amount"),
                # At least one deal still sits on the deactivated legacy stage, a month past its close date.
                *[
                    pl.when(pl.int_range(pl.len()) == 0).then(pl.lit(value)).otherwise(pl.col(name)).alias(name)
                    for name, value in (
                        ("renewal", False),
                        ("offset_days", -30),
                        ("closed_draw", 0.99),
                        ("legacy_draw", 0.0),
                    )
                ],
            ),
        ]
    )
    acc = accounts.select(
        pl.col("Id").alias("AccountId"),
        pl.col("Name").alias("Account.Name"),
        "Segment__c",
        "_currency",
    ).with_row_index("account_row")
    as_of = pl.lit(spec.as_of)
    past = pl.col("offset_days") < 0
    booked_deal = pl.col("booked")
    closed = booked_deal | (past & (pl.col("closed_draw") < 0.92))
    # Other won deals are renewals at the same price (no movement); a few new-business wins were never billed.
    won = booked_deal | (pl.col("won_draw") < pl.when(pl.col("renewal")).then(0.8).otherwise(0.03))
    open_stage = (
        pl.when(pl.col("renewal"))
        .then(pl.lit(pl.Series(rn_open)).get((pl.col("open_draw") * len(rn_open)).cast(pl.Int64)))
        .otherwise(pl.lit(pl.Series(nb_open)).get((pl.col("open_draw") * len(nb_open)).cast(pl.Int64)))
    )
    closed_stage = (
        pl.when(pl.col("renewal") & won)
        .then(pl.lit("Renewed"))
        .when(pl.col("renewal"))
        .then(pl.lit("Not Renewed"))
        .when(won)
        .then(pl.lit("Closed Won"))
        .otherwise(pl.lit("Closed Lost"))
    )
    legacy = ~closed & ~pl.col("renewal") & (pl.col("offset_days") < 60) & (pl.col("legacy_draw") < 0.03)
    scale = pl.col("Segment__c").replace_strict(
        {"Enterprise": 11.6, "Mid-Market": 10.6, "SMB": 9.6}, return_dtype=pl.Float64
    )
    amount_usd = ((scale + pl.col("amount_noise")).exp() / 100).round(0) * 100
    close = as_of + pl.duration(days=pl.col("offset_days"))
    frame = (
        draws.join(acc, on="account_row", how="left", maintain_order="left")
        .with_columns(
            Id=salesforce_id("006", pl.int_range(1, pl.len() + 1)),
            Pipeline=pl.when(pl.col("renewal")).then(pl.lit("Renewals & Expansion")).otherwise(pl.lit("New Business")),
            StageName=pl.when(legacy)
            .then(pl.lit("Legacy - Technical Eval"))
            .when(closed)
            .then(closed_stage)
            .otherwise(open_stage),
            Amount=pl.when(booked_deal)
            .then(pl.col("booked_amount"))
            .when(pl.col("_currency") == "EUR")
            .then((amount_usd * _FX_EUR_PER_USD / 100).round(0) * 100)
            .otherwise(amount_usd),
            CurrencyIsoCode=pl.col("_currency"),
            CloseDate=close.dt.strftime("%Y-%m-%d"),
            Type=pl.when(~pl.col("renewal"))
            .then(pl.lit("New Customer"))
            .when(booked_deal)
            .then(pl.lit("Existing Customer - Upgrade"))
            .when((pl.col("type_draw") < 0.5) | (closed & won))
            .then(pl.lit("Existing Customer - Renewal"))
            .otherwise(pl.lit("Existing Customer - Upgrade")),
            OwnerId=salesforce_id("005", pl.col("owner_no")),
            LeadSource=pl.lit(pl.Series(["Web", "Partner", "Outbound", "Event", "Referral"])).get(pl.col("lead_no")),
            NextStep=pl.lit(
                pl.Series(["Send proposal", "Security review", "Exec sponsor call", "", "Legal redlines"])
            ).get(pl.col("step_no")),
            CreatedDate=(close - pl.duration(days=pl.col("age_days"))).dt.strftime("%Y-%m-%dT10:00:00.000+0000"),
            LastModifiedDate=(pl.min_horizontal(close, as_of) - pl.duration(days=pl.col("touch_days"))).dt.strftime(
                "%Y-%m-%dT12:00:00.000+0000"
            ),
            IsDeleted=pl.lit(False),
        )
        .with_columns(
            Probability=pl.col("StageName").replace_strict(
                {s: p for _, s, p, *_ in STAGE_MASTER}, return_dtype=pl.Int64
            ),
            ForecastCategoryName=pl.when(pl.col("StageName").is_in(["Closed Lost", "Not Renewed"]))
            .then(pl.lit("Omitted"))
            .when(pl.col("StageName").is_in(["Closed Won", "Renewed"]))
            .then(pl.lit("Closed"))
            .otherwise(pl.lit("Pipeline")),
            Name=pl.col("Account.Name") + pl.lit(" - ") + pl.col("Type").str.replace("Existing Customer - ", ""),
        )
    )
    # Deals created before a rename still show the old account name in exports.
    renamed = {r["id"]: r["old_name"] for r in truth["renamed"]}
    old_deal = pl.col("CreatedDate").str.slice(0, 10) < f"{spec.as_of.year - 1}-06-01"
    frame = frame.with_columns(
        pl.when(old_deal & pl.col("AccountId").is_in(list(renamed)))
        .then(pl.col("AccountId").replace_strict(renamed, default=None))
        .otherwise(pl.col("Account.Name"))
        .alias("Account.Name"),
    )
    return frame.select(
        "Id",
        "Name",
        "AccountId",
        "Account.Name",
        "Pipeline",
        "StageName",
        "Amount",
        "CurrencyIsoCode",
        "CloseDate",
        "Probability",
        "Type",
        "OwnerId",
        "LeadSource",
        "NextStep",
        "ForecastCategoryName",
        "Segment__c",
        "CreatedDate",
        "LastModifiedDate",
        "IsDeleted",
    )


def _stage_history(spec: DemoSpec, opportunities: pl.DataFrame) -> pl.DataFrame:
    """OpportunityHistory rows (OpportunityId, StageName, CreatedDate): each deal walked its pipeline's open stages
    from the first, an open deal up to where it is, a won deal through all of them, a lost one dying early more
    often than late; one deal in seven skipped the second stage. Its own generator, so the other objects' draws
    stay what they were."""
    rng = np.random.default_rng(spec.seed + 101)
    n = opportunities.height
    open_lists = {"New Business": _NB_OPEN, "Renewals & Expansion": _RN_OPEN}
    position = {stage: i for stages in open_lists.values() for i, stage in enumerate(stages)}
    position["Legacy - Technical Eval"] = 2
    closed = pl.col("StageName").is_in(["Closed Won", "Closed Lost", "Renewed", "Not Renewed"])
    won = pl.col("StageName").is_in(["Closed Won", "Renewed"])
    n_open = pl.col("Pipeline").replace_strict({k: len(v) for k, v in open_lists.items()}, return_dtype=pl.Int64)
    deals = opportunities.select(
        "Id",
        "Pipeline",
        "StageName",
        created=pl.col("CreatedDate").str.slice(0, 10).str.to_date(),
        ended=pl.col("CloseDate").str.to_date(strict=False),
        reach=pl.Series(rng.random(n) ** 1.6),
        skips=pl.Series(rng.random(n) < 1 / 7),
    ).with_columns(
        # Open stages entered before the current entry: an open deal's position, all for a won one.
        before=pl.when(~closed)
        .then(pl.col("StageName").replace_strict(position, default=0, return_dtype=pl.Int64))
        .when(won)
        .then(n_open)
        .otherwise((pl.col("reach") * n_open).floor().cast(pl.Int64) + 1)
    )
    walked = (
        deals.with_columns(pos=pl.int_ranges(0, pl.col("before")))
        .explode("pos")
        .filter(pl.col("pos").is_not_null() & ~(pl.col("skips") & (pl.col("pos") == 1) & (pl.col("before") > 2)))
        .with_columns(
            stage=pl.when(pl.col("Pipeline") == "New Business")
            .then(pl.lit(pl.Series(_NB_OPEN)).get(pl.col("pos").clip(0, len(_NB_OPEN) - 1)))
            .otherwise(pl.lit(pl.Series(_RN_OPEN)).get(pl.col("pos").clip(0, len(_RN_OPEN) - 1)))
        )
    )
    current = deals.with_columns(pos=pl.col("before"), stage=pl.col("StageName"))
    entries = pl.concat([walked.select(current.columns), current]).with_columns(
        # Spread between creation and the close (or today for an open deal), in walking order; nothing after today
        # (a few generated deals are dated ahead).
        at=pl.min_horizontal(
            pl.col("created")
            + (
                (pl.min_horizontal(pl.col("ended").fill_null(spec.as_of), pl.lit(spec.as_of)) - pl.col("created"))
                * pl.col("pos")
                / (pl.col("before") + 1)
            ),
            pl.lit(spec.as_of),
        )
    )
    return (
        entries.sort("Id", "pos")
        .select(
            pl.col("Id").alias("OpportunityId"),
            pl.col("stage").alias("StageName"),
            pl.col("at").dt.strftime("%Y-%m-%dT09:30:00.000+0000").alias("CreatedDate"),
        )
        .with_columns(Id=salesforce_id("008", pl.int_range(1, pl.len() + 1)), IsDeleted=pl.lit(False))
    )


def _contracts(spec: DemoSpec, movements: pl.DataFrame) -> pl.DataFrame:
    """Salesforce Contract rows behind the same customers' ARR: each movement closes the contract in force and
    opens one at the new annual value (a renewal the day after the previous end); a customer still paying has a
    contract running a year past today. So ARR derived from these contracts tells the movement object's story,
    month by month. The planted bad movement rows are left out: a contract object has no such entry errors."""
    valid = movements.with_columns(
        start=pl.col("EffectiveDate").str.to_date(strict=False), change=pl.col("ARRChange").cast(pl.Float64)
    ).filter(
        pl.col("start").is_not_null()
        & pl.col("change").is_finite()
        & pl.col("AccountId").str.starts_with("001")
        & pl.col("start").is_between(date(2000, 1, 1), spec.as_of)
    )
    contracts = (
        valid.sort("AccountId", "start", "Id")
        .group_by("AccountId", "start", maintain_order=True)
        .agg(pl.col("change").sum(), pl.col("CurrencyIsoCode").first())
        .with_columns(level=pl.col("change").cum_sum().over("AccountId").clip(0, None))
        .with_columns(next_start=pl.col("start").shift(-1).over("AccountId"))
        .with_columns(
            end=pl.when(pl.col("next_start").is_not_null())
            .then(pl.col("next_start") - pl.duration(days=1))
            .otherwise(pl.lit(spec.as_of).dt.offset_by("1y") - pl.duration(days=1))
        )
        .filter(pl.col("level") > 0)
    )
    return contracts.select(
        Id=salesforce_id("800", pl.int_range(1, pl.len() + 1)),
        AccountId="AccountId",
        StartDate=pl.col("start").dt.strftime("%Y-%m-%d"),
        EndDate=pl.col("end").dt.strftime("%Y-%m-%d"),
        ContractTerm=((pl.col("end") - pl.col("start")).dt.total_days() / 30.4).round(0).cast(pl.Int64),
        Status=pl.lit("Activated"),
        ARR__c=pl.col("level").round(2),
        CurrencyIsoCode="CurrencyIsoCode",
        LastModifiedDate=pl.col("start").dt.strftime("%Y-%m-%dT08:00:00.000+0000"),
    )


def _movements(
    spec: DemoSpec, rng: np.random.Generator, accounts: pl.DataFrame, truth: dict
) -> tuple[pl.DataFrame, pl.DataFrame]:
    """The ARR movement object, and the movements a won deal books (new, expansion, reactivation) to derive
    those deals from."""
    m = spec.movements
    customers_n = max(1, min(int(len(accounts) * 0.7), m))
    customer_idx = rng.choice(len(accounts), size=customers_n, replace=False)
    # Every customer has its "new" event; the rest of the events are spread at random.
    start_month = rng.integers(1, spec.months + 1, customers_n)  # months back from as_of; 1 = last month
    # A longer-standing customer has had more time to move: extra events in proportion to tenure.
    extra = (
        rng.multinomial(m - customers_n, start_month / start_month.sum())
        if m > customers_n
        else np.zeros(customers_n, int)
    )
    counts = 1 + extra
    account_of_event = np.repeat(np.arange(customers_n), counts)
    ev = pl.DataFrame(
        {
            "cust": account_of_event,
            "u": rng.random(m),
            "kind_draw": rng.random(m),
            "factor_draw": rng.random(m),
            "day": rng.integers(0, 28, m),
            "start": start_month[account_of_event],
            "n": counts[account_of_event],
            "base": np.round(np.exp(rng.normal(10.3, 0.8, customers_n)), -2)[account_of_event],
            "reactivate_base": np.round(np.exp(rng.normal(10.0, 0.7, customers_n)), -2)[account_of_event],
            "churn_draw": rng.random(customers_n)[account_of_event],
        }
    )
    ev = (
        ev.with_columns(
            # Event months after the start: i-th event lands later than the (i-1)-th.
            idx=pl.int_range(pl.len()).over("cust"),
        )
        .with_columns(
            months_back=pl.when(pl.col("idx") == 0)
            .then(pl.col("start"))
            .otherwise((pl.col("start") * pl.col("u")).floor().cast(pl.Int64) + 1),
        )
        .sort(["cust", "idx"])
        .with_columns(
            # Events go forward in time within a customer: sort the draws (a running minimum of them would
            # pile most events into the last month and make every demo chart spike there).
            months_back=pl.col("months_back").sort(descending=True).over("cust"),
        )
        .with_columns(
            churn_idx=pl.when((pl.col("n") >= 2) & (pl.col("churn_draw") < 0.30))
            .then(
                (pl.col("n") - 1 - (pl.col("churn_draw") * 10).floor().cast(pl.Int64) % pl.col("n").clip(1, None)).clip(
                    1, None
                )
            )
            .otherwise(-1),
        )
        .with_columns(
            component=pl.when(pl.col("idx") == 0)
            .then(pl.lit("new"))
            .when(pl.col("idx") == pl.col("churn_idx"))
            .then(pl.lit("churn"))
            .when((pl.col("churn_idx") > 0) & (pl.col("idx") == pl.col("churn_idx") + 1))
            .then(pl.lit("reactivation"))
            .when(pl.col("kind_draw") < 0.7)
            .then(pl.lit("expansion"))
            .otherwise(pl.lit("contraction")),
        )
        .with_columns(
            step=(2 / pl.col("n").cast(pl.Float64)).clip(None, 1.0),
        )
        .with_columns(
            factor=pl.when(pl.col("component") == "new")
            .then(pl.col("base"))
            .when(pl.col("component") == "reactivation")
            .then(pl.col("reactivate_base"))
            .when(pl.col("component") == "churn")
            .then(0.0)
            # Steps shrink with a customer's number of movements, so expansion stays about a third to a half of
            # new ARR at every size (the demo's 2,000 movements and the bench's million alike), as in real books.
            .when(pl.col("component") == "expansion")
            .then(1 + (0.1 + 0.5 * pl.col("factor_draw")) * pl.col("step"))
            .otherwise(1 - (0.05 + 0.35 * pl.col("factor_draw")) * pl.col("step")),
            life=(pl.col("component").is_in(["new", "reactivation", "churn"])).cum_sum().over("cust"),
        )
        .with_columns(
            level=(pl.col("factor").cum_prod().over(["cust", "life"]) / 10).round(0) * 10,
        )
        .with_columns(
            level=pl.when(pl.col("component") == "churn").then(0.0).otherwise(pl.col("level")),
        )
        .with_columns(
            ARRChange=(pl.col("level") - pl.col("level").shift(1, fill_value=0.0).over("cust")).round(2),
        )
    )
    # A level that rounds to the previous one is no movement; nudge it so every row moves ARR.
    ev = ev.with_columns(
        ARRChange=pl.when(pl.col("ARRChange") == 0).then(pl.lit(10.0)).otherwise(pl.col("ARRChange")),
    ).with_columns(
        component=pl.when((pl.col("component") == "contraction") & (pl.col("ARRChange") > 0))
        .then(pl.lit("expansion"))
        .when((pl.col("component") == "expansion") & (pl.col("ARRChange") < 0))
        .then(pl.lit("contraction"))
        .otherwise(pl.col("component")),
    )
    # Same-month events keep their order: a later event never gets an earlier day.
    ev = ev.with_columns(day=pl.col("day").cum_max().over(["cust", "months_back"]))
    acc = (
        accounts[customer_idx.tolist()]
        .select(
            pl.col("Id").alias("AccountId"),
            pl.col("Name").alias("Account.Name"),
            pl.col("_currency").alias("CurrencyIsoCode"),
        )
        .with_columns(cust=pl.int_range(pl.len()))
    )
    ev = ev.join(acc, on="cust", how="left")
    effective = _month_start(spec.as_of, ev["months_back"].to_numpy()) + ev["day"].to_numpy().astype("timedelta64[D]")
    labels = pl.col("component").replace_strict({k: v[0] for k, v in MOVEMENT_LABELS.items()})
    alt_label = pl.col("component").replace_strict({k: v[-1] for k, v in MOVEMENT_LABELS.items()})
    ev = ev.with_columns(
        EffectiveDate=pl.Series(effective.astype(str)),
        MovementType=pl.when(pl.col("u") < 0.75).then(labels).otherwise(alt_label),
        LastModifiedDate=pl.Series(np.char.add(effective.astype(str), "T08:00:00.000+0000")),
    ).with_columns(Id=salesforce_id("a0X", pl.int_range(1, pl.len() + 1)))
    renamed = {r["id"]: r["old_name"] for r in truth["renamed"]}
    ev = ev.with_columns(
        pl.when(pl.col("AccountId").is_in(list(renamed)) & (pl.col("months_back") > 12))
        .then(pl.col("AccountId").replace_strict(renamed, default=None))
        .otherwise(pl.col("Account.Name"))
        .alias("Account.Name"),
    )
    ev = ev.sort(["EffectiveDate", "AccountId"], maintain_order=True)
    booked = ev.filter(pl.col("component").is_in(["new", "expansion", "reactivation"])).select(
        "AccountId", "EffectiveDate", "ARRChange", "component"
    )
    movements = ev.select(
        "Id",
        "AccountId",
        "Account.Name",
        "EffectiveDate",
        "MovementType",
        "ARRChange",
        "CurrencyIsoCode",
        "LastModifiedDate",
    )
    return movements, booked


def _plant_bad_rows(
    opportunities: pl.DataFrame, movements: pl.DataFrame, truth: dict
) -> tuple[pl.DataFrame, pl.DataFrame]:
    """Overwrite a few rows with the mistakes real exports contain; truth lists them with the reason."""
    bad: list[dict] = []

    def spoil(frame: pl.DataFrame, row: int, column: str, value, reason: str, obj: str) -> pl.DataFrame:
        if row >= len(frame):
            return frame
        bad.append({"object": obj, "id": frame["Id"][row], "field": column, "value": value, "reason": reason})
        dtype = frame.schema[column]
        return frame.with_columns(
            pl.when(pl.int_range(pl.len()) == row)
            .then(pl.lit(value, dtype=dtype))
            .otherwise(pl.col(column))
            .alias(column)
        )

    o = opportunities
    o = spoil(o, 5, "StageName", "Pilot Extension", "unmapped_stage", "opportunities")
    o = spoil(o, 11, "AccountId", "001Dm9999999999AAA", "unreconciled_account", "opportunities")
    o = spoil(o, 17, "Amount", None, "missing_value", "opportunities")
    o = spoil(o, 23, "CloseDate", "31/02/2025", "invalid_value", "opportunities")
    # Spoil only movements nothing else builds on (an account's last expansion, a lone "new"),
    # so the clean rows still add up to a non-negative ARR per account.
    m = movements.with_row_index("_row")
    per_account = pl.len().over("AccountId")
    is_last = pl.col("_row") == pl.col("_row").max().over("AccountId")
    last_expansions = m.filter(is_last & pl.col("MovementType").is_in(MOVEMENT_LABELS["expansion"]))["_row"].to_list()
    lone_new = m.filter((per_account == 1) & pl.col("MovementType").is_in(MOVEMENT_LABELS["new"]))["_row"].to_list()
    m = m.drop("_row")
    if lone_new:
        row = lone_new[len(lone_new) // 2]
        m = spoil(m, row, "ARRChange", -abs(float(m["ARRChange"][row])), "sign_contradicts_component", "arr_movements")
    for row, (column, value, reason) in zip(
        last_expansions[1::7],
        (
            ("AccountId", "001Dm8888888888AAA", "unreconciled_account"),
            ("EffectiveDate", "2025-13-45", "invalid_value"),
            ("ARRChange", None, "missing_value"),
        ),
        strict=False,
    ):
        m = spoil(m, row, column, value, reason, "arr_movements")
    truth["bad_rows"] = bad
    return o, m


def write_demo(spec: DemoSpec, out_dir: Path, *, file_format: str = "csv") -> dict[str, int]:
    """Write the demo objects and truth.json into `out_dir`; returns rows per object."""
    if file_format not in {"csv", "parquet"}:
        raise ValueError(f"format must be csv or parquet, not {file_format!r}")
    out_dir.mkdir(parents=True, exist_ok=True)
    data = generate(spec)
    counts = {}
    for name in DEMO_OBJECTS:
        frame = data[name]
        assert isinstance(frame, pl.DataFrame)
        target = out_dir / f"{name}.{file_format}"
        tmp = target.with_name(target.name + ".tmp")
        # Write aside, then rename: a crash mid-write never leaves a half file under the real name.
        frame.write_csv(tmp) if file_format == "csv" else frame.write_parquet(tmp)
        tmp.replace(target)
        counts[name] = len(frame)
    (out_dir / "truth.json").write_text(json.dumps(data["truth"], indent=2, sort_keys=True))
    return counts
