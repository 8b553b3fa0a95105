"""The recovery clock: where a client is in their recovery, as plain functions.

Windows are measured in elapsed hours, so every computation goes through UTC:
subtracting two datetimes that share a ZoneInfo compares wall clocks and is wrong
across a daylight-saving change. "Now" is always passed in.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone, tzinfo
from typing import Optional

from bot.recovery.protocol import Topic, Window


def _require_aware(moment: datetime, name: str) -> None:
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ValueError(f"{name} must be a timezone-aware datetime")


def elapsed_hours(treated_at: datetime, now: datetime) -> float:
    _require_aware(treated_at, "treated_at")
    _require_aware(now, "now")
    delta = now.astimezone(timezone.utc) - treated_at.astimezone(timezone.utc)
    return delta.total_seconds() / 3600


def recovery_day(hours: float) -> int:
    """Day 0 is the first 24 hours, day N is hours 24N to 24(N+1)."""
    return math.floor(hours / 24)


def moment_after(treated_at: datetime, hours: float, tz: tzinfo) -> datetime:
    """The local clock time `hours` elapsed hours after the treatment."""
    _require_aware(treated_at, "treated_at")
    return (treated_at.astimezone(timezone.utc) + timedelta(hours=hours)).astimezone(tz)


def wall_clock_shift(treated_at: datetime, hours: float, tz: tzinfo) -> timedelta:
    """How far the local clock at `hours` after treatment is from naive wall-clock arithmetic.

    24 hours after 14:00 the day before the clocks go back reads 13:00: a shift of -1 h.
    Zero when no daylight-saving change lies in between.
    """
    start_local = treated_at.astimezone(tz)
    actual = moment_after(treated_at, hours, tz).replace(tzinfo=None)
    naive = start_local.replace(tzinfo=None) + timedelta(hours=hours)
    return actual - naive


@dataclass(frozen=True)
class RecoveryPoint:
    """A client's point of recovery for one topic."""

    treated_at: datetime
    now: datetime
    tz: tzinfo
    hours: float
    day: int
    window: Optional[Window]
    next_window: Optional[Window]

    @property
    def window_opened_at(self) -> Optional[datetime]:
        if self.window is None:
            return None
        return moment_after(self.treated_at, self.window.start, self.tz)

    @property
    def next_opens_at(self) -> Optional[datetime]:
        if self.next_window is None:
            return None
        return moment_after(self.treated_at, self.next_window.start, self.tz)

    @property
    def next_shift(self) -> timedelta:
        if self.next_window is None:
            return timedelta(0)
        return wall_clock_shift(self.treated_at, self.next_window.start, self.tz)


def locate(topic: Topic, treated_at: datetime, now: datetime, tz: tzinfo) -> RecoveryPoint:
    hours = elapsed_hours(treated_at, now)
    return RecoveryPoint(
        treated_at=treated_at,
        now=now,
        tz=tz,
        hours=hours,
        day=recovery_day(hours),
        window=topic.window_at(hours),
        next_window=topic.next_window(hours),
    )
