"""Who is writing, from the verified sender id: their clinic, protocol and treatment.

The edge between the conversation and the store; everything after it is pure.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Optional
from zoneinfo import ZoneInfo

import phonenumbers
from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from bot import protocols
from bot.identity import Sender
from bot.recovery.answers import ClinicCard
from bot.recovery.protocol import Protocol
from bot.store import queries
from bot.store.errors import StoreError
from bot.store.models import Client, Clinic

# When nobody can tell which clinic a message is for (an unknown number texting an
# unknown line), answers still work, with the default protocol.
_NO_CLINIC = ClinicCard(name="your clinic", phone="your clinic", tz=ZoneInfo("UTC"))


@dataclass(frozen=True)
class Context:
    card: ClinicCard
    protocol: Protocol
    clinic_id: Optional[int] = None
    client_id: Optional[int] = None
    first_name: Optional[str] = None
    treated_at: Optional[datetime] = None  # the latest done treatment on file

    @property
    def known_client(self) -> bool:
        return self.client_id is not None


def display_phone(e164: str) -> str:
    """A clinic phone the way people read it in the clinic's own country."""
    try:
        number = phonenumbers.parse(e164, None)
    except phonenumbers.NumberParseException:
        return e164
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.NATIONAL)


def card_for(clinic: Clinic) -> ClinicCard:
    return ClinicCard(
        name=clinic.name, phone=display_phone(clinic.phone), tz=clinic.tz, booking_url=clinic.booking_url
    )


def clinic_by_number(session: Session, number: str) -> Optional[Clinic]:
    return session.scalar(
        select(Clinic).where(or_(Clinic.sms_number == number, Clinic.phone == number)).limit(1)
    )


def _only_clinic(session: Session) -> Optional[Clinic]:
    clinics = queries.all_clinics(session)
    return clinics[0] if len(clinics) == 1 else None


def _find(session: Session, sender: Sender) -> tuple[Optional[Clinic], Optional[Client]]:
    if sender.channel == "web" and sender.client_id is not None:
        client = session.get(Client, sender.client_id)
        return (client.clinic, client) if client else (None, None)
    if sender.channel == "sms" and sender.phone:
        clinic = clinic_by_number(session, sender.clinic_number) if sender.clinic_number else None
        try:
            client = queries.client_by_phone(session, sender.phone, clinic)
            return client.clinic, client
        except StoreError:
            return clinic or _only_clinic(session), None
    if sender.clinic_slug:
        try:
            return queries.clinic_by_slug(session, sender.clinic_slug), None
        except StoreError:
            return None, None
    return _only_clinic(session), None


def load(session: Session, sender: Sender, now: datetime) -> Context:
    clinic, client = _find(session, sender)
    if clinic is None:
        return Context(card=_NO_CLINIC, protocol=protocols.default())
    treatment = queries.latest_done_treatment(session, client, now) if client else None
    return Context(
        card=card_for(clinic),
        protocol=clinic.protocol,
        clinic_id=clinic.id,
        client_id=client.id if client else None,
        first_name=client.first_name if client else None,
        treated_at=treatment.performed_at if treatment else None,
    )


def record_alerts(session: Session, context: Context, alerts: list[tuple[str, str]]) -> None:
    """Store alerts for the clinic's staff; the messaging worker delivers them."""
    if context.clinic_id is None or not alerts:
        return
    clinic = session.get(Clinic, context.clinic_id)
    client = session.get(Client, context.client_id) if context.client_id else None
    for kind, message in alerts:
        queries.record_alert(session, clinic, client, kind, message)
