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
    # A masked role sees quarters: Q1 2026's open pipeline rests on 2 accounts (k = 2), one total for all stages.
    assert view.by_quarter
    assert view.pipeline_by_month.select("month", "weighted_amount", "deals").rows() == [(date(2026, 1, 1), 1200.0, 3)]
    # Ending ARR at each quarter's end; Q4 2025 rests on 2 accounts, Q1 2026 on 4: both visible.
    assert view.arr_by_month.select("month", "ending_arr").rows() == [
        (date(2025, 10, 1), 3200.0),
        (date(2026, 1, 1), 4400.0),
    ]
    # The bridge's expansion is one account (Bravo): blanked, and so is the FX effect (the rest of the bridge
    # would give it back); opening and closing are not.
    amounts = dict(view.bridge.select("component", "amount").iter_rows())
    assert amounts["expansion"] is None and amounts["fx_effect"] is None and amounts["closing"] == 4400.0


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


def test_an_amount_mapped_as_a_plain_number_is_still_masked_in_the_quarantine():
    from domain.mapping_config import amount_source_fields, from_yaml

    config = from_yaml(
        "objects: [{source: s, object: deals, domain: pipeline, fields: {Acct: {to: account}, Stage: {to: stage},"
        " Amt: {to: amount, type: number}, Close: {to: expected_close, type: date}, Qty: {to: segment,"
        " type: number}}}]"
    )
    fields = amount_source_fields(config)
    assert {"Amt", "Qty"} <= fields and "Stage" not in fields
    quarantine = pl.DataFrame({"field": ["Amt", "Stage"], "value": ["17500.0", "Legacy"]})
    masked = mask_amounts(quarantine, Access("v", Role.VIEWER), amount_fields=fields)
    assert masked["value"].to_list() == [MASKED, "Legacy"]


def test_a_runs_summary_with_figures_is_masked():
    runs = pl.DataFrame({"id": [1], "summary_json": ['{"domains": {"pipeline": {"totals_after": {"w": 5.0}}}}']})
    assert mask_amounts(runs, Access("v", Role.VIEWER))["summary_json"].to_list() == [MASKED]
