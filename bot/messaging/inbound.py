"""What an inbound SMS reads and changes in the database: who is writing to which clinic,
the MessageSid (a retried webhook is handled once), opting out and back in, staff alerts.

Blocking: the channel calls these from a worker thread, one unit of work each.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Mapping, Optional
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.dialogue.context import card_for, clinic_by_number
from bot.messaging import ledger
from bot.recovery.answers import ClinicCard
from bot.store import queries
from bot.store.models import Client, Clinic

NO_CLINIC = ClinicCard(name="your clinic", phone="your clinic", tz=ZoneInfo("UTC"))


@dataclass(frozen=True)
class Correspondent:
    """The sender of an inbound SMS as far as the store knows them."""

    card: ClinicCard = NO_CLINIC
    clinic_id: Optional[int] = None
    client_id: Optional[int] = None
    first_name: str = ""
    opted_out: bool = False
    phrases: Mapping[str, str] = field(default_factory=dict)  # the clinic protocol's


def _clients(session: Session, clinic: Optional[Clinic], sender: str) -> list[Client]:
    """The clients this number belongs to: at the clinic texted, or, if the number texted
    is not a clinic's, at every clinic (an opt-out then errs on the side of silence)."""
    if clinic is not None:
        client = queries.find_client(session, clinic, sender)
        return [client] if client else []
    return queries.clients_by_phone(session, sender)


def _clinic(session: Session, to: str, clients: list[Client]) -> Optional[Clinic]:
    if len(clients) == 1:
        return clients[0].clinic
    if not clients:
        only = list(session.scalars(select(Clinic).limit(2)))
        return only[0] if len(only) == 1 else None
    return None  # a number several clinics know, texting none of their numbers


def identify(session: Session, sender: str, to: str) -> Correspondent:
    clinic = clinic_by_number(session, to)
    clients = _clients(session, clinic, sender)
    clinic = clinic or _clinic(session, to, clients)
    client = clients[0] if len(clients) == 1 else None
    if clinic is None:
        return Correspondent(opted_out=bool(clients) and all(c.opted_out for c in clients))
    return Correspondent(
        card=card_for(clinic),
        clinic_id=clinic.id,
        client_id=client.id if client else None,
        first_name=client.first_name if client else "",
        opted_out=bool(client and client.opted_out),
        phrases=dict(clinic.protocol.phrases),
    )


def receive(session: Session, sid: str, sender: str, to: str) -> Optional[Correspondent]:
    """Note the message and say who sent it; None when this MessageSid was handled before."""
    who = identify(session, sender, to)
    if sid and not ledger.record_inbound(session, sid, sender, to, who.clinic_id):
        return None
    return who


def set_opted_out(session: Session, sender: str, to: str, opted_out: bool, now: datetime) -> int:
    """STOP or START from `sender`: recorded for their client record(s), which cancels or
    revives their follow-ups. Returns how many client records changed."""
    clients = _clients(session, clinic_by_number(session, to), sender)
    changed = [c for c in clients if c.opted_out != opted_out]
    for client in changed:
        queries.set_opt_out(session, client, opted_out, now)
    return len(changed)


def unsubscribed(session: Session, sid: str, now: datetime) -> None:
    """Twilio reports 21610 for a message we sent: its recipient has opted out."""
    message = ledger.find(session, sid)
    if message is None or message.clinic_id is None:
        return
    clinic = session.get(Clinic, message.clinic_id)
    client = queries.find_client(session, clinic, message.to_number)
    if client is not None and not client.opted_out:
        queries.set_opt_out(session, client, True, now)


def alert(session: Session, who: Correspondent, kind: str, message: str) -> bool:
    """An alert for the staff of the sender's clinic (the worker texts it to them)."""
    if who.clinic_id is None:
        return False
    clinic = session.get(Clinic, who.clinic_id)
    client = session.get(Client, who.client_id) if who.client_id else None
    queries.record_alert(session, clinic, client, kind, message)
    return True
