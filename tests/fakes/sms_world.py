"""A small world for the SMS tests: one clinic with its Twilio number, one client, the
settings pointing at a test database and (optionally) the fake Twilio server."""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path
from typing import Optional

from bot import config
from bot.devtools import twilio_server
from bot.services import clients, clinics, treatments

CLINIC_PHONE = "+12125550100"  # the clinic's own phone: staff alerts go there
CLINIC_SMS = "+12125550199"  # the clinic's Twilio number: texts come from it
ALERT_PHONE = "+12125550177"  # a staff member's mobile: alert texts go there
CLIENT_PHONE = "+12125550123"
PUBLIC_URL = "https://sms.example"
WEBHOOK, STATUS = "/webhooks/twilio/webhook", "/webhooks/twilio/status"
LINK_SECRET = "sms-test-secret-" + "y" * 40


class Clock:
    """A settable "now" for the worker: `clock()`; tests move it with `advance`."""

    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta) -> datetime:
        self.now += timedelta(**delta)
        return self.now


def make_settings(db_url: str, data_dir: Path, twilio=None, public_url: str = PUBLIC_URL, **extra) -> config.Settings:
    env = {
        "DATABASE_URL": db_url,
        "AFTERCARE_DATA_DIR": str(data_dir),
        "PUBLIC_URL": public_url,
        "AFTERCARE_LINK_SECRET": LINK_SECRET,
    }
    if twilio is not None:
        env.update(twilio.env())
    env.update(extra)
    return config.from_env(env)


def add_clinic(
    session,
    slug: str = "glow",
    protocol_yaml: Optional[str] = None,
    sms_number: Optional[str] = CLINIC_SMS,
    timezone: str = "America/New_York",
    phone: str = CLINIC_PHONE,
    alert_phone: Optional[str] = ALERT_PHONE,
):
    return clinics.add(
        session,
        slug,
        "Glow Skin Studio",
        phone,
        timezone,
        "https://glow.example/book",
        protocol_yaml,
        sms_number,
        alert_phone,
    )


def add_client(session, clinic, phone: str = CLIENT_PHONE, name: str = "Ana Diaz"):
    return clients.add(session, clinic, name, phone)


def add_treatment(session, client, at: datetime, now: datetime, status: str = "done"):
    return treatments.add(session, client, at, status=status, now=now)


def sign(url: str, params, token: str) -> str:
    """X-Twilio-Signature as Twilio computes it, independently of the validator under test."""
    return twilio_server.signature(url, params, token)


# Many due follow-ups at once (the multi-worker tests and bench/sms_bench.py)

BULK_STEP = "bulk"


def bulk_protocol(now: datetime) -> str:
    """A clinic protocol whose one follow-up step is "bulk", and whose quiet hours (in UTC)
    are far from `now`, so workers on the real clock may send at once."""
    start = (now.hour + 8) % 24
    return (
        f'quiet_hours: {{start: "{start:02d}:00", end: "{(start + 1) % 24:02d}:00"}}\n'
        f'followups:\n  - {{key: {BULK_STEP}, day: 0, at: "00:00", text: "bulk {{first_name}}"}}\n'
    )


def seed_due_followups(engine, count: int, now: datetime) -> list[int]:
    """`count` clients of one clinic (UTC), each with a done treatment and one follow-up due
    a minute ago whose text is unique ("message <n>"), written with bulk inserts."""
    from sqlalchemy import insert, select

    from bot.store.db import session_scope
    from bot.store.messaging_models import FollowUp, JobStatus
    from bot.store.models import Client, Treatment, TreatmentStatus

    with session_scope(engine) as session:
        clinic = clinics.add(session, "bulk", "Bulk Clinic", CLINIC_PHONE, "UTC", None, bulk_protocol(now), CLINIC_SMS)
        clinic_id = clinic.id
    phones = [f"+1646{n:07d}" for n in range(count)]
    with engine.begin() as connection:
        connection.execute(
            insert(Client.__table__),
            [
                {"clinic_id": clinic_id, "name": f"Client {n}", "phone": phone, "opted_out": False, "created_at": now}
                for n, phone in enumerate(phones)
            ],
        )
        clients = dict(connection.execute(select(Client.phone, Client.id).where(Client.clinic_id == clinic_id)).all())
        connection.execute(
            insert(Treatment.__table__),
            [
                {
                    "clinic_id": clinic_id,
                    "client_id": clients[phone],
                    "performed_at": now - timedelta(hours=2),
                    "area": "face",
                    "status": TreatmentStatus.done,
                    "created_at": now,
                }
                for phone in phones
            ],
        )
        treatments = dict(
            connection.execute(select(Treatment.client_id, Treatment.id).where(Treatment.clinic_id == clinic_id)).all()
        )
        connection.execute(
            insert(FollowUp.__table__),
            [
                {
                    "clinic_id": clinic_id,
                    "client_id": clients[phone],
                    "treatment_id": treatments[clients[phone]],
                    "step_key": BULK_STEP,
                    "status": JobStatus.pending,
                    "due_at": now - timedelta(minutes=1),
                    "attempts": 0,
                    "body": f"message {n}",
                    "created_at": now,
                }
                for n, phone in enumerate(phones)
            ],
        )
        return list(connection.execute(select(FollowUp.id).where(FollowUp.clinic_id == clinic_id)).scalars())
