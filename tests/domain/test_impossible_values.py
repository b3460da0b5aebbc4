"""Values no real record holds are quarantined by record and field, never summed or stored (issue 18)."""

from __future__ import annotations

import polars as pl
import pytest

from domain.errors import ValidationError
from domain.fx_rates import parse_fx_rates
from domain.mapping_config import from_yaml
from domain.stage_set import default_stage_set
from domain.transform import transform
from tests.domain.test_transform import CROSSWALK, SMALL, _frame


def _deals(**overrides):
    columns = {
        "Acct": ["A"],
        "Stage": ["S1"],
        "Amt": ["100"],
        "Cur": ["USD"],
        "Close": ["2025-03-01"],
        "Type": ["New"],
    }
    columns.update({k: [v] for k, v in overrides.items()})
    return _frame(**columns)


def _problems(frame, config=SMALL):
    result = transform(frame, config.objects[0], config, default_stage_set(), CROSSWALK)
    return result, [(q["reason_code"], q["field"], q["value"]) for q in result.quarantine.to_dicts()]


@pytest.mark.parametrize("amount", ["NaN", "nan", "inf", "-inf", "Infinity", "1e309"])
def test_an_amount_that_is_no_number_is_quarantined_with_its_text(amount):
    result, problems = _problems(_deals(Amt=amount))
    assert result.canonical.is_empty()
    assert problems == [("invalid_value", "Amt", amount)]


def test_an_amount_beyond_any_real_deal_is_out_of_range():
    result, problems = _problems(_deals(Amt="2e15"))
    assert result.canonical.is_empty()
    assert problems == [("out_of_range", "Amt", "2e15")]
    assert not _problems(_deals(Amt="999999999999999"))[0].canonical.is_empty()  # just under the limit lands


@pytest.mark.parametrize("day", ["9999-12-31", "0001-01-01", "1899-12-31", "2201-01-01"])
def test_a_date_outside_the_window_is_out_of_range(day):
    result, problems = _problems(_deals(Close=day))
    assert result.canonical.is_empty()
    assert problems == [("out_of_range", "Close", day)]


def test_the_date_window_is_configurable():
    config = from_yaml(
        "valid_dates: {from: 2020-01-01, to: 2030-12-31}\n"
        + "\n".join(line for line in _small_yaml().splitlines() if not line.startswith("valid_dates"))
    )
    assert _problems(_deals(Close="2019-12-31"), config)[1] == [("out_of_range", "Close", "2019-12-31")]
    assert _problems(_deals(Close="2030-12-31"), config)[1] == []


def _small_yaml() -> str:
    from domain.mapping_config import to_yaml

    return to_yaml(SMALL)


def test_a_nul_byte_is_quarantined_and_shown_visibly():
    result, problems = _problems(_deals(Acct="A\x00B"))
    assert result.canonical.is_empty()
    assert ("invalid_value", "Acct", "A\u2400B") in problems
    assert "\x00" not in result.quarantine.write_csv()


def test_a_nul_byte_in_the_record_id_is_quarantined_under_a_storable_id():
    frame = _deals().with_columns(source_id=pl.lit("r\x000"))
    result, problems = _problems(frame)
    assert result.canonical.is_empty()
    assert result.quarantine["source_id"].to_list() == ["r\u24000"]
    assert problems == [("invalid_value", "Id", "r\u24000")]


def test_text_longer_than_its_field_is_quarantined_with_a_short_preview():
    config = from_yaml(_small_yaml().replace("    Close:\n", "    Owner:\n      to: owner\n    Close:\n"))
    frame = _deals().with_columns(Owner=pl.lit("x" * 5000))
    result, problems = _problems(frame, config)
    assert result.canonical.is_empty()
    [(reason, field, value)] = problems
    assert (reason, field) == ("text_too_long", "Owner")
    assert len(value) == 300 and value.endswith("…")
    ok = _deals().with_columns(Owner=pl.lit("y" * 255))
    assert _problems(ok, config)[0].canonical["owner"].to_list() == ["y" * 255]


def test_a_record_id_longer_than_any_crm_id_is_quarantined():
    frame = _deals().with_columns(source_id=pl.lit("7" * 65))
    result, problems = _problems(frame)
    assert result.canonical.is_empty()
    assert problems[0][0] == "text_too_long" and problems[0][1] == "Id"
    assert len(result.quarantine["source_id"][0]) == 64


@pytest.mark.parametrize("rate", [".nan", ".inf", "-.inf", "0", "-1"])
def test_a_mapping_refuses_an_fx_rate_that_cannot_convert_money(rate):
    with pytest.raises(ValidationError, match=r"fx_rates\[0\]\.rate"):
        from_yaml(f"fx_rates: [{{currency: EUR, from: 2025-01-01, rate: {rate}}}]")


@pytest.mark.parametrize("rate", ["NaN", "inf", "-inf", "1e309", "0"])
def test_an_fx_rates_file_refuses_a_rate_that_cannot_convert_money(rate):
    with pytest.raises(ValidationError, match="line 2, column .rate."):
        parse_fx_rates(f"currency,from,rate\nEUR,2025-01-01,{rate}\n".encode(), "USD")
