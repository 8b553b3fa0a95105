"""Export times read in the clinic's country and time zone: the forms exports write, the
country's date order from CLDR, ambiguous and impossible dates refused rather than guessed."""

from datetime import datetime, timezone
from zoneinfo import ZoneInfo

import pytest

from bot.booking_systems.times import AmbiguousDate, DateOrder, country_languages, country_order, read_time
from bot.timeparse import InvalidTime

NY = ZoneInfo("America/New_York")
LONDON = ZoneInfo("Europe/London")
TORONTO = ZoneInfo("America/Toronto")
BERLIN = ZoneInfo("Europe/Berlin")


def utc(*parts):
    return datetime(*parts, tzinfo=timezone.utc)


@pytest.mark.parametrize(
    "region, order",
    [
        ("US", DateOrder.month_first),
        ("PH", DateOrder.month_first),
        ("GB", DateOrder.day_first),
        ("AU", DateOrder.day_first),
        ("DE", DateOrder.day_first),
        ("MX", DateOrder.day_first),
        ("CA", None),  # English and French Canada write the year first; exports write both orders
        ("JP", None),
        ("ZZ", None),
    ],
)
def test_the_country_date_order_comes_from_cldr(region, order):
    assert country_order(region) is order


def test_month_names_are_read_in_the_country_languages():
    assert country_languages("DE") == ("en", "de")
    assert country_languages("US") == ("en",)


@pytest.mark.parametrize(
    "text, expected",
    [
        ("11/21/2026 2:30 PM", utc(2026, 11, 21, 19, 30)),  # US spreadsheets, Acuity, Square
        ("11/21/26 2:30 PM", utc(2026, 11, 21, 19, 30)),
        ("11-21-2026 2:30pm", utc(2026, 11, 21, 19, 30)),
        ("2026-11-21 14:30", utc(2026, 11, 21, 19, 30)),
        ("2026-11-21T14:30:00", utc(2026, 11, 21, 19, 30)),  # ISO without an offset: local
        ("2026-11-21T14:30:00-08:00", utc(2026, 11, 21, 22, 30)),  # with one: that instant
        ("2026-11-21T19:30:00Z", utc(2026, 11, 21, 19, 30)),
        ("Nov 21, 2026 2:30 PM", utc(2026, 11, 21, 19, 30)),
        ("Saturday, November 21, 2026 at 2:30 PM", utc(2026, 11, 21, 19, 30)),
        ("03/04/2026 09:00 AM", utc(2026, 3, 4, 14, 0)),  # March 4th in the US
        ("07/04/2026 9:00 AM", utc(2026, 7, 4, 13, 0)),  # daylight time
        ("  11/21/2026   2:30 PM ", utc(2026, 11, 21, 19, 30)),
    ],
)
def test_us_forms(text, expected):
    assert read_time(text, NY, DateOrder.month_first) == expected


@pytest.mark.parametrize(
    "text, expected",
    [
        ("21/11/2026 14:30", utc(2026, 11, 21, 14, 30)),
        ("03/04/2026 09:00", utc(2026, 4, 3, 8, 0)),  # 3 April, British Summer Time
        ("21 Nov 2026 2:30pm", utc(2026, 11, 21, 14, 30)),
        ("2026-04-03 09:00", utc(2026, 4, 3, 8, 0)),
    ],
)
def test_day_first_forms(text, expected):
    assert read_time(text, LONDON, DateOrder.day_first) == expected


def test_german_dates_with_dots_and_month_names():
    languages = country_languages("DE")
    assert read_time("21.11.2026 14:30", BERLIN, DateOrder.day_first, languages) == utc(2026, 11, 21, 13, 30)
    assert read_time("21. November 2026 14:30", BERLIN, DateOrder.day_first, languages) == utc(2026, 11, 21, 13, 30)


def test_an_ambiguous_date_is_refused_where_the_country_has_no_order():
    with pytest.raises(AmbiguousDate, match="03/04/2026 could be day/month or month/day"):
        read_time("03/04/2026 09:00", TORONTO, None)


def test_a_date_whose_numbers_allow_one_order_is_read_anywhere():
    assert read_time("21/11/2026 9:00", TORONTO, None) == utc(2026, 11, 21, 14, 0)
    assert read_time("11/21/2026 9:00", TORONTO, None) == utc(2026, 11, 21, 14, 0)
    assert read_time("03/03/2026 9:00", TORONTO, None) == utc(2026, 3, 3, 14, 0)  # either way the same day


def test_a_date_in_the_other_order_than_the_clinics_is_refused_not_swapped():
    # 11/21 in a day-first country says the export writes months first: its 03/04 rows would be misread.
    with pytest.raises(InvalidTime, match="not a day/month/year date"):
        read_time("11/21/2026 14:30", LONDON, DateOrder.day_first)
    with pytest.raises(InvalidTime, match="not a month/day/year date"):
        read_time("21/11/2026 14:30", NY, DateOrder.month_first)


@pytest.mark.parametrize(
    "text, fragment",
    [
        ("11/21/2026", "has no time of day"),
        ("tomorrow 3pm", "cannot read the time"),
        ("in 2 days", "cannot read the time"),
        ("1763735400", "cannot read the time"),
        ("02/30/2026 10:00 AM", "cannot read the time"),
        ("13/45/2026 10:00", "cannot read the time"),
        ("2026-02-30 10:00", "not a real date"),
        ("", "empty"),
        ("03/08/2026 2:30 AM", "does not exist in America/New_York"),  # the spring-forward gap
    ],
)
def test_what_cannot_be_read_for_certain_is_refused(text, fragment):
    with pytest.raises(InvalidTime, match=fragment):
        read_time(text, NY, DateOrder.month_first)


def test_the_autumn_fold_is_its_first_occurrence():
    assert read_time("11/01/2026 1:30 AM", NY, DateOrder.month_first) == utc(2026, 11, 1, 5, 30)
