"""The bookings channel served for real on localhost, with the local Acuity-compatible
server behind it: a clinic (Glow, New York) connected to Acuity and given a webhook
secret, and helpers to send what Acuity and a Zap send."""

from __future__ import annotations

import json
import time
from dataclasses import dataclass
from typing import Optional

import requests
from sqlalchemy import func, select

from bot.booking_systems.signatures import SIGNATURE_HEADER, TIMESTAMP_HEADER, webhook_signature
from bot.devtools.acuity_server import MICRONEEDLING_TYPE, FakeAcuity
from bot.sealing import sealer_for
from bot.services import booking_sources, clinics
from bot.store import queries
from bot.store.booking_models import BookingEvent
from bot.store.db import session_scope
from bot.store.messaging_models import FollowUp
from bot.store.models import Client, Treatment
from tests.fakes import sms_world

DATA_KEY = "bookings-test-data-key-" + "z" * 32
ACUITY_PATH = "/webhooks/bookings/acuity/glow"
WEBHOOK_PATH = "/webhooks/bookings/glow"


def make_settings(db_url, data_dir, acuity: FakeAcuity):
    return sms_world.make_settings(db_url, data_dir, AFTERCARE_DATA_KEY=DATA_KEY, **acuity.env())


def add_glow(engine, settings, acuity: FakeAcuity, now) -> str:
    """Glow, connected to Acuity (its microneedling type) and given a webhook secret."""
    sealer = sealer_for(settings)
    with session_scope(engine) as session:
        glow = clinics.add(session, "glow", "Glow Skin Studio", sms_world.CLINIC_PHONE, "America/New_York")
        booking_sources.connect_acuity(session, glow, acuity.user_id, acuity.api_key, [MICRONEEDLING_TYPE], sealer, now)
        return booking_sources.rotate_webhook_secret(session, glow, sealer, now)


@dataclass
class BookingLine:
    base_url: str
    engine: object
    acuity: FakeAcuity
    secret: str

    # Acuity

    def acuity_event(self, action: str, appointment_id: int, **options) -> requests.Response:
        return self.acuity.notify(self.base_url + ACUITY_PATH, action, appointment_id, **options)

    # The signed webhook

    def signed(self, body: bytes, timestamp: Optional[int] = None, secret: Optional[str] = None) -> dict:
        stamp = str(int(time.time()) if timestamp is None else timestamp)
        return {
            "Content-Type": "application/json",
            TIMESTAMP_HEADER: stamp,
            SIGNATURE_HEADER: webhook_signature(secret or self.secret, stamp, body),
        }

    def send(self, event, headers: Optional[dict] = None, **signing) -> requests.Response:
        body = event if isinstance(event, bytes) else json.dumps(event).encode()
        return self.post(body, headers if headers is not None else self.signed(body, **signing))

    def post(self, body: bytes, headers: dict, path: str = WEBHOOK_PATH) -> requests.Response:
        return requests.post(self.base_url + path, data=body, headers=headers, timeout=30)

    # What the database holds

    def treatments(self) -> list[Treatment]:
        with session_scope(self.engine) as session:
            return list(session.scalars(select(Treatment).order_by(Treatment.id)))

    def clients(self) -> list[Client]:
        with session_scope(self.engine) as session:
            return list(session.scalars(select(Client).order_by(Client.id)))

    def followups(self, treatment_id: int) -> list[FollowUp]:
        with session_scope(self.engine) as session:
            query = select(FollowUp).where(FollowUp.treatment_id == treatment_id).order_by(FollowUp.step_key)
            return list(session.scalars(query))

    def events(self) -> list[BookingEvent]:
        with session_scope(self.engine) as session:
            glow = queries.clinic_by_slug(session, "glow")
            return list(reversed(queries.booking_events(session, glow.id, 100)))

    def counts(self) -> tuple[int, int, int, int]:
        with session_scope(self.engine) as session:
            return tuple(
                session.scalar(select(func.count()).select_from(model))
                for model in (Client, Treatment, FollowUp, BookingEvent)
            )
