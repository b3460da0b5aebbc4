"""Slipped deals (open, expected close passed) are shown apart, rolled into the current month or left out of the
forecast, as the workspace chooses, and always counted as their own figure (issue 19)."""

from datetime import date

import polars as pl
import pytest

from domain.figures import open_deals, slipped_weighted_pipeline, weighted_open_pipeline
from domain.insights.data import RevenueFilters
from domain.insights.forecast import SLIPPED_LABEL, SlippedPolicy
from domain.insights.revenue_view import revenue_view
from domain.roles import Access, Role

AS_OF = date(2026, 3, 1)  # deals expected to close in February or before have slipped


def _view(data, policy, role=Role.FINANCE):
    return revenue_view(
        data,
        RevenueFilters(as_of=AS_OF, slipped_policy=policy),
        Access("someone", role, 2),
        bridge_start=date(2026, 1, 1),
        bridge_end=date(2026, 3, 1),
    )


def _open(data):
    return data.opportunities.filter(open_deals(data.stages))


def test_slipped_deals_are_a_figure_of_their_own(data):
    opened = _open(data)
    slipped = opened.filter(pl.col("expected_close") < AS_OF)
    assert slipped.height >= 1  # the fixture has deals that slipped by March
    expected = round(float(slipped["weighted_amount"].sum()), 2)
    assert slipped_weighted_pipeline(data.opportunities, data.stages, AS_OF) == expected
    for policy in SlippedPolicy:
        assert _view(data, policy).headline["slipped_pipeline"] == expected, policy


def test_shown_apart_they_are_one_bar_in_the_current_month(data):
    view = _view(data, SlippedPolicy.APART)
    bars = view.pipeline_by_month.filter(pl.col("stage_label") == SLIPPED_LABEL)
    assert bars["month"].to_list() == [date(2026, 3, 1)]
    assert bars["weighted_amount"].item() == view.headline["slipped_pipeline"]
    assert view.headline["weighted_pipeline"] == round(weighted_open_pipeline(data.opportunities, data.stages), 2)
    assert view.pipeline_by_month.filter(pl.col("month") < date(2026, 3, 1)).is_empty()  # no bar in months gone by


def test_rolled_into_the_current_month_they_keep_their_stage(data):
    view = _view(data, SlippedPolicy.CURRENT_MONTH)
    assert SLIPPED_LABEL not in view.pipeline_by_month["stage_label"].to_list()
    march = view.pipeline_by_month.filter(pl.col("month") == date(2026, 3, 1))["weighted_amount"].sum()
    assert march >= view.headline["slipped_pipeline"]
    assert view.headline["weighted_pipeline"] == round(weighted_open_pipeline(data.opportunities, data.stages), 2)


def test_left_out_they_leave_the_forecast_but_not_the_figure(data):
    view = _view(data, SlippedPolicy.EXCLUDE)
    total = weighted_open_pipeline(data.opportunities, data.stages)
    assert view.headline["weighted_pipeline"] == pytest.approx(total - view.headline["slipped_pipeline"])
    assert view.pipeline_rows["Slipped"].to_list() == [False] * view.pipeline_rows.height


def test_a_masked_role_gets_no_separate_slipped_figure(data):
    assert _view(data, SlippedPolicy.APART, Role.VIEWER).headline["slipped_pipeline"] is None
