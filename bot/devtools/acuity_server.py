"""A local Acuity Scheduling-compatible server for tests and offline demos.

The API aftercare uses, with Acuity's shapes (developers.acuityscheduling.com):

    GET /api/v1/appointments/{id}   the appointment (200), 404 when there is none,
                                    401 without the account's HTTP Basic auth (user id, API key)

and the other side: Acuity's webhooks. `book`, `reschedule`, `cancel` and `delete` change
an appointment as staff would in Acuity; `notify(url, action, id)` then POSTs what Acuity
posts (`action=...&id=...&calendarID=...&appointmentTypeID=...`, form-encoded) with its
X-Acuity-Signature: base64 HMAC-SHA256 of the body under the API key. `fail_next(n, status)`
makes the next n API calls answer that status; `fetches` lists the ids asked for.

In a test:  with FakeAcuity() as acuity: ... acuity.url, acuity.book(...)
Standalone: python -m bot.devtools.acuity_server --port 8091
"""

from __future__ import annotations

import argparse
import base64
import hashlib
import hmac
import json
import re
import threading
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Optional
from urllib.parse import urlencode, urlsplit
from zoneinfo import ZoneInfo

import requests

USER_ID = "21712345"
API_KEY = "fake-acuity-api-key-0123456789abcdef"
CALENDAR_ID = 4455
MICRONEEDLING_TYPE = 31001  # "Microneedling (SkinPen)"
FACIAL_TYPE = 31002  # "Signature Facial"
TYPE_NAMES = {MICRONEEDLING_TYPE: "Microneedling (SkinPen)", FACIAL_TYPE: "Signature Facial"}
FORM_TYPE = "application/x-www-form-urlencoded"

_APPOINTMENT = re.compile(r"^/api/v1/appointments/(?P<id>[^/]+)$")


def _error(status: int, error: str, message: str) -> dict:
    return {"status_code": status, "message": message, "error": error}


def _clock(moment: datetime) -> str:
    return moment.strftime("%I:%M%p").lstrip("0").lower()  # "2:30pm", as Acuity writes it


def signature(body: bytes, api_key: str = API_KEY) -> str:
    return base64.b64encode(hmac.new(api_key.encode(), body, hashlib.sha256).digest()).decode()


def notification_body(action: str, appointment: dict) -> bytes:
    return urlencode(
        {
            "action": action,
            "id": appointment["id"],
            "calendarID": appointment["calendarID"],
            "appointmentTypeID": appointment["appointmentTypeID"],
        }
    ).encode()


