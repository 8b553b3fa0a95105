"""When follow-ups are due: local calendar days, local wall-clock times, quiet hours, DST.

America/New_York falls back at 02:00 on 2026-11-01 and springs forward at 02:00 on
2027-03-14. A "day 1 at 09:00" message must read 09:00 on the clinic's clock either way.
"""

from datetime import datetime, time, timezone
from zoneinfo import ZoneInfo

import pytest

from bot import protocols
from bot.messaging.schedule import after_quiet_hours, due_at, local_moment
from bot.recovery.protocol import FollowUpStep, QuietHours

NY = ZoneInfo("America/New_York")
UTC = timezone.utc
NIGHT = QuietHours(time(21, 0), time(8, 0))  # the default
NOON_MINUTE = QuietHours(time(12, 0), time(12, 1))  # practically none, for testing times alone


def step(day, hour, minute=0):
    return FollowUpStep(key=f"d{day}", day=day, at=time(hour, minute), text="hi")


def utc(*args):
    return datetime(*args, tzinfo=UTC)


def test_the_default_schedule_in_local_time():
    treated = datetime(2024, 5, 1, 14, 0, tzinfo=NY)
    due = {s.key: due_at(treated, s, NY, NIGHT).astimezone(NY) for s in protocols.default().followups}
    assert due == {
        "day0_evening": datetime(2024, 5, 1, 19, 0, tzinfo=NY),
        "day1_morning": datetime(2024, 5, 2, 9, 0, tzinfo=NY),
        "day3_peeling": datetime(2024, 5, 4, 10, 0, tzinfo=NY),
        "day7_results": datetime(2024, 5, 8, 11, 0, tzinfo=NY),
        "rebook": datetime(2024, 6, 5, 11, 0, tzinfo=NY),
    }


def test_days_count_from_the_local_date_not_the_utc_one():
    treated = utc(2024, 5, 2, 3, 30)  # 23:30 on May 1 in New York
    assert due_at(treated, step(1, 9), NY, NIGHT) == utc(2024, 5, 2, 13, 0)  # 09:00 EDT May 2


def test_fall_back_keeps_the_wall_clock():
    treated = datetime(2026, 10, 31, 15, 0, tzinfo=NY)  # EDT, UTC-4
    assert due_at(treated, step(0, 19), NY, NIGHT) == utc(2026, 10, 31, 23, 0)  # 19:00 EDT
    assert due_at(treated, step(1, 9), NY, NIGHT) == utc(2026, 11, 1, 14, 0)  # 09:00 EST, not 13:00 UTC
    assert due_at(treated, step(7, 11), NY, NIGHT) == utc(2026, 11, 7, 16, 0)


def test_spring_forward_keeps_the_wall_clock():
    treated = datetime(2027, 3, 13, 15, 0, tzinfo=NY)  # EST, UTC-5
    assert due_at(treated, step(0, 19), NY, NIGHT) == utc(2027, 3, 14, 0, 0)  # 19:00 EST
    assert due_at(treated, step(1, 9), NY, NIGHT) == utc(2027, 3, 14, 13, 0)  # 09:00 EDT, not 14:00 UTC


@pytest.mark.parametrize(
    "treated, the_step, expected",
    [
        # 22:30 on the evening before the fall-back waits for 08:00 EST next morning
        (datetime(2026, 10, 31, 15, 0, tzinfo=NY), step(0, 22, 30), utc(2026, 11, 1, 13, 0)),
        # 06:00 on the fall-back day waits until 08:00 the same morning
        (datetime(2026, 10, 31, 15, 0, tzinfo=NY), step(1, 6), utc(2026, 11, 1, 13, 0)),
        # 23:00 on the evening before spring-forward waits for 08:00 EDT
        (datetime(2027, 3, 13, 15, 0, tzinfo=NY), step(0, 23), utc(2027, 3, 14, 12, 0)),
        # 01:30, before the jump, waits for 08:00 EDT too
        (datetime(2027, 3, 13, 15, 0, tzinfo=NY), step(1, 1, 30), utc(2027, 3, 14, 12, 0)),
    ],
)
def test_quiet_hours_wait_for_the_morning_across_dst(treated, the_step, expected):
    assert due_at(treated, the_step, NY, NIGHT) == expected


def test_a_time_skipped_by_spring_forward_is_read_an_hour_later():
    assert local_moment(datetime(2027, 3, 14).date(), time(2, 30), NY) == datetime(2027, 3, 14, 3, 30, tzinfo=NY)
    treated = datetime(2027, 3, 13, 15, 0, tzinfo=NY)
    assert due_at(treated, step(1, 2, 30), NY, NOON_MINUTE) == utc(2027, 3, 14, 7, 30)
    # ... and is then checked against quiet hours as 03:30, not 02:30
    assert due_at(treated, step(1, 2, 30), NY, QuietHours(time(3, 0), time(4, 0))) == utc(2027, 3, 14, 8, 0)


def test_a_repeated_time_in_the_fall_back_hour_is_its_first_occurrence():
    treated = datetime(2026, 10, 31, 15, 0, tzinfo=NY)
    assert due_at(treated, step(1, 1, 30), NY, NOON_MINUTE) == utc(2026, 11, 1, 5, 30)  # 01:30 EDT


def test_a_daytime_quiet_window():
    lunch = QuietHours(time(12, 0), time(13, 0))
    treated = datetime(2024, 5, 1, 9, 0, tzinfo=NY)
    assert due_at(treated, step(0, 12, 30), NY, lunch) == datetime(2024, 5, 1, 13, 0, tzinfo=NY)
    assert due_at(treated, step(0, 13, 0), NY, lunch) == datetime(2024, 5, 1, 13, 0, tzinfo=NY)


def test_after_quiet_hours_leaves_other_times_alone():
    moment = datetime(2024, 5, 1, 20, 59, tzinfo=NY)
    assert after_quiet_hours(moment, NIGHT, NY) == moment
    assert after_quiet_hours(datetime(2024, 5, 1, 21, 0, tzinfo=NY), NIGHT, NY) == datetime(2024, 5, 2, 8, 0, tzinfo=NY)


def test_naive_times_are_refused():
    with pytest.raises(ValueError):
        due_at(datetime(2024, 5, 1, 14, 0), step(0, 19), NY, NIGHT)
