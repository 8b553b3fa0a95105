"""The signed webhook's event: one booking as a JSON object (README, "Bookings from any
other system"), sent by Zapier, Make or n8n from the clinic's booking system.

    {"event_id": "evt_1", "booking_id": "A-1001", "status": "booked",
     "start": "2026-11-21T14:30:00-05:00", "end": "2026-11-21T15:30:00-05:00",
     "name": "Ana Diaz", "phone": "+12125550123", "service": "Microneedling", "area": "face"}

booking_id and start are required, and name and phone unless the event cancels a booking
already on file; status defaults to booked. Times carry their offset: a Zap runs on a
server in another time zone. The treatment's time is `end`, else `start`. Fields we do
not read are ignored.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any, Optional

MAX_BYTES = 16 * 1024  # a booking is a few hundred bytes; Zapier adds little


class BadEvent(ValueError):
    """Not an event of the documented shape; the message says what to fix."""


@dataclass(frozen=True)
class Event:
    booking_id: str
    status: str  # the booking system's word (bot/booking_systems/statuses.py)
    start: Optional[datetime]
    end: Optional[datetime]
    name: str
    phone: str
    service: Optional[str]
    area: Optional[str]
    event_id: Optional[str]

    @property
    def treatment_at(self) -> Optional[datetime]:
        return self.end or self.start


LIMITS = {"event_id": 128, "booking_id": 128, "status": 40, "name": 200, "phone": 40, "service": 200, "area": 64}


def _string(body: dict, key: str, required: bool = False) -> Optional[str]:
    value = body.get(key)
    if isinstance(value, int) and not isinstance(value, bool) and key in ("booking_id", "event_id"):
        value = str(value)
    if value is None or (isinstance(value, str) and not value.strip()):
        if required:
            raise BadEvent(f"{key} is required")
        return None
    if not isinstance(value, str):
        raise BadEvent(f"{key} must be a string")
    value = value.strip()
    if len(value) > LIMITS[key]:
        raise BadEvent(f"{key} is too long (at most {LIMITS[key]} characters)")
    return value


def _time(body: dict, key: str) -> Optional[datetime]:
    text = _string_or_none(body, key)
    if text is None:
        return None
    try:
        parsed = datetime.fromisoformat(text[:-1] + "+00:00" if text.endswith(("Z", "z")) else text)
    except ValueError:
        raise BadEvent(f"{key} must be ISO 8601 with an offset, e.g. 2026-11-21T14:30:00-05:00") from None
    if parsed.utcoffset() is None:
        raise BadEvent(f"{key} has no offset: give one, e.g. 2026-11-21T14:30:00-05:00 or ...Z")
    return parsed.astimezone(timezone.utc)


def _string_or_none(body: dict, key: str) -> Optional[str]:
    value = body.get(key)
    if value is None or value == "":
        return None
    if not isinstance(value, str) or len(value) > 64:
        raise BadEvent(f"{key} must be a time as a string, e.g. 2026-11-21T14:30:00-05:00")
    return value.strip()


def read_event(body: bytes) -> Event:
    try:
        parsed: Any = json.loads(body.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError):
        raise BadEvent("the body must be a JSON object in UTF-8") from None
    if not isinstance(parsed, dict):
        raise BadEvent("the body must be a JSON object")
    event = Event(
        booking_id=_string(parsed, "booking_id", required=True) or "",
        status=_string(parsed, "status") or "booked",
        start=_time(parsed, "start"),
        end=_time(parsed, "end"),
        name=_string(parsed, "name") or "",
        phone=_string(parsed, "phone") or "",
        service=_string(parsed, "service"),
        area=_string(parsed, "area"),
        event_id=_string(parsed, "event_id"),
    )
    if event.start is None:
        raise BadEvent("start is required")
    if event.end is not None and event.end < event.start:
        raise BadEvent("end is before start")
    return event
