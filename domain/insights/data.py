"""The inputs of every insight, read once per data version, and the filters a user sets on the Revenue page."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import cast

import polars as pl

from domain.canonical import CanonicalStage, StageSemantics
from domain.insights.forecast import SlippedPolicy

UNASSIGNED = "Unassigned"
NO_ACCOUNT = "No account"
MAX_DEPTH = 25  # a hierarchy deeper than this (or a loop in CRM parent links) stops climbing here
FX_SCHEMA = {"currency": pl.String(), "valid_from": pl.Date(), "rate": pl.Float64()}


@dataclass(frozen=True)
class RevenueData:
    """Live canonical rows of one workspace, ready for the insight functions."""

    opportunities: pl.DataFrame  # one row per live opportunity, with account name, stage label and segment
    movements: pl.DataFrame  # one row per live ARR movement, with account name and segment
    fx_rates: pl.DataFrame  # currency, valid_from, rate into the reporting currency
    reporting_currency: str
    stages: tuple[CanonicalStage, ...]
    plan: pl.DataFrame  # month, segment ("" = company), planned_ending_arr, planned_net_new_arr

    @property
    def converted(self) -> bool:
        """True when some amounts were converted from another currency (the bridge then shows an FX effect)."""
        return bool((self.movements["currency"].drop_nulls() != self.reporting_currency).any())


@dataclass(frozen=True)
class RevenueFilters:
    """What the user narrowed the Revenue page to. Empty tuples mean "all"."""

    start: date | None = None  # first month shown (inclusive)
    end: date | None = None  # last month shown (inclusive)
    segments: tuple[str, ...] = ()
    owners: tuple[str, ...] = ()
    pipelines: tuple[str, ...] = ()
    stages: tuple[str, ...] = ()
    account_groups: tuple[str, ...] = ()  # a parent account with its linked entities
    # The day the forecast is seen from: open deals whose expected close is before it have slipped, and are
    # placed as `slipped_policy` says (forecast.py). None: every deal at its own expected close.
    as_of: date | None = None
    slipped_policy: SlippedPolicy = SlippedPolicy.APART
    # Movement policy: days after churn within which a return is a reactivation (None: any time).
    reactivation_window_days: int | None = None
    # Movement policy: a customer new and churned within one month leaves that month's New and Churn bars.
    net_same_month_churn: bool = False

    def pipeline_rows(self, opportunities: pl.DataFrame) -> pl.DataFrame:
        """Opportunities that pass every filter (period by expected close)."""
        keep = pl.lit(True)
        if self.start:
            keep &= pl.col("expected_close") >= month_start(self.start)
        if self.end:
            keep &= pl.col("expected_close") <= month_end(self.end)
        for column, chosen in (
            ("segment", self.segments),
            ("owner", self.owners),
            ("pipeline", self.pipelines),
            ("stage", self.stages),
            ("account_group", self.account_groups),
        ):
            if chosen:
                keep &= pl.col(column).is_in(list(chosen))
        return opportunities.filter(keep)

    def movement_rows(self, movements: pl.DataFrame) -> pl.DataFrame:
        """Movements of the chosen segments and account groups, at any date (ending ARR needs the history before
        the period)."""
        keep = pl.lit(True)
        for column, chosen in (("segment", self.segments), ("account_group", self.account_groups)):
            if chosen:
                keep &= pl.col(column).is_in(list(chosen))
        return movements.filter(keep)


def first_date(values: pl.Series) -> date | None:
    """The earliest date of a date column (None when it has none)."""
    return cast(date | None, values.min())


def last_date(values: pl.Series) -> date | None:
    """The latest date of a date column (None when it has none)."""
    return cast(date | None, values.max())


def month_start(day: date) -> date:
    return day.replace(day=1)


def month_end(day: date) -> date:
    following = date(day.year + (day.month == 12), day.month % 12 + 1, 1)
    return date.fromordinal(following.toordinal() - 1)


def months_between(first: date, last: date) -> list[date]:
    """First days of every month from `first`'s to `last`'s, inclusive (the Revenue page's period choices)."""
    return pl.date_range(month_start(first), month_start(last), "1mo", eager=True).to_list()


def shape_revenue_data(
    opportunities: pl.DataFrame,
    movements: pl.DataFrame,
    fx_rates: pl.DataFrame,
    reporting: str,
    stages: tuple[CanonicalStage, ...],
    plan: pl.DataFrame,
    *,
    pipeline_labels: dict[str, str] | None = None,
    hierarchy: pl.DataFrame | None = None,
) -> RevenueData:
    """Add stage labels and semantics, name pipelines as the CRM does, and give every account and movement a
    segment and an account group (its top-most parent in `hierarchy`: account_id, parent_id, account; without
    one, every account is its own group).

    An account's segment is the most frequent segment of its opportunities (the CRM keeps segment on
    the deal); an account with no segmented deal is "Unassigned".
    """
    stage_frame = pl.DataFrame(
        {
            "stage": [s.key for s in stages],
            "stage_label": [s.label for s in stages],
            "stage_order": [s.order for s in stages],
            "stage_semantics": [s.semantics.value for s in stages],
        },
        schema={"stage": pl.String, "stage_label": pl.String, "stage_order": pl.Int64, "stage_semantics": pl.String},
    )
    account_segment = (
        opportunities.filter(pl.col("segment").is_not_null() & pl.col("account_id").is_not_null())
        .group_by("account_id", "segment")
        .len()
        .sort("len", "segment", descending=[True, False])
        .unique("account_id", keep="first")
        .select("account_id", pl.col("segment").alias("_acct_segment"))
    )
    opportunities = (
        opportunities.join(stage_frame, on="stage", how="left")
        .join(account_segment, on="account_id", how="left")
        .with_columns(
            pl.coalesce("segment", "_acct_segment", pl.lit(UNASSIGNED)).alias("segment"),
            pl.col("owner").fill_null(UNASSIGNED),
            pl.col("pipeline").replace(pipeline_labels or {}).fill_null(UNASSIGNED),
            pl.col("stage_label").fill_null(pl.col("stage")),
        )
        .drop("_acct_segment")
    )
    movements = (
        movements.join(account_segment, on="account_id", how="left")
        .with_columns(pl.col("_acct_segment").fill_null(UNASSIGNED).alias("segment"))
        .drop("_acct_segment")
    )
    groups = (
        account_groups(hierarchy)
        if hierarchy is not None
        else pl.DataFrame(schema={"account_id": pl.Int64, "account_group": pl.String})
    )
    opportunities, movements = (
        frame.join(groups, on="account_id", how="left").with_columns(
            pl.coalesce("account_group", "account", pl.lit(NO_ACCOUNT)).alias("account_group")
        )
        for frame in (opportunities, movements)
    )
    return RevenueData(opportunities, movements, fx_rates, reporting, stages, plan)


def account_groups(hierarchy: pl.DataFrame) -> pl.DataFrame:
    """account_id, account_group: each account's top-most parent's name (its own name when it has no parent).

    `hierarchy`: account_id, parent_id (null at the top), account (name).
    """
    parents = hierarchy.select(pl.col("account_id").alias("top"), pl.col("parent_id").alias("above"))
    climbing = hierarchy.select("account_id", pl.coalesce("parent_id", "account_id").alias("top"))
    for _ in range(MAX_DEPTH):
        stepped = climbing.join(parents, on="top", how="left").with_columns(pl.coalesce("above", "top").alias("above"))
        if (stepped["above"] == stepped["top"]).all():
            break
        climbing = stepped.select("account_id", pl.col("above").alias("top"))
    names = hierarchy.select(pl.col("account_id").alias("top"), pl.col("account").alias("account_group"))
    return climbing.join(names, on="top", how="left").select("account_id", "account_group")


def open_stage_keys(stages: tuple[CanonicalStage, ...]) -> list[str]:
    return [s.key for s in stages if s.semantics == StageSemantics.OPEN]
