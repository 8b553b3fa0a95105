"""A clinic's booking sources: its Acuity Scheduling account and its webhook secret.

Both secrets are stored sealed (bot/sealing.py) and are never shown back: the Acuity API
key is typed once, the webhook secret is printed once when it is made, and a new one
replaces the old at once (the only way to see it again is to rotate it).
"""

from __future__ import annotations

import re
import secrets
from dataclasses import dataclass
from datetime import datetime
from typing import Optional, Sequence

from sqlalchemy.orm import Session

from bot.booking_systems.service_filter import ServiceFilter
from bot.sealing import Sealer
from bot.store import queries
from bot.store.booking_models import BookingSource, SourceKind
from bot.store.errors import DuplicateBookingSource, InvalidValue
from bot.store.models import Clinic

_ACUITY_USER = re.compile(r"^\d{1,20}$")
_ACUITY_KEY = re.compile(r"^[!-~]{8,200}$")  # printable ASCII, no spaces


@dataclass(frozen=True)
class AcuityAccount:
    user_id: str
    api_key: str
    appointment_types: tuple[int, ...]  # the clinic's microneedling types; empty: told by the type's name

    def wants(self, type_id: Optional[int], type_name: str) -> bool:
        """Whether an appointment of this type is a microneedling treatment."""
        if self.appointment_types:
            return type_id in self.appointment_types
        return ServiceFilter().matches(type_name)


def parse_types(text: Optional[str]) -> tuple[int, ...]:
    """ "123, 456" -> (123, 456)."""
    parts = [part.strip() for part in (text or "").split(",") if part.strip()]
    if not all(part.isdigit() and len(part) <= 18 for part in parts):
        raise InvalidValue(f"appointment types {text!r}: give Acuity's numeric type ids, separated by commas")
    return tuple(dict.fromkeys(int(part) for part in parts))


def check_acuity_user(user_id: str) -> str:
    user_id = (user_id or "").strip()
    if not _ACUITY_USER.match(user_id):
        raise InvalidValue("the Acuity user id is a number (Integrations > API in Acuity)")
    return user_id


def _source(session: Session, clinic: Clinic, kind: SourceKind, now: datetime) -> BookingSource:
    source = queries.booking_source(session, clinic.id, kind)
    if source is None:
        source = BookingSource(clinic_id=clinic.id, kind=kind, sealed_secret="", created_at=now)
        source = queries.insert(session, source, DuplicateBookingSource(f"{clinic.slug} already has {kind.value}"))
    source.updated_at = now
    return source


def connect_acuity(
    session: Session,
    clinic: Clinic,
    user_id: str,
    api_key: str,
    appointment_types: Sequence[int],
    sealer: Sealer,
    now: datetime,
) -> AcuityAccount:
    """Set (or replace) the clinic's Acuity account: user id, API key, microneedling types."""
    user_id, api_key = check_acuity_user(user_id), (api_key or "").strip()
    if not _ACUITY_KEY.match(api_key):
        raise InvalidValue("the Acuity API key must be 8 to 200 printable characters without spaces")
    types = tuple(dict.fromkeys(int(t) for t in appointment_types))
    source = _source(session, clinic, SourceKind.acuity, now)
    source.account = user_id
    source.sealed_secret = sealer.seal(api_key)
    source.appointment_types = ",".join(str(t) for t in types) or None
    session.flush()
    return AcuityAccount(user_id, api_key, types)


def acuity(session: Session, clinic: Clinic, sealer: Sealer) -> Optional[AcuityAccount]:
    source = queries.booking_source(session, clinic.id, SourceKind.acuity)
    if source is None or not source.account:
        return None
    return AcuityAccount(source.account, sealer.open(source.sealed_secret), parse_types(source.appointment_types))


def rotate_webhook_secret(session: Session, clinic: Clinic, sealer: Sealer, now: datetime) -> str:
    """A new signing secret for the clinic's webhook, replacing any earlier one; the only
    time it is returned."""
    secret = "whsec_" + secrets.token_urlsafe(32)
    source = _source(session, clinic, SourceKind.webhook, now)
    source.sealed_secret = sealer.seal(secret)
    session.flush()
    return secret


def webhook_secret(session: Session, clinic: Clinic, sealer: Sealer) -> Optional[str]:
    source = queries.booking_source(session, clinic.id, SourceKind.webhook)
    return sealer.open(source.sealed_secret) if source is not None else None


def disconnect(session: Session, clinic: Clinic, kind: SourceKind) -> bool:
    """Forget a source and its secret; its events stop being accepted. False if there was none."""
    source = queries.booking_source(session, clinic.id, kind)
    if source is None:
        return False
    session.delete(source)
    session.flush()
    return True


def sources(session: Session, clinic: Clinic) -> list[BookingSource]:
    return queries.booking_sources(session, clinic.id)
