"""Reading a treatment time from what clients write, against a fixed "now"."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest

from bot.nlp.dates import parse_treatment_time, tidy

NEW_YORK = ZoneInfo("America/New_York")
LONDON = ZoneInfo("Europe/London")
SYDNEY = ZoneInfo("Australia/Sydney")
# Monday 23 November 2026, 2:10 pm in New York.
NOW = datetime(2026, 11, 23, 14, 10, tzinfo=NEW_YORK)


def read(text: str, now: datetime = NOW, tz=NEW_YORK):
    return parse_treatment_time(text, now, tz)


def local(*parts: int, tz=NEW_YORK) -> datetime:
    return datetime(*parts, tzinfo=tz)


@pytest.mark.parametrize(
    "text, expected, guessed",
    [
        ("yesterday around 3", local(2026, 11, 22, 15, 0), False),
        ("Yesterday around 3!", local(2026, 11, 22, 15, 0), False),
        ("tuesday", local(2026, 11, 17, 12, 0), True),
        ("nov 20 at 2pm", local(2026, 11, 20, 14, 0), False),
        ("Nov 20", local(2026, 11, 20, 12, 0), True),
        ("on the 20th", local(2026, 11, 20, 12, 0), True),
        ("this morning", local(2026, 11, 23, 10, 0), False),
        ("i had it done tuesday at 3", local(2026, 11, 17, 15, 0), False),
        ("I got it done yesterday at 11am", local(2026, 11, 22, 11, 0), False),
        ("last friday afternoon", local(2026, 11, 20, 15, 0), False),
        ("friday at 10am", local(2026, 11, 20, 10, 0), False),
        ("monday 4:30", local(2026, 11, 16, 16, 30), False),  # 4:30 pm today is still ahead
        ("last night", local(2026, 11, 22, 19, 0), False),
        ("yesterday morning", local(2026, 11, 22, 10, 0), False),
        ("today at 9", local(2026, 11, 23, 9, 0), False),
        ("yesterday", local(2026, 11, 22, 12, 0), True),
    ],
)
def test_reads_what_clients_write(text, expected, guessed):
    reading = read(text)
    assert reading is not None, text
    assert reading.at == expected
    assert reading.at.tzinfo is NEW_YORK
    assert reading.time_guessed is guessed


@pytest.mark.parametrize(
    "text, ago",
    [
        ("2 days ago", timedelta(days=2)),
        ("about an hour ago", timedelta(hours=1)),
        ("an hour ago", timedelta(hours=1)),
        ("3 hours ago", timedelta(hours=3)),
    ],
)
def test_ago(text, ago):
    reading = read(text)
    assert reading is not None and not reading.time_guessed
    assert reading.at == NOW - ago


@pytest.mark.parametrize(
    "text",
    [
        "tomorrow",
        "tmrw at 3",
        "next tuesday",
        "in 2 days",
        "later today",
        "asdf qwerty",
        "blah blah blah",
        "can i wear makeup?",
        "",
        "   ",
        "😅😅😅",
        "x" * 10_000,
        "yesterday " * 1_000,
    ],
)
def test_no_treatment_time(text):
    assert read(text) is None


def test_emoji_around_a_time_is_ignored():
    reading = read("😅 yesterday at 3pm 🙏")
    assert reading is not None and reading.at == local(2026, 11, 22, 15, 0)
    reading = read("yesterday 😊")
    assert reading is not None and reading.at.date() == local(2026, 11, 22).date()


def test_a_time_named_later_today_is_not_moved_to_yesterday():
    # "this afternoon" said at 2:10 pm: earlier this afternoon, never yesterday.
    reading = read("this afternoon")
    assert reading is not None
    assert reading.at.date() == NOW.date() and reading.at <= NOW
    # "today" said at 10 am, the time guessed: still today.
    morning = datetime(2026, 11, 23, 10, 0, tzinfo=NEW_YORK)
    reading = read("today", now=morning)
    assert reading is not None and reading.at.date() == morning.date() and reading.at <= morning
    # An explicit clock time later today cannot be a treatment that already happened.
    assert read("today at 5pm") is None


def test_just_after_midnight_tonight_is_the_evening_just_gone():
    after_midnight = datetime(2026, 11, 24, 0, 30, tzinfo=NEW_YORK)
    reading = read("tonight", now=after_midnight)
    assert reading is not None and reading.at == local(2026, 11, 23, 19, 0)
    reading = read("this afternoon", now=after_midnight)
    assert reading is not None and reading.at == local(2026, 11, 23, 15, 0)


def test_a_day_of_the_month_still_ahead_is_not_read_as_a_week_earlier():
    reading = read("the 28th")  # said on the 23rd: not Saturday the 21st
    assert reading is None or (reading.at.day == 28 and reading.at < NOW)


def test_a_bare_time_later_than_now_is_yesterday():
    reading = read("at 3", now=datetime(2026, 11, 23, 10, 0, tzinfo=NEW_YORK))
    assert reading is not None and reading.at == local(2026, 11, 22, 15, 0)


def test_bare_hours_are_daytime():
    assert read("yesterday at 9").at.hour == 9  # 9 am: clinics open in the morning
    assert read("yesterday at 4").at.hour == 16
    assert read("yesterday at 7").at.hour == 19


def test_other_zones_and_dst():
    london_now = datetime(2027, 1, 2, 0, 30, tzinfo=LONDON)
    reading = read("yesterday around 3", now=london_now, tz=LONDON)
    assert reading.at == datetime(2027, 1, 1, 15, 0, tzinfo=LONDON)
    assert reading.at.tzinfo is LONDON

    # The day after the clocks went back: yesterday 3 pm is on standard time.
    after_change = datetime(2026, 11, 2, 10, 0, tzinfo=NEW_YORK)
    reading = read("yesterday around 3", now=after_change)
    assert reading.at.replace(tzinfo=None) == datetime(2026, 11, 1, 15, 0)
    assert reading.at.utcoffset() == timedelta(hours=-5)

    sydney_now = datetime(2026, 4, 6, 9, 0, tzinfo=SYDNEY)
    reading = read("yesterday at 2pm", now=sydney_now, tz=SYDNEY)
    assert reading.at.replace(tzinfo=None) == datetime(2026, 4, 5, 14, 0)


def test_now_in_another_zone_is_read_in_the_clinic_zone():
    now_utc = NOW.astimezone(timezone.utc)
    assert read("yesterday around 3", now=now_utc).at == local(2026, 11, 22, 15, 0)


PHRASES = [
    "yesterday around 3",
    "tuesday",
    "monday",
    "sunday",
    "saturday at 9",
    "2 days ago",
    "nov 20 at 2pm",
    "this morning",
    "this afternoon",
    "this evening",
    "tonight",
    "last night",
    "today",
    "at 3",
    "3pm",
    "11:45",
    "i had it done tuesday at 3",
    "last friday afternoon",
    "monday 4:30",
    "about an hour ago",
    "the 28th",
    "on the 1st",
    "dec 30",
    "noon",
    "lunchtime",
    "friday",
    "yesterday evening",
    "5 minutes ago",
]
NOWS = [
    NOW,
    datetime(2026, 11, 23, 0, 5, tzinfo=NEW_YORK),
    datetime(2026, 11, 27, 23, 55, tzinfo=NEW_YORK),
    datetime(2026, 11, 1, 1, 30, fold=1, tzinfo=NEW_YORK),  # in the repeated hour
    datetime(2027, 3, 14, 3, 30, tzinfo=NEW_YORK),  # just after the clocks went forward
    datetime(2027, 1, 1, 9, 0, tzinfo=LONDON),
]


@pytest.mark.parametrize("now", NOWS, ids=lambda now: now.isoformat())
def test_never_in_the_future_nor_more_than_a_year_back(now):
    tz = now.tzinfo
    for text in PHRASES:
        reading = parse_treatment_time(text, now, tz)
        if reading is None:
            continue
        assert reading.at.utcoffset() is not None, text
        assert reading.at.astimezone(timezone.utc) <= now.astimezone(timezone.utc) + timedelta(minutes=5), text
        assert now.astimezone(timezone.utc) - reading.at.astimezone(timezone.utc) <= timedelta(days=367), text


@pytest.mark.parametrize(
    "text, cleaned",
    [
        ("I had it done yesterday around 3!!", "yesterday 15:00"),
        ("tmrw", "tomorrow"),
        ("yday at 10", "yesterday 10:00"),
        ("It was this afternoon", "today 15:00"),
        ("on the 20th", "20"),
        ("i got it done tuesday at 3", "tuesday 15:00"),
    ],
)
def test_tidy(text, cleaned):
    assert tidy(text) == cleaned
