"""Every ISO-8601 form the CRMs and exports write reads as the same instant; dates follow the source's zone."""

from datetime import UTC, date, datetime

import polars as pl
import pytest

from domain.timestamps import parse_date, parse_utc

NOON_UTC = datetime(2025, 3, 31, 12, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    "text",
    [
        "2025-03-31T12:00:00.000+0000",  # Salesforce REST
        "2025-03-31T12:00:00.000Z",  # Salesforce Bulk API 2.0 CSV
        "2025-03-31T12:00:00Z",  # HubSpot
        "2025-03-31T12:00:00.000000+00:00",  # Python isoformat
        "2025-03-31T04:00:00-0800",  # an offset without colon
        "2025-03-31T14:00:00+02:00",
        "2025-03-31 12:00:00",  # no offset: UTC
        "2025-03-31T12:00Z",  # no seconds
        " 2025-03-31T12:00:00z ",
        "1743422400000",  # epoch milliseconds (HubSpot date properties)
    ],
)
def test_every_form_is_the_same_instant(text):
    parsed = pl.DataFrame({"t": [text]}).select(parse_utc(pl.col("t")))["t"].item()
    assert parsed == NOON_UTC


@pytest.mark.parametrize("text", ["garbage", "", "2025-13-45T00:00:00Z", "31/03/2025"])
def test_what_is_not_a_timestamp_is_null(text):
    assert pl.DataFrame({"t": [text]}).select(parse_utc(pl.col("t")))["t"].item() is None


def test_mixed_forms_in_one_column_all_parse():
    column = pl.DataFrame({"t": ["2025-03-31T12:00:00.000+0000", "2025-03-31T12:00:00.000Z", None, "1743422400000"]})
    assert column.select(parse_utc(pl.col("t")))["t"].to_list() == [NOON_UTC, NOON_UTC, None, NOON_UTC]


def test_an_instant_is_the_date_it_was_where_the_source_is():
    frame = pl.DataFrame(
        {
            "t": [
                "2025-03-31T03:00:00Z",
                "2025-03-31T03:00:00.000+0000",
                "2025-03-31",
                "2025-03-31 03:00:00",
                "2025-03-31T16:00:00Z",
            ]
        }
    )
    new_york = frame.select(parse_date(pl.col("t"), "America/New_York"))["t"].to_list()
    # An instant moves to the previous day in New York; a plain date or a time without offset stays as written.
    assert new_york == [date(2025, 3, 30), date(2025, 3, 30), date(2025, 3, 31), date(2025, 3, 31), date(2025, 3, 31)]
    tokyo = frame.select(parse_date(pl.col("t"), "Asia/Tokyo"))["t"].to_list()
    assert tokyo[-1] == date(2025, 4, 1)
    assert frame.select(parse_date(pl.col("t")))["t"].to_list()[:2] == [date(2025, 3, 31)] * 2
