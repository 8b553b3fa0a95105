"""What Acuity Scheduling sends and answers, read into plain values.

A webhook is a form (`action=scheduled&id=1234&calendarID=5&appointmentTypeID=6`) that
only names the appointment; its details come from `GET /api/v1/appointments/{id}`
(developers.acuityscheduling.com). An appointment's `datetime` is its start with an
offset (`2026-11-21T14:30:00-0500`) and `duration` its length in minutes: the treatment
is over, and its aftercare hours start, at start + duration. A cancelled appointment has
`canceled: true` (and `noShow: true` when the client did not come).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Optional
from urllib.parse import parse_qsl

ACTIONS = ("scheduled", "rescheduled", "canceled", "changed")
FORM_TYPE = "application/x-www-form-urlencoded"
_ID = re.compile(r"^\d{1,18}$")


class Unreadable(ValueError):
    """Not what Acuity sends or answers."""


@dataclass(frozen=True)
class Notification:
    action: str  # one of ACTIONS, or another Acuity sends (order.completed), which is ignored
    appointment_id: str

    @property
    def about_an_appointment(self) -> bool:
        return self.action in ACTIONS


def read_notification(body: bytes) -> Notification:
    try:
        pairs = parse_qsl(body.decode("utf-8"), keep_blank_values=True, errors="strict", max_num_fields=50)
    except ValueError as error:  # UnicodeDecodeError included
        raise Unreadable(f"the body is not a UTF-8 form ({error})") from None
    form = dict(pairs)
    action, appointment_id = form.get("action", "").strip(), form.get("id", "").strip()
    if not action:
        raise Unreadable("the form has no action")
    if action in ACTIONS and not _ID.match(appointment_id):
        raise Unreadable("the form has no appointment id")
    return Notification(action, appointment_id)


@dataclass(frozen=True)
class Appointment:
    id: str
    first_name: str
    last_name: str
    phone: str
    type_id: Optional[int]
    type_name: str
    start: datetime
    duration: timedelta
    canceled: bool
    no_show: bool

    @property
    def name(self) -> str:
        return " ".join(part for part in (self.first_name.strip(), self.last_name.strip()) if part)

    @property
    def end(self) -> datetime:
        return self.start + self.duration


def _text(payload: dict, key: str) -> str:
    value = payload.get(key)
    return "" if value is None else str(value)


def _int(value: Any) -> Optional[int]:
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


def read_appointment(payload: Any) -> Appointment:
    if not isinstance(payload, dict):
        raise Unreadable("the appointment is not a JSON object")
    appointment_id = _text(payload, "id")
    if not _ID.match(appointment_id):
        raise Unreadable("the appointment has no id")
    try:
        # Acuity writes the offset without a colon ("-0500"), which %z reads.
        start = datetime.strptime(_text(payload, "datetime"), "%Y-%m-%dT%H:%M:%S%z")
    except ValueError:
        raise Unreadable("the appointment's datetime is not ISO 8601 with an offset") from None
    minutes = _int(payload.get("duration"))
    if minutes is None or not 0 <= minutes <= 24 * 60:
        raise Unreadable("the appointment's duration is not a number of minutes")
    return Appointment(
        id=appointment_id,
        first_name=_text(payload, "firstName"),
        last_name=_text(payload, "lastName"),
        phone=_text(payload, "phone"),
        type_id=_int(payload.get("appointmentTypeID")),
        type_name=_text(payload, "type"),
        start=start,
        duration=timedelta(minutes=minutes),
        canceled=bool(payload.get("canceled")),
        no_show=bool(payload.get("noShow")),
    )
