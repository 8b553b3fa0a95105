"""The recovery clock: elapsed hours through UTC, day numbers, windows, local times across DST."""

from __future__ import annotations

import math
from datetime import datetime, timedelta, timezone
from functools import lru_cache
from zoneinfo import ZoneInfo, available_timezones

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot import protocols
from bot.recovery.clock import elapsed_hours, locate, moment_after, recovery_day, wall_clock_shift

UTC = timezone.utc
NEW_YORK = ZoneInfo("America/New_York")
LONDON = ZoneInfo("Europe/London")
SYDNEY = ZoneInfo("Australia/Sydney")
LORD_HOWE = ZoneInfo("Australia/Lord_Howe")  # the clocks move by 30 minutes

PROTOCOL = protocols.default()
MAKEUP = PROTOCOL.topic("makeup")
SKINCARE = PROTOCOL.topic("skincare_restart")


def real_delta(later: datetime, earlier: datetime) -> timedelta:
    """Elapsed real time; plain subtraction of two datetimes in one ZoneInfo compares wall clocks."""
    return later.astimezone(UTC) - earlier.astimezone(UTC)


# --- elapsed hours and day numbers ------------------------------------------------------


def test_elapsed_hours_at_the_first_day_boundary():
    treated = datetime(2026, 11, 22, 17, 0, tzinfo=NEW_YORK)
    almost = treated + timedelta(hours=23, minutes=59)
    exactly = treated + timedelta(hours=24)

    assert elapsed_hours(treated, treated) == 0
    assert math.isclose(elapsed_hours(treated, almost), 23 + 59 / 60)
    assert recovery_day(elapsed_hours(treated, almost)) == 0
    assert MAKEUP.window_at(elapsed_hours(treated, almost)).start == 0

    assert elapsed_hours(treated, exactly) == 24
    assert recovery_day(24) == 1
    assert MAKEUP.window_at(elapsed_hours(treated, exactly)).start == 24


@pytest.mark.parametrize(
    "hours, day", [(0, 0), (0.5, 0), (23.999, 0), (24, 1), (47.99, 1), (48, 2), (167.9, 6), (168, 7), (-0.5, -1)]
)
def test_recovery_day(hours, day):
    assert recovery_day(hours) == day


def test_elapsed_hours_counts_real_time_not_wall_clocks():
    treated = datetime(2026, 10, 31, 14, 0, tzinfo=NEW_YORK)
    next_day_same_clock = datetime(2026, 11, 1, 14, 0, tzinfo=NEW_YORK)  # the clocks went back at 2 am
    assert elapsed_hours(treated, next_day_same_clock) == 25
    # The same instants written in other zones give the same answer.
    assert elapsed_hours(treated.astimezone(LONDON), next_day_same_clock.astimezone(UTC)) == 25


def test_elapsed_hours_is_negative_before_the_treatment():
    treated = datetime(2026, 11, 22, 17, 0, tzinfo=NEW_YORK)
    assert elapsed_hours(treated, treated - timedelta(hours=2)) == -2
    point = locate(MAKEUP, treated, treated - timedelta(hours=2), NEW_YORK)
    assert point.window is None and point.day == -1
    assert point.next_window.start == 0


def test_naive_datetimes_are_refused():
    aware = datetime(2026, 11, 22, 17, 0, tzinfo=NEW_YORK)
    naive = datetime(2026, 11, 22, 17, 0)
    with pytest.raises(ValueError, match="treated_at"):
        elapsed_hours(naive, aware)
    with pytest.raises(ValueError, match="now"):
        elapsed_hours(aware, naive)
    with pytest.raises(ValueError):
        moment_after(naive, 24, NEW_YORK)
    with pytest.raises(ValueError):
        wall_clock_shift(naive, 24, NEW_YORK)
    with pytest.raises(ValueError):
        locate(MAKEUP, naive, aware, NEW_YORK)


# --- windows ----------------------------------------------------------------------------


