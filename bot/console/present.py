"""How the console says things: clinic-local times, recovery points, channels, kinds of
item, delivery statuses. Plain functions of values, used by the page modules."""

from __future__ import annotations

from datetime import datetime
from typing import Optional
from zoneinfo import ZoneInfo

from bot.alerts import AlertKind
from bot.identity import Channel
from bot.messaging.gateway import PERMANENT_CODES
from bot.phones import display_phone as display_number  # noqa: F401 (for the page modules)
from bot.recovery.answers import clock_text
from bot.recovery.clock import elapsed_hours, recovery_day

ITEM_KINDS = {
    AlertKind.red_flag: "Red flag",
    AlertKind.human_request: "Asks for a person",
    AlertKind.photo: "Photo",
    AlertKind.not_understood: "Not understood",
    AlertKind.during_takeover: "Written during take-over",
    AlertKind.opted_out_wrote: "Wrote after STOP",
    AlertKind.followup_failed: "Follow-up failed",
    AlertKind.uncovered_topic: "Not in the protocol",
    AlertKind.outside_timeline: "Outside the expected recovery",
    AlertKind.bot_error: "Assistant failed",
    AlertKind.other_language: "Another language",
}
CHANNELS = {Channel.sms: "SMS", Channel.web: "Web chat", Channel.anon: "Web visitor"}
STATUSES = {
    "queued": "queued",
    "accepted": "queued",
    "sending": "sending",
    "sent": "sent",
    "delivered": "delivered",
    "read": "read",
    "failed": "failed",
    "undelivered": "not delivered",
    "canceled": "cancelled",
    "stored": "in the local outbox",
}


def local_time(moment: Optional[datetime], tz: ZoneInfo, now: Optional[datetime] = None) -> str:
    """'3:02 pm' today, 'Tue 3:02 pm' within a week, 'Dec 4, 3:02 pm' otherwise; in the clinic's zone."""
    if moment is None:
        return ""
    local = moment.astimezone(tz)
    if now is not None:
        today = now.astimezone(tz).date()
        if local.date() == today:
            return clock_text(local)
        if 0 < (today - local.date()).days < 7:
            return f"{local:%a} {clock_text(local)}"
    return f"{local:%b} {local.day}, {clock_text(local)}"


def full_time(moment: Optional[datetime], tz: ZoneInfo) -> str:
    """'Fri Dec 4 2026, 3:02 pm EST': for a time element's title and machine-readable value."""
    if moment is None:
        return ""
    local = moment.astimezone(tz)
    return f"{local:%a %b} {local.day} {local.year}, {clock_text(local)} {local.tzname()}"


def recovery_point(treated_at: Optional[datetime], now: datetime) -> str:
    """'day 2 · 50 h' since the treatment; '' without one."""
    if treated_at is None:
        return ""
    hours = elapsed_hours(treated_at, now)
    if hours < 0:
        return ""
    return f"day {recovery_day(hours)} · {int(hours)} h"


def delivery(status: Optional[str], error_code: Optional[int]) -> str:
    if not status:
        return ""
    said = STATUSES.get(status, status)
    if error_code:
        reason = PERMANENT_CODES.get(error_code)
        said += f" (Twilio error {error_code}" + (f": {reason})" if reason else ")")
    return said
