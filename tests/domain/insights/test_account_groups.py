"""Parent accounts with their linked entities: groups, and pipeline and ARR rolled up to the parent."""

from datetime import date

import polars as pl

from domain.insights.account_groups import account_group_rollup
from domain.insights.arr_actuals import arr_by_month
from domain.insights.data import NO_ACCOUNT, RevenueFilters, account_groups
from domain.insights.revenue_view import revenue_view
from domain.roles import Access, Role

from .conftest import make_data


def _hierarchy(parents: dict[int, int]) -> pl.DataFrame:
    names = {1: "Alpha", 2: "Bravo", 3: "Charlie", 4: "Delta"}
    return pl.DataFrame(
        {"account_id": list(names), "parent_id": [parents.get(i) for i in names], "account": list(names.values())},
        schema={"account_id": pl.Int64, "parent_id": pl.Int64, "account": pl.String},
    )


def test_an_account_belongs_to_its_top_most_parent_and_a_loop_does_not_hang():
    groups = account_groups(_hierarchy({2: 1, 3: 2}))
    assert dict(groups.iter_rows()) == {1: "Alpha", 2: "Alpha", 3: "Alpha", 4: "Delta"}
    looped = dict(account_groups(_hierarchy({1: 2, 2: 1})).iter_rows())
    assert looped[3] == "Charlie" and looped[1] in {"Alpha", "Bravo"}


def test_pipeline_and_arr_roll_up_to_the_parent_by_the_page_definitions():
    data = make_data(hierarchy=_hierarchy({2: 1, 3: 2}))
    rollup = account_group_rollup(data, RevenueFilters(), date(2026, 3, 1))
    # Alpha's group: open deals o1 (1,000 at 60%), o2 (500 at 80%), o3 (2,000 at 10%); ARR at 31 March:
    # Alpha 1,000 - 100, Bravo 2,000 EUR at 1.20 + 700, Charlie 1,200 - 1,200.
    assert rollup.rows() == [("Alpha", 3, "Alpha, Bravo, Charlie", 3500.0, 1200.0, 4000.0)]
    # Delta stands alone (no row), and the groups with Delta add up to the page's ending ARR.
    total = arr_by_month(data, RevenueFilters()).filter(pl.col("month") == date(2026, 3, 1))["ending_arr"].item()
    assert rollup["ending_arr"].sum() + 400.0 == total


def test_the_parent_filter_narrows_pipeline_and_arr_to_the_group():
    data = make_data(hierarchy=_hierarchy({2: 1}))
    alpha = RevenueFilters(account_groups=("Alpha",))
    assert set(alpha.pipeline_rows(data.opportunities)["account"]) == {"Alpha", "Bravo"}
    assert set(alpha.movement_rows(data.movements)["account"]) == {"Alpha", "Bravo"}


def test_without_a_hierarchy_every_account_is_its_own_group_and_a_deal_without_account_is_named():
    data = make_data()
    assert (data.opportunities["account_group"] == data.opportunities["account"]).all()
    orphan = make_data(orphan_deal=True)
    assert NO_ACCOUNT in orphan.opportunities["account_group"].to_list()


def test_a_group_is_masked_for_a_role_without_amounts_when_it_has_few_accounts():
    data = make_data(hierarchy=_hierarchy({2: 1, 3: 2}))
    viewer = Access("vic", Role.VIEWER, min_accounts=5)
    view = revenue_view(data, RevenueFilters(), viewer, bridge_start=date(2026, 1, 1), bridge_end=date(2026, 3, 1))
    row = view.account_groups.row(0, named=True)
    assert row["Parent account"] == "Alpha" and row["Ending ARR"] is None and row["Weighted pipeline"] is None