@dataclass
class FakeAcuity:
    user_id: str = USER_ID
    api_key: str = API_KEY
    host: str = "127.0.0.1"
    port: int = 0
    timezone: str = "America/New_York"
    appointments: dict = field(default_factory=dict)  # id -> the appointment, as the API returns it
    fetches: list = field(default_factory=list)  # ids asked for through the API
    echo: bool = False

    def __post_init__(self) -> None:
        self._lock = threading.Lock()
        self._failures: list[int] = []
        self._server: Optional[ThreadingHTTPServer] = None
        self._next_id = 900000001

    # Staff at work in Acuity

    def book(
        self,
        first_name: str,
        last_name: str,
        phone: str,
        start: datetime,
        minutes: int = 60,
        type_id: int = MICRONEEDLING_TYPE,
    ) -> dict:
        with self._lock:
            appointment_id, self._next_id = self._next_id, self._next_id + 1
        zone = ZoneInfo(self.timezone)
        now = datetime.now(zone)
        appointment = {
            "id": appointment_id,
            "firstName": first_name,
            "lastName": last_name,
            "phone": phone,
            "email": f"{first_name.lower()}@example.com",
            "dateCreated": now.strftime("%B %-d, %Y"),
            "datetimeCreated": now.strftime("%Y-%m-%dT%H:%M:%S%z"),
            "price": "350.00",
            "priceSold": "350.00",
            "paid": "no",
            "amountPaid": "0.00",
            "type": TYPE_NAMES.get(type_id, "Appointment"),
            "appointmentTypeID": type_id,
            "classID": None,
            "addonIDs": [],
            "category": "Skin",
            "duration": str(minutes),
            "calendar": "Treatment Room 1",
            "calendarID": CALENDAR_ID,
            "certificate": None,
            "confirmationPage": f"https://app.acuityscheduling.com/schedule.php?owner={self.user_id}&action=appt",
            "location": "",
            "notes": "",
            "timezone": self.timezone,
            "calendarTimezone": self.timezone,
            "canceled": False,
            "canClientCancel": True,
            "canClientReschedule": True,
            "labels": None,
            "forms": [],
            "formsText": "",
        }
        self._set_time(appointment, start, minutes)
        with self._lock:
            self.appointments[str(appointment_id)] = appointment
        return dict(appointment)

    def _set_time(self, appointment: dict, start: datetime, minutes: int) -> None:
        local = start.astimezone(ZoneInfo(self.timezone))
        end = local + timedelta(minutes=minutes)
        appointment.update(
            datetime=local.strftime("%Y-%m-%dT%H:%M:%S%z"),  # "2026-11-21T14:30:00-0500"
            date=local.strftime("%B %-d, %Y"),
            time=_clock(local),
            endTime=_clock(end),
            duration=str(minutes),
        )

    def reschedule(self, appointment_id: int, start: datetime) -> dict:
        with self._lock:
            appointment = self.appointments[str(appointment_id)]
            self._set_time(appointment, start, int(appointment["duration"]))
            return dict(appointment)

    def change_type(self, appointment_id: int, type_id: int) -> dict:
        with self._lock:
            appointment = self.appointments[str(appointment_id)]
            appointment.update(appointmentTypeID=type_id, type=TYPE_NAMES.get(type_id, "Appointment"))
            return dict(appointment)

    def cancel(self, appointment_id: int, no_show: bool = False) -> dict:
        with self._lock:
            appointment = self.appointments[str(appointment_id)]
            appointment.update(canceled=True, noShow=no_show)
            return dict(appointment)

    def delete(self, appointment_id: int) -> None:
        with self._lock:
            del self.appointments[str(appointment_id)]

    def fail_next(self, count: int, status: int) -> None:
        with self._lock:
            self._failures.extend([status] * count)

    # Acuity calling a webhook

    def notify(
        self, url: str, action: str, appointment_id: int, signed: bool = True, api_key: Optional[str] = None
    ) -> requests.Response:
        """POST the webhook Acuity sends when an appointment is `action` (scheduled,
        rescheduled, canceled, changed)."""
        with self._lock:
            appointment = dict(self.appointments.get(str(appointment_id)) or {})
        if not appointment:  # deleted: Acuity still names it
            appointment = {"id": appointment_id, "calendarID": CALENDAR_ID, "appointmentTypeID": MICRONEEDLING_TYPE}
        body = notification_body(action, appointment)
        headers = {"Content-Type": FORM_TYPE, "User-Agent": "AcuityScheduling-Webhooks"}
        if signed:
            headers["X-Acuity-Signature"] = signature(body, api_key or self.api_key)
        return requests.post(url, data=body, headers=headers, timeout=30)

    # Life

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    def env(self) -> dict:
        return {"ACUITY_API_URL": self.url}

    def start(self) -> "FakeAcuity":
        fake = self

        class Handler(_Handler):
            acuity = fake

        self._server = ThreadingHTTPServer((self.host, self.port), Handler)
        self._server.daemon_threads = True
        self.port = self._server.server_address[1]
        threading.Thread(target=self._server.serve_forever, name="fake-acuity", daemon=True).start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    def __enter__(self) -> "FakeAcuity":
        return self.start()

    def __exit__(self, *_: object) -> None:
        self.stop()

    # The API

    def _authorized(self, header: str) -> bool:
        expected = base64.b64encode(f"{self.user_id}:{self.api_key}".encode()).decode()
        return hmac.compare_digest(header.encode(), f"Basic {expected}".encode())

    def answer(self, path: str, authorization: str) -> tuple[int, dict]:
        match = _APPOINTMENT.match(urlsplit(path).path)
        if match is None:
            return 404, _error(404, "not_found", "Not found.")
        if not self._authorized(authorization):
            return 401, _error(401, "unauthorized", "Unauthorized")
        with self._lock:
            self.fetches.append(match["id"])
            failure = self._failures.pop(0) if self._failures else None
            appointment = self.appointments.get(match["id"])
            found = dict(appointment) if appointment else None
        if failure is not None:
            return failure, _error(failure, "error", "Something went wrong.")
        if found is None:
            return 404, _error(404, "not_found", "The appointment was not found.")
        if self.echo:
            print(f"appointment {match['id']} fetched", flush=True)
        return 200, found


class _Handler(BaseHTTPRequestHandler):
    acuity: FakeAcuity

    def log_message(self, format: str, *args: object) -> None:
        pass

    def do_GET(self) -> None:
        status, payload = self.acuity.answer(self.path, self.headers.get("Authorization", ""))
        data = json.dumps(payload).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, default=8091)
    args = parser.parse_args()
    fake = FakeAcuity(port=args.port, echo=True).start()
    print(
        f"fake Acuity on {fake.url}: ACUITY_API_URL={fake.url}, user id {fake.user_id}, API key {fake.api_key}",
        flush=True,
    )
    try:
        threading.Event().wait()
    except KeyboardInterrupt:
        fake.stop()


if __name__ == "__main__":
    main()
