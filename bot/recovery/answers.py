"""Compose what the client reads, from the protocol and their point of recovery.

Pure: the clinic's details, the treatment time and "now" come in as values.
The words of guidance come from the protocol; this module only joins them with
where the client is ("It has been 16 hours since your treatment yesterday at 5:00 pm")
and when the next window opens, in the clinic's local time.
"""

from __future__ import annotations

import string
from dataclasses import dataclass
from datetime import datetime, timedelta, tzinfo
from typing import Iterable, Optional

from bot.recovery.clock import RecoveryPoint, locate
from bot.recovery.protocol import Condition, Protocol, Sensation, Topic


@dataclass(frozen=True)
class ClinicCard:
    """What an answer may say about the clinic."""

    name: str
    phone: str
    tz: tzinfo
    booking_url: Optional[str] = None
    emergency_number: str = "911"  # of the clinic's country (bot.emergency)


@dataclass(frozen=True)
class Reply:
    text: str
    topic: Optional[str] = None
    refer: bool = False
    escalate: bool = False
    window_start: Optional[float] = None
    covered: bool = True  # False: the protocol has no guidance on `topic`


class _Blank(dict):
    def __missing__(self, key: str) -> str:
        return "{" + key + "}"


def fill(template: str, clinic: ClinicCard, **extra: str) -> str:
    """Fill the protocol's placeholders; an unknown placeholder is left visible, not dropped."""
    values = _Blank(
        clinic_name=clinic.name,
        clinic_phone=clinic.phone,
        booking_url=clinic.booking_url or "your clinic's booking page",
        emergency_number=clinic.emergency_number,
    )
    values.update(extra)
    return string.Formatter().vformat(template, (), values)


# --- saying times the way people do ----------------------------------------------------


def clock_text(moment: datetime) -> str:
    hour = moment.hour % 12 or 12
    return f"{hour}:{moment.minute:02d} {'am' if moment.hour < 12 else 'pm'}"


def day_text(moment: datetime, now: datetime) -> str:
    """'today', 'yesterday', 'tomorrow', 'on Tuesday' (within a week), else 'on Nov 20'."""
    days = (moment.date() - now.astimezone(moment.tzinfo).date()).days
    if days == 0:
        return "today"
    if days == -1:
        return "yesterday"
    if days == 1:
        return "tomorrow"
    if -6 <= days <= 6:
        return f"on {moment.strftime('%A')}"
    if moment.year != now.year:
        return f"on {moment.strftime('%b')} {moment.day}, {moment.year}"
    return f"on {moment.strftime('%b')} {moment.day}"


def when_text(moment: datetime, now: datetime) -> str:
    """'yesterday at 5:00 pm'."""
    return f"{day_text(moment, now)} at {clock_text(moment)}"


def at_text(moment: datetime, now: datetime) -> str:
    """'5:00 pm today', '2:00 pm on Nov 20'."""
    return f"{clock_text(moment)} {day_text(moment, now)}"


def _plural(count: int, unit: str) -> str:
    return f"{count} {unit}{'' if count == 1 else 's'}"


def elapsed_text(hours: float) -> str:
    """16.4 -> '16 hours'; 75 -> '3 days and 3 hours'; 400 -> '16 days'; 0.5 -> '30 minutes'."""
    if hours < 1:
        return _plural(max(int(hours * 60), 0), "minute")
    if hours < 48:
        return _plural(int(hours), "hour")
    days, rest = divmod(int(hours), 24)
    if days < 7 and rest:
        return f"{_plural(days, 'day')} and {_plural(rest, 'hour')}"
    if days < 28:
        return _plural(days, "day")
    weeks, days = divmod(days, 7)
    return _plural(weeks, "week") + (f" and {_plural(days, 'day')}" if days else "")


