"""Masking of customer-linked amounts is applied by core, whatever page or command reads the figures."""

from datetime import date

import polars as pl
import pytest

from domain.errors import NotPermitted
from domain.insights.data import RevenueFilters
from domain.insights.revenue_view import revenue_view
from domain.roles import MASKED, Access, Permission, Role, mask_amounts


def _view(data, role: Role, min_accounts: int = 2):
    return revenue_view(
        data,
        RevenueFilters(),
        Access("someone", role, min_accounts),
        bridge_start=date(2026, 1, 1),
        bridge_end=date(2026, 3, 1),
    )


@pytest.mark.parametrize("role", [Role.VIEWER, Role.REVIEWER])
def test_masked_roles_see_no_per_deal_or_per_movement_amount(data, role):
    view = _view(data, role)
    for frame in (view.pipeline_rows, view.bridge_rows):
        for column in ("Amount", "Amount (reporting)", "Weighted amount", "ARR change", "ARR change (reporting)"):
            if column in frame.columns:
                assert set(frame[column].to_list()) == {MASKED}, column
    for column in ("opportunity_amount", "movement_amount", "difference"):
        assert set(view.reconciliation[column].to_list()) == {MASKED}
    # Names stay readable: the point is to hide amounts, not who the customers are.
    assert "Alpha" in view.pipeline_rows["Account"].to_list()


def test_aggregates_over_too_few_accounts_are_blanked_and_larger_ones_stay(data):
    view = _view(data, Role.VIEWER, min_accounts=2)
    # Every month × stage cell of the pipeline has one account: all blanked, deal counts kept.
    assert view.pipeline_by_month["weighted_amount"].null_count() == view.pipeline_by_month.height
    assert view.pipeline_by_month["deals"].to_list() == [1, 1, 1]
    # Ending ARR covers 2 accounts in December and 4 after: visible.
    assert view.arr_by_month["ending_arr"].to_list() == [3200.0, 4800.0, 5400.0, 4400.0]
    # The bridge's expansion is one account (Bravo): blanked; the totals are not.
    amounts = dict(view.bridge.select("component", "amount").iter_rows())
    assert amounts["expansion"] is None and amounts["closing"] == 4400.0


def test_finance_and_admin_see_every_amount(data):
    for role in (Role.FINANCE, Role.ADMIN):
        view = _view(data, role)
        assert view.pipeline_rows["Amount"].dtype == pl.Float64
        assert view.pipeline_by_month["weighted_amount"].null_count() == 0


def test_quarantine_values_of_amount_fields_are_masked_but_stage_labels_are_not():
    quarantine = pl.DataFrame(
        {"field": ["Amount", "StageName"], "value": ["-5", "Legacy"], "payload_json": ['{"Amount": -5}', None]}
    )
    masked = mask_amounts(quarantine, Access("v", Role.VIEWER), amount_fields=frozenset({"Amount"}))
    assert masked.to_dicts() == [
        {"field": "Amount", "value": MASKED, "payload_json": MASKED},
        {"field": "StageName", "value": "Legacy", "payload_json": None},
    ]


def test_permissions_by_role():
    assert Access("a", Role.REVIEWER).may(Permission.APPROVE_SUGGESTIONS)
    assert not Access("a", Role.REVIEWER).may(Permission.EDIT_SETUP)
    with pytest.raises(NotPermitted, match="viewer .Viewer. may not run syncs|Viewer"):
        Access("viewer", Role.VIEWER).require(Permission.RUN_SYNC)