def test_window_at_and_next_window():
    assert SKINCARE.window_at(0).start == 0
    assert SKINCARE.window_at(47.99).start == 0
    assert SKINCARE.window_at(48).start == 48
    assert SKINCARE.window_at(95.99).end == 96
    assert SKINCARE.window_at(96).end is None
    assert SKINCARE.window_at(-0.01) is None

    assert SKINCARE.next_window(0).start == 48
    assert SKINCARE.next_window(47.99).start == 48
    assert SKINCARE.next_window(48).start == 96  # the window just opened is not "next"
    assert SKINCARE.next_window(96) is None
    assert PROTOCOL.topic("moisturizer").next_window(0) is None
    assert SKINCARE.timed and not PROTOCOL.topic("moisturizer").timed


def test_locate_names_the_opening_times_in_local_time():
    treated = datetime(2026, 11, 22, 22, 0, tzinfo=UTC)  # 5:00 pm in New York
    point = locate(SKINCARE, treated, treated + timedelta(hours=50), NEW_YORK)
    assert point.day == 2 and point.window.start == 48
    assert point.window_opened_at == datetime(2026, 11, 24, 17, 0, tzinfo=NEW_YORK)
    assert point.window_opened_at.tzinfo is NEW_YORK
    assert point.next_window.start == 96
    assert point.next_opens_at == datetime(2026, 11, 26, 17, 0, tzinfo=NEW_YORK)
    assert point.next_shift == timedelta(0)

    last = locate(SKINCARE, treated, treated + timedelta(hours=200), NEW_YORK)
    assert last.next_window is None and last.next_opens_at is None and last.next_shift == timedelta(0)


# --- daylight saving --------------------------------------------------------------------


@pytest.mark.parametrize(
    "tz, treated_local, opens_local, shift",
    [
        (NEW_YORK, datetime(2026, 10, 31, 14, 0), datetime(2026, 11, 1, 13, 0), -1),
        (NEW_YORK, datetime(2027, 3, 13, 14, 0), datetime(2027, 3, 14, 15, 0), +1),
        (LONDON, datetime(2026, 10, 24, 14, 0), datetime(2026, 10, 25, 13, 0), -1),
        (LONDON, datetime(2027, 3, 27, 14, 0), datetime(2027, 3, 28, 15, 0), +1),
        (SYDNEY, datetime(2026, 4, 4, 14, 0), datetime(2026, 4, 5, 13, 0), -1),
        (SYDNEY, datetime(2026, 10, 3, 14, 0), datetime(2026, 10, 4, 15, 0), +1),
        (LORD_HOWE, datetime(2026, 4, 4, 14, 0), datetime(2026, 4, 5, 13, 30), -0.5),
        (NEW_YORK, datetime(2026, 7, 1, 14, 0), datetime(2026, 7, 2, 14, 0), 0),
    ],
    ids=[
        "ny-fall",
        "ny-spring",
        "london-fall",
        "london-spring",
        "sydney-fall",
        "sydney-spring",
        "lord-howe",
        "ny-summer",
    ],
)
def test_24_hours_later_across_a_clock_change(tz, treated_local, opens_local, shift):
    treated = treated_local.replace(tzinfo=tz)
    opens = moment_after(treated, 24, tz)
    assert opens.replace(tzinfo=None) == opens_local
    assert opens.tzinfo is tz
    assert real_delta(opens, treated) == timedelta(hours=24)
    assert wall_clock_shift(treated, 24, tz) == timedelta(hours=shift)

    point = locate(MAKEUP, treated, treated + timedelta(hours=6), tz)
    assert point.next_opens_at.replace(tzinfo=None) == opens_local
    assert point.next_shift == timedelta(hours=shift)


def test_moment_after_converts_from_any_zone():
    treated = datetime(2026, 10, 31, 18, 0, tzinfo=UTC)  # 2:00 pm in New York
    assert moment_after(treated, 24, NEW_YORK) == datetime(2026, 11, 1, 13, 0, tzinfo=NEW_YORK)
    assert wall_clock_shift(treated, 24, NEW_YORK) == timedelta(hours=-1)
    assert wall_clock_shift(treated, 24, UTC) == timedelta(0)