def span_text(hours: float) -> str:
    """A window boundary in words: 24 -> '24 hours', 96 -> '4 days', 672 -> '4 weeks'."""
    if hours < 72 or hours % 24:
        return _plural(int(hours), "hour")
    days = int(hours // 24)
    if days >= 28 and days % 7 == 0:
        return _plural(days // 7, "week")
    return _plural(days, "day")


def _capital(text: str) -> str:
    return text[:1].upper() + text[1:]


def shift_note(point: RecoveryPoint) -> str:
    """Say so when a daylight-saving change moves the opening off the treatment's clock time."""
    shift, opens = point.next_shift, point.next_opens_at
    if shift == timedelta(0) or point.next_window is None or opens is None:
        return ""
    naive = clock_text(opens - shift)
    return (
        f" That is {span_text(point.next_window.start)} after your treatment; the clocks change "
        f"in between, so it falls at {clock_text(opens)} rather than {naive}."
    )


# --- answers -------------------------------------------------------------------------


def treatment_lead(treated_at: datetime, now: datetime, tz: tzinfo, hours: float) -> str:
    local = treated_at.astimezone(tz)
    return f"It has been {elapsed_text(hours)} since your treatment {when_text(local, now.astimezone(tz))}."


def answer_topic(
    protocol: Protocol,
    topic: Topic,
    treated_at: datetime,
    now: datetime,
    clinic: ClinicCard,
    lead: bool = True,
) -> Reply:
    """The answer for one topic at the client's point of recovery; `lead` says how long ago
    the treatment was (off for the second topic of a message, said once is enough)."""
    point = locate(topic, treated_at, now, clinic.tz)
    local_now = now.astimezone(clinic.tz)
    if point.window is None:  # the treatment is still ahead
        return answer_general(protocol, topic, clinic)
    parts = [treatment_lead(treated_at, now, clinic.tz, point.hours)] if lead else []
    window = point.window
    opened = point.window_opened_at
    if window.start > 0 and window.summary and not window.refer and opened is not None:
        parts.append(f"Since {at_text(opened, local_now)}, {window.summary}.")
    parts.append(fill(window.guidance, clinic))
    upcoming, opens = point.next_window, point.next_opens_at
    if upcoming is not None and opens is not None and not upcoming.refer and upcoming.summary:
        parts.append(f"{_capital(upcoming.summary)} from {at_text(opens, local_now)}." + shift_note(point))
    return Reply(" ".join(parts), topic=topic.name, refer=window.refer, window_start=window.start)


def answer_general(protocol: Protocol, topic: Topic, clinic: ClinicCard) -> Reply:
    """The topic's whole timeline, for a client whose treatment time is unknown."""
    first, *later = topic.windows
    parts = [fill(first.guidance, clinic)]
    for window in later:
        if window.summary:
            parts.append(f"From {span_text(window.start)} after treatment, {window.summary}.")
    if later:
        parts.append(fill(protocol.phrase("general_note"), clinic))
    return Reply(" ".join(parts), topic=topic.name)


def answer_uncovered(protocol: Protocol, label: str, clinic: ClinicCard) -> Reply:
    return Reply(fill(protocol.phrase("no_guidance"), clinic, topic=label), topic=label, refer=True, covered=False)


def beyond_expected(protocol: Protocol, sensation: Sensation, hours: float, clinic: ClinicCard) -> Reply:
    """A sensation that has lasted past its expected window: contact the clinic now
    (`escalate`), or let the clinic check on it (`refer`), as the protocol says."""
    lead = _capital(
        fill(
            protocol.phrase("beyond_expected"),
            clinic,
            sensation=sensation.label,
            expected=span_text(sensation.until),
            elapsed=elapsed_text(hours),
        )
    )
    if sensation.beyond == "escalate":
        return Reply(f"{lead} {fill(protocol.phrase('escalate'), clinic)}", topic=sensation.topic, escalate=True)
    return Reply(f"{lead} {fill(protocol.phrase('sensation_refer'), clinic)}", topic=sensation.topic, refer=True)


def escalation(protocol: Protocol, clinic: ClinicCard, language: Optional[str] = "en") -> Reply:
    """'Contact the clinic now', in the client's language when the protocol has it."""
    return Reply(fill(protocol.phrase("escalate", language), clinic), escalate=True)


def other_language(protocol: Protocol, clinic: ClinicCard, language: Optional[str]) -> list[Reply]:
    """For a message in a language the assistant does not answer in: that the team will
    reply, the clinic's phone and the emergency number, in that language when the protocol
    has it, and in English."""
    texts = [protocol.phrase_in("other_language", language), protocol.phrase("other_language")]
    return [Reply(fill(text, clinic), refer=True) for text in dict.fromkeys(t for t in texts if t)]


def handover(protocol: Protocol, clinic: ClinicCard, now: Optional[datetime] = None) -> Reply:
    """That the team will get back to them; outside the clinic's opening hours, when the
    team is back ("9:00 am Monday")."""
    local = now.astimezone(clinic.tz) if now is not None else None
    back = protocol.opening_hours.next_opening(local) if local is not None else None
    if local is None or back is None or protocol.opening_hours.open_at(local):
        return Reply(fill(protocol.phrase("human"), clinic), refer=True)
    return Reply(fill(protocol.phrase("human_closed"), clinic, back_at=back_text(back, local)), refer=True)


def back_text(opening: datetime, now: datetime) -> str:
    """'9:00 am tomorrow', '9:00 am Monday' (within a week), '9:00 am on Dec 28'."""
    day = day_text(opening, now)
    if day.startswith("on ") and day[3:].isalpha():  # a weekday
        day = day[3:]
    return f"{clock_text(opening)} {day}"


def matching_conditions(protocol: Protocol, text: str) -> list[Condition]:
    lowered = f" {text.lower()} "
    return [
        condition
        for condition in protocol.conditions.values()
        if any(_has_phrase(lowered, keyword) for keyword in condition.keywords)
    ]


def _has_phrase(padded_text: str, phrase: str) -> bool:
    """Whole-word phrase match on lower-case text padded with spaces."""
    cleaned = "".join(ch if ch.isalnum() or ch in " -'" else " " for ch in padded_text)
    return f" {phrase} " in f" {' '.join(cleaned.split())} "


def answer_conditions(protocol: Protocol, text: str, clinic: ClinicCard) -> Reply:
    """Name the contraindication lines the message touches; never clear anyone."""
    found = matching_conditions(protocol, text)
    topic = protocol.topic("contraindications")
    if not found and topic is not None:
        return Reply(fill(topic.windows[0].guidance, clinic), topic="contraindications")
    lines = " ".join(condition.line for condition in found)
    return Reply(fill(protocol.phrase("condition_found"), clinic, line=lines), topic="contraindications")


def topics_in(text: str, names: Iterable[str], keywords: dict) -> list[str]:
    """Topics whose keywords appear in the text, in the order given."""
    lowered = f" {text.lower()} "
    return [name for name in names if any(_has_phrase(lowered, k) for k in keywords.get(name, ()))]
