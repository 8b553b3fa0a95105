"""Acuity Scheduling's API, the one call the bookings channel makes: an appointment by id
(`GET {ACUITY_API_URL}/api/v1/appointments/{id}`, HTTP Basic auth with the account's user
id and API key). A test or an offline demo points ACUITY_API_URL at the local
Acuity-compatible server (bot/devtools/acuity_server.py)."""

from __future__ import annotations

from typing import Optional

import requests

from bot.booking_systems.acuity import Appointment, Unreadable, read_appointment
from bot.services.booking_sources import AcuityAccount

TIMEOUT = 10.0  # seconds; Acuity waits for our answer to its webhook meanwhile


class AcuityError(Exception):
    """Acuity's API did not give the appointment; `reason` is a code for the event log."""

    def __init__(self, reason: str, message: str) -> None:
        super().__init__(message)
        self.reason = reason


def fetch_appointment(
    base_url: str, account: AcuityAccount, appointment_id: str, timeout: float = TIMEOUT
) -> Optional[Appointment]:
    """The appointment as Acuity has it now; None when Acuity no longer has it (deleted)."""
    url = f"{base_url}/api/v1/appointments/{appointment_id}"
    try:
        answer = requests.get(
            url, auth=(account.user_id, account.api_key), headers={"Accept": "application/json"}, timeout=timeout
        )
    except requests.RequestException as error:
        raise AcuityError("acuity_unreachable", f"Acuity's API could not be reached ({type(error).__name__})") from None
    if answer.status_code == 404:
        return None
    if answer.status_code in (401, 403):
        raise AcuityError("acuity_refused_key", "Acuity refused the clinic's user id and API key")
    if answer.status_code != 200:
        raise AcuityError(f"acuity_{answer.status_code}", f"Acuity's API answered {answer.status_code}")
    try:
        return read_appointment(answer.json())
    except (ValueError, Unreadable) as error:
        raise AcuityError("acuity_unreadable", f"Acuity's answer could not be read ({error})") from None
