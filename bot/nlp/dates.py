"""Read when a treatment was from how clients write it: "yesterday around 3",
"tuesday", "2 days ago", "nov 20 at 2pm", "this morning".

dateparser does the parsing; this module only tidies the text into something it
reads (fillers out, parts of the day to clock times, bare hours to afternoon),
and applies the rules of this domain: a treatment is in the past, and a clinic
works in the daytime.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timedelta, tzinfo
from typing import Optional

import dateparser
from dateparser.search import search_dates

# Parts of the day, as the clock time we count from.
_PARTS_OF_DAY = {
    "this morning": "today 10:00",
    "this afternoon": "today 15:00",
    "this evening": "today 18:00",
    "tonight": "today 19:00",
    "last night": "yesterday 19:00",
    "yesterday morning": "yesterday 10:00",
    "yesterday afternoon": "yesterday 15:00",
    "yesterday evening": "yesterday 18:00",
    "morning": "10:00",
    "afternoon": "15:00",
    "evening": "18:00",
    "lunchtime": "12:30",
    "lunch time": "12:30",
    "noon": "12:00",
    "midday": "12:00",
}
# The hour a part of the day named as today begins: before it, the client means yesterday's.
_PART_BEGINS = {"this afternoon": 12, "this evening": 17, "tonight": 17}
_FILLERS = re.compile(
    r"\b(i had it done|i had it|i got it done|i got it|had it done|got it done|it was done|it was|"
    r"was done|treatment was|my treatment|the treatment|microneedling|appointment|done|"
    r"around|about|approx|approximately|roughly|ish|like|maybe|probably|i think|at around|in the|on the)\b",
    re.IGNORECASE,
)
_BARE_HOUR = re.compile(r"\bat (\d{1,2})(?::(\d{2}))?\b(?!\s*(?:am|pm|a\.m|p\.m|h\b))", re.IGNORECASE)
_TRAILING_BARE_HOUR = re.compile(
    r"^(.*\b(?:mon|tue|wed|thu|fri|sat|sun)\w*|yesterday|today)\s+(\d{1,2})(?::(\d{2}))?$",
    re.IGNORECASE,
)
_HAS_CLOCK = re.compile(r"\d{1,2}(:\d{2})?\s*(am|pm)|\d{1,2}:\d{2}|\bago\b|\bnow\b|\d{1,2}\s*h\b", re.IGNORECASE)
_FUTURE = re.compile(r"\b(tomorrow|next|later|in \d+ (days?|hours?|weeks?))\b", re.IGNORECASE)
_ONLY_ORDINAL = re.compile(r"^(\d{1,2})(st|nd|rd|th)$", re.IGNORECASE)
_TODAY = re.compile(r"\btoday\b", re.IGNORECASE)
_WEEKDAY = re.compile(r"\b(mon|tue|wed|thu|fri|sat|sun)[a-z]*\b", re.IGNORECASE)


@dataclass(frozen=True)
class TreatmentTime:
    at: datetime  # aware, clinic local
    time_guessed: bool  # only a day was given; we count from midday


def _afternoon(hour: int) -> int:
    """Clinics treat in the daytime: a bare "3" is 3 pm, a bare "9" is 9 am."""
    return hour + 12 if 1 <= hour <= 7 else hour


def tidy(text: str) -> str:
    cleaned = " ".join(text.lower().replace("’", "'").split())
    cleaned = re.sub(r"[!?,.;]+(\s|$)", " ", cleaned).strip()
    for phrase in sorted(_PARTS_OF_DAY, key=len, reverse=True):
        cleaned = re.sub(rf"\b{phrase}\b", _PARTS_OF_DAY[phrase], cleaned)
    cleaned = _FILLERS.sub(" ", cleaned)
    cleaned = re.sub(r"\b(tmrw|tmr)\b", "tomorrow", cleaned)
    cleaned = re.sub(r"\byday\b|\byest\b|\byesterdy\b", "yesterday", cleaned)
    cleaned = _BARE_HOUR.sub(lambda m: f" {_afternoon(int(m.group(1)))}:{m.group(2) or '00'}", cleaned)
    cleaned = " ".join(cleaned.split())
    match = _TRAILING_BARE_HOUR.match(cleaned)
    if match:
        cleaned = f"{match.group(1)} {_afternoon(int(match.group(2)))}:{match.group(3) or '00'}"
    only_day = _ONLY_ORDINAL.match(cleaned)
    if only_day:
        cleaned = only_day.group(1)
    return cleaned


def parse_treatment_time(text: str, now: datetime, tz: tzinfo) -> Optional[TreatmentTime]:
    """The treatment time a message names, in the past, or None if it names none."""
    if not text or len(text) > 500:
        return None
    local_now = now.astimezone(tz)
    cleaned = tidy(text)
    if not cleaned or _FUTURE.search(cleaned):
        return None
    settings = {
        "RELATIVE_BASE": local_now.replace(tzinfo=None),
        "PREFER_DATES_FROM": "past",
        "PREFER_DAY_OF_MONTH": "current",
        "RETURN_AS_TIMEZONE_AWARE": False,
        "DATE_ORDER": "MDY",
    }
    parsed = dateparser.parse(cleaned, languages=["en"], settings=settings)
    if parsed is None:
        found = search_dates(cleaned, languages=["en"], settings=settings)
        parsed = found[-1][1] if found else None
    if parsed is None:
        return None
    part_of_day = any(p in text.lower() for p in _PARTS_OF_DAY)
    has_clock = bool(_HAS_CLOCK.search(cleaned)) or part_of_day
    if not has_clock:
        parsed = parsed.replace(hour=12, minute=0, second=0, microsecond=0)
    at = parsed.replace(tzinfo=tz, fold=0)
    if at > local_now + timedelta(minutes=5):
        if _TODAY.search(cleaned):
            # "this afternoon" said at 2 pm was earlier today, never yesterday: count from now,
            # the later and so the safer guess. Said before the afternoon began (just after
            # midnight), it is the afternoon just gone. A clock time later today is no treatment.
            if has_clock and not part_of_day:
                return None
            begins = max((hour for part, hour in _PART_BEGINS.items() if part in text.lower()), default=0)
            at = local_now if local_now.hour >= begins else at - timedelta(days=1)
        elif at.date() == local_now.date():
            at = at - timedelta(days=1)  # a bare time later than now: yesterday
        elif _WEEKDAY.search(cleaned):
            at = at - timedelta(days=7)  # "friday" said on a Thursday: last Friday
        else:
            return None  # a date still ahead ("the 28th" on the 23rd): ask again
    if at > local_now + timedelta(minutes=5) or local_now - at > timedelta(days=366):
        return None
    return TreatmentTime(at=min(at, local_now), time_guessed=not has_clock)
