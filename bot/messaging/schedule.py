"""When each follow-up of a treatment is due: pure functions of the treatment time, the
protocol step, the clinic's timezone and its quiet hours.

A step is "day N at HH:MM": N calendar days after the treatment's *local* date, at that
local wall-clock time. Wall-clock times are built in the clinic's zone and then pinned to
UTC, so a daylight-saving change between treatment and message moves nothing: "day 1 at
09:00" is 09:00 on the clock in the clinic whether the night had 23, 24 or 25 hours.
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta, timezone, tzinfo

from bot.recovery.protocol import FollowUpStep, QuietHours


def local_moment(day: date, at: time, tz: tzinfo) -> datetime:
    """The instant a local clock in `tz` shows `at` on `day`.

    A time skipped by a spring-forward (02:30 on the day clocks jump from 02:00 to 03:00)
    becomes the instant an hour-late clock would show it (03:30); a repeated time in the
    fall-back hour is its first occurrence.
    """
    naive = datetime.combine(day, at)
    return naive.replace(tzinfo=tz, fold=0).astimezone(timezone.utc).astimezone(tz)


def after_quiet_hours(moment: datetime, quiet: QuietHours, tz: tzinfo) -> datetime:
    """`moment`, or, if the clinic's clock then reads inside quiet hours, the end of them."""
    local = moment.astimezone(tz)
    if not quiet.contains(local.timetz().replace(tzinfo=None)):
        return moment
    day = local.date()
    overnight = quiet.start > quiet.end  # e.g. 21:00-08:00
    if overnight and local.time() >= quiet.start:
        day += timedelta(days=1)  # late evening: wait for tomorrow morning
    return local_moment(day, quiet.end, tz)


def due_at(treated_at: datetime, step: FollowUpStep, tz: tzinfo, quiet: QuietHours) -> datetime:
    """When `step` of a treatment that ended at `treated_at` goes out, in UTC."""
    if treated_at.utcoffset() is None:
        raise ValueError("treated_at must be a timezone-aware datetime")
    local_day = treated_at.astimezone(tz).date() + timedelta(days=step.day)
    moment = after_quiet_hours(local_moment(local_day, step.at, tz), quiet, tz)
    return moment.astimezone(timezone.utc)
