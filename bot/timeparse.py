"""Times typed by staff (the CLI's --at, an import's treatment_at) to aware datetimes."""

from __future__ import annotations

import re
from datetime import datetime, timezone, tzinfo

_LOCAL = re.compile(r"^(\d{4})-(\d{2})-(\d{2})[ T](\d{2}):(\d{2})$")
_FORMS = "use 'YYYY-MM-DD HH:MM' (clinic local time) or ISO 8601 with an offset"


class InvalidTime(ValueError):
    """A time that cannot be read or does not exist; the message is one line."""


class UnreadableTime(InvalidTime):
    """Text in neither of the two forms: a reader of more forms may still read it."""


def _shown(text: str) -> str:
    text = text or ""
    return repr(text if len(text) <= 40 else text[:37] + "...")


def parse_local_time(text: str, tz: tzinfo) -> datetime:
    """Read `text` as an instant, returned as an aware datetime in UTC.

    Two forms are accepted:
    - "YYYY-MM-DD HH:MM" (or with a T): a wall-clock time in `tz` (the clinic's zone).
    - ISO 8601 with an offset or Z ("2024-05-01T14:00:00-04:00"): an exact instant.

    UTC, like the store returns times: a datetime in a zone that falls in a fold never
    compares equal to one in another zone (PEP 495), which would make the same instant
    look different. Convert to the clinic's zone only to show it.

    Daylight saving: a wall-clock time that does not exist (in the gap when the clocks
    go forward) is refused with InvalidTime. A wall-clock time that happens twice
    (in the fold when the clocks go back) is taken at its first occurrence (fold=0,
    still on daylight time); give an offset to mean the second one.
    """
    raw = (text or "").strip()
    match = _LOCAL.match(raw)
    if match:
        return _wall_clock(raw, match, tz)
    try:
        parsed = datetime.fromisoformat(raw[:-1] + "+00:00" if raw.endswith(("Z", "z")) else raw)
    except ValueError:
        raise UnreadableTime(f"cannot read the time {_shown(text)}: {_FORMS}") from None
    if parsed.tzinfo is None:
        raise UnreadableTime(f"the time {_shown(text)} has no offset: {_FORMS}")
    return parsed.astimezone(timezone.utc)


def _wall_clock(raw: str, match: re.Match, tz: tzinfo) -> datetime:
    try:
        year, month, day, hour, minute = (int(part) for part in match.groups())
        naive = datetime(year, month, day, hour, minute)
    except ValueError as exc:
        raise InvalidTime(f"the time {raw!r} is not a real date or time ({exc})") from None
    return wall_clock(naive, tz, raw)


def wall_clock(naive: datetime, tz: tzinfo, raw: str) -> datetime:
    """`naive` read on the clocks of `tz`, in UTC; refused in the spring gap, the first
    occurrence in the autumn fold (see parse_local_time). `raw` is the text, for the message."""
    local = naive.replace(tzinfo=tz, fold=0)
    # A time in the gap does not survive a round trip through UTC: 02:30 comes back 03:30.
    round_trip = local.astimezone(timezone.utc).astimezone(tz).replace(tzinfo=None)
    if round_trip != naive:
        raise InvalidTime(
            f"{raw} does not exist in {getattr(tz, 'key', tz)}: the clocks go forward then; "
            "give a time outside the gap or an offset"
        )
    return local.astimezone(timezone.utc)
