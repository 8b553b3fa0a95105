"""Appointment times the way booking systems and spreadsheets write them, read in the
clinic's country and time zone.

`11/21/2026 2:30 PM`, `21/11/2026 14:30`, `21.11.2026 14:30`, `Nov 21, 2026 2:30pm`,
`2026-11-21 14:30`, ISO 8601 with or without an offset. dateparser reads them; what it
cannot know is the order of a date written in numbers only, so that is settled first:

- a date that starts with its four-digit year is year, month, day;
- otherwise the clinic's order (day-first or month-first: given, or the order every
  official language of the clinic's country writes a short date in, from CLDR via babel);
- in a country with no such order (Canada and Japan write the year first, South Africa
  both), a date reads only when its numbers allow one order (21/11: day first), and
  03/04/2026 is refused as ambiguous rather than guessed.

A date the clinic's order makes impossible (11/21/2026 in the UK) is refused too: it says
the export writes dates the other way, and its other rows (03/04/2026) would be misread.
A time without an offset is the clinic's local time (a time in the spring DST gap is
refused); relative times ("tomorrow 3pm") and dates without a time of day are refused.
"""

from __future__ import annotations

import enum
import re
from datetime import datetime, timezone, tzinfo
from functools import lru_cache
from typing import Optional

from babel import Locale
from babel.core import UnknownLocaleError
from babel.languages import get_official_languages

from bot.timeparse import InvalidTime, UnreadableTime, parse_local_time, wall_clock


class DateOrder(str, enum.Enum):
    day_first = "day-first"
    month_first = "month-first"


def parse_date_order(value: Optional[str]) -> Optional[DateOrder]:
    if value is None or value == "":
        return None
    try:
        return DateOrder(value)
    except ValueError:
        raise InvalidTime(f"unknown date order {value!r} (use day-first or month-first)") from None


class AmbiguousDate(InvalidTime):
    """A date whose day and month cannot be told apart."""


_YEAR_FIRST = re.compile(r"(?<![\d./-])(\d{4})([./-])(\d{1,2})\2(\d{1,2})(?![\d./-])")
_YEAR_LAST = re.compile(r"(?<![\d./-])(\d{1,2})([./-])(\d{1,2})\2(\d{4}|\d{2})(?![\d./-])")
_TIME_OF_DAY = re.compile(r"\d\s*(?::|h)\s*\d\d|\d\s*[ap]\.?\s*m\b", re.IGNORECASE)
_SETTINGS = {
    "STRICT_PARSING": True,
    "REQUIRE_PARTS": ["day", "month", "year"],
    "PARSERS": ["absolute-time"],  # no "tomorrow", no Unix timestamps
}


@lru_cache(maxsize=None)
def country_order(region: str) -> Optional[DateOrder]:
    """How the country with this ISO code ("US", "GB") writes a date in numbers, when all
    its official languages agree on day-first or month-first; None otherwise."""
    orders = set()
    for language in get_official_languages(region, regional=False, de_facto=True):
        try:
            pattern = Locale.parse(f"{language}_{region}").date_formats["short"].pattern
        except (UnknownLocaleError, ValueError, KeyError):
            continue
        letters = [letter for letter in re.sub(r"'[^']*'", "", pattern) if letter in "dMy"]  # 'M/d/yy'
        orders.add({"d": DateOrder.day_first, "M": DateOrder.month_first}.get(letters[0] if letters else ""))
    return orders.pop() if len(orders) == 1 else None


@lru_cache(maxsize=None)
def country_languages(region: str) -> tuple[str, ...]:
    """The languages month names may be written in: English and the country's official ones."""
    from dateparser.languages.loader import default_loader  # slow to import: only when a file is read

    known = default_loader.get_locale_map()
    official = get_official_languages(region, regional=False, de_facto=True)
    return tuple(dict.fromkeys(["en", *(language for language in official if language in known)]))


def _shown(text: str) -> str:
    return repr(text if len(text) <= 40 else text[:37] + "...")


def _order_of_numbers(raw: str, order: Optional[DateOrder]) -> Optional[str]:
    """dateparser's DATE_ORDER for a date written in numbers; None for one with a month name."""
    if _YEAR_FIRST.search(raw):
        return "YMD"
    match = _YEAR_LAST.search(raw)
    if match is None:
        return None
    first, second = int(match.group(1)), int(match.group(3))
    date = match.group(0)
    if order is DateOrder.month_first:
        if first > 12 >= second:
            raise InvalidTime(
                f"{date} is not a month/day/year date, the order the clinic writes dates in "
                "(if this export writes the day first, give the date order day-first)"
            )
        return "MDY"
    if order is DateOrder.day_first:
        if second > 12 >= first:
            raise InvalidTime(
                f"{date} is not a day/month/year date, the order the clinic writes dates in "
                "(if this export writes the month first, give the date order month-first)"
            )
        return "DMY"
    if first <= 12 and second <= 12 and first != second:
        raise AmbiguousDate(
            f"the date {date} could be day/month or month/day: give the date order (day-first or month-first)"
        )
    return "DMY" if first > 12 else "MDY"


def read_time(
    text: str, tz: tzinfo, order: Optional[DateOrder] = None, languages: tuple[str, ...] = ("en",)
) -> datetime:
    """`text` as an aware datetime in UTC; InvalidTime (one line) when it cannot be read
    for certain. `order` is how the clinic writes dates in numbers (None: no known order)."""
    raw = " ".join((text or "").split())
    try:
        return parse_local_time(raw, tz)  # our own two forms, with their exact DST rules
    except UnreadableTime:
        pass
    if not raw:
        raise InvalidTime("the time is empty")
    import dateparser  # slow to import: only when a time needs more than our two forms

    date_order = _order_of_numbers(raw, order)
    settings = dict(_SETTINGS, DATE_ORDER=date_order or ("DMY" if order is DateOrder.day_first else "MDY"))
    parsed = dateparser.parse(raw, languages=list(languages), settings=settings)
    if parsed is None:
        raise InvalidTime(f"cannot read the time {_shown(raw)} as a date and time")
    if not _TIME_OF_DAY.search(raw):
        raise InvalidTime(f"{_shown(raw)} has no time of day")
    if parsed.tzinfo is not None and parsed.utcoffset() is not None:
        return parsed.astimezone(timezone.utc)
    return wall_clock(parsed.replace(tzinfo=None), tz, raw)