# --- properties over many zones and instants --------------------------------------------

ZONES = sorted(name for name in available_timezones() if "/" in name and not name.startswith(("Etc/", "SystemV/")))
FIRST_INSTANT = datetime(2025, 1, 1, tzinfo=UTC)


@lru_cache(maxsize=None)
def transitions(name: str) -> tuple[datetime, ...]:
    """The UTC instants in 2025-2027 at which the zone's offset changes, to the minute."""
    tz = ZoneInfo(name)
    found = []
    previous = FIRST_INSTANT
    for day in range(1, 3 * 365):
        current = FIRST_INSTANT + timedelta(days=day)
        if previous.astimezone(tz).utcoffset() != current.astimezone(tz).utcoffset():
            low, high = previous, current
            while high - low > timedelta(minutes=1):
                middle = low + (high - low) / 2
                if middle.astimezone(tz).utcoffset() == low.astimezone(tz).utcoffset():
                    low = middle
                else:
                    high = middle
            found.append(high)
        previous = current
    return tuple(found)


@st.composite
def treatments(draw):
    """(zone, aware local treatment time): anywhere in 1995-2040, or within two days of a clock change."""
    name = draw(st.sampled_from(ZONES))
    tz = ZoneInfo(name)
    changes = transitions(name)
    if changes and draw(st.booleans()):
        instant = draw(st.sampled_from(changes)) + timedelta(minutes=draw(st.integers(-48 * 60, 48 * 60)))
    else:
        naive = draw(st.datetimes(min_value=datetime(1995, 1, 1), max_value=datetime(2040, 1, 1)))
        instant = naive.replace(tzinfo=UTC)
    return tz, instant.astimezone(tz)


HOURS = st.one_of(
    st.integers(0, 60 * 24 * 60).map(lambda minutes: minutes / 60),  # whole minutes up to 60 days
    st.sampled_from([0.0, 12.0, 24.0, 48.0, 72.0, 96.0, 168.0, 336.0, 672.0]),  # window boundaries
    st.floats(0, 24 * 400, allow_nan=False, allow_infinity=False),
)
PROPERTY = settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@PROPERTY
@given(treatments(), HOURS)
def test_moment_after_is_that_many_real_hours_later(treatment, hours):
    tz, treated = treatment
    moment = moment_after(treated, hours, tz)
    assert moment.tzinfo is tz
    assert real_delta(moment, treated) == timedelta(hours=hours)
    assert math.isclose(elapsed_hours(treated, moment), hours, abs_tol=1e-6)


@PROPERTY
@given(treatments(), HOURS)
def test_wall_clock_shift_is_the_change_of_utc_offset(treatment, hours):
    tz, treated = treatment
    shift = wall_clock_shift(treated, hours, tz)
    assert shift == moment_after(treated, hours, tz).utcoffset() - treated.utcoffset()
    assert abs(shift) <= timedelta(hours=3)


@PROPERTY
@given(treatments(), HOURS, st.sampled_from(sorted(PROTOCOL.topics)))
def test_the_window_found_contains_the_hour(treatment, hours, topic_name):
    tz, treated = treatment
    topic = PROTOCOL.topic(topic_name)
    assert topic.window_at(hours).contains(hours)

    point = locate(topic, treated, moment_after(treated, hours, tz), tz)
    assert point.window is not None and point.window.contains(point.hours)
    assert point.day == math.floor(point.hours / 24) >= 0
    assert real_delta(point.window_opened_at, treated) == timedelta(hours=point.window.start)
    if point.next_window is not None:
        assert point.next_window.start > point.hours
        assert point.next_window.start == point.window.end
        assert point.next_opens_at.astimezone(UTC) > point.now.astimezone(UTC)
    else:
        assert point.window.end is None
