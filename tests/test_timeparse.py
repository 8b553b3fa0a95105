from datetime import datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest

from bot.timeparse import InvalidTime, parse_local_time

NEW_YORK = ZoneInfo("America/New_York")
LONDON = ZoneInfo("Europe/London")


def utc(*args) -> datetime:
    return datetime(*args, tzinfo=timezone.utc)


def test_local_time_is_read_in_the_clinic_zone():
    moment = parse_local_time("2024-05-01 14:00", NEW_YORK)
    assert moment == utc(2024, 5, 1, 18, 0)
    assert moment.tzinfo == timezone.utc
    assert parse_local_time("2024-05-01 14:00", LONDON) == utc(2024, 5, 1, 13, 0)


def test_local_time_with_a_t_separator():
    assert parse_local_time("2024-01-15T09:30", NEW_YORK) == utc(2024, 1, 15, 14, 30)


@pytest.mark.parametrize(
    "text, expected",
    [
        ("2024-05-01T14:00:00-04:00", utc(2024, 5, 1, 18, 0)),
        ("2024-05-01T14:00+02:00", utc(2024, 5, 1, 12, 0)),
        ("2024-05-01T14:00:00Z", utc(2024, 5, 1, 14, 0)),
        ("2024-05-01 14:00:00+00:00", utc(2024, 5, 1, 14, 0)),
    ],
)
def test_iso_with_offset_is_an_exact_instant(text, expected):
    moment = parse_local_time(text, NEW_YORK)
    assert moment == expected
    assert moment.tzinfo == timezone.utc


def test_a_time_in_the_spring_gap_is_refused():
    # 2024-03-10: New York clocks jump from 02:00 to 03:00.
    with pytest.raises(InvalidTime, match="does not exist in America/New_York"):
        parse_local_time("2024-03-10 02:30", NEW_YORK)
    assert parse_local_time("2024-03-10 03:30", NEW_YORK) == utc(2024, 3, 10, 7, 30)


def test_an_ambiguous_time_in_the_autumn_fold_is_the_first_occurrence():
    # 2024-11-03: 01:30 happens twice in New York, first on EDT (-4), then on EST (-5).
    moment = parse_local_time("2024-11-03 01:30", NEW_YORK)
    assert moment == utc(2024, 11, 3, 5, 30)
    local = moment.astimezone(NEW_YORK)
    assert (local.replace(tzinfo=None), local.utcoffset()) == (datetime(2024, 11, 3, 1, 30), timedelta(hours=-4))


def test_the_second_occurrence_can_be_given_with_an_offset():
    moment = parse_local_time("2024-11-03T01:30:00-05:00", NEW_YORK)
    assert moment == utc(2024, 11, 3, 6, 30)
    local = moment.astimezone(NEW_YORK)
    assert (local.replace(tzinfo=None), local.fold) == (datetime(2024, 11, 3, 1, 30), 1)


@pytest.mark.parametrize(
    "text, fragment",
    [
        ("yesterday", "cannot read the time"),
        ("", "cannot read the time"),
        ("2024-05-01", "has no offset"),
        ("2024-05-01T14:00:00", "has no offset"),
        ("2024-02-30 10:00", "not a real date"),
        ("2024-05-01 24:00", "not a real date"),
        ("05/01/2024 14:00", "cannot read the time"),
        ("2024-05-01 14:00 +0200 extra", "cannot read the time"),
    ],
)
def test_unreadable_times_raise_a_one_line_value_error(text, fragment):
    with pytest.raises(ValueError) as info:
        parse_local_time(text, NEW_YORK)
    assert isinstance(info.value, InvalidTime)
    assert fragment in str(info.value)
    assert "\n" not in str(info.value)
