"""The one resolver of who is writing, for every channel.

SMS: the client's phone and the number (or Messaging Service) it was sent to. The number
texted picks the clinic, so a person who is a client of two clinics is the right one at
each; an unknown line falls back to every client record of that phone, and when there
are several nobody is guessed (answers get no clinic; a STOP reaches them all). Web: a
verified client id, or an anonymous visitor's clinic slug. A database that holds a
single clinic lends it to whoever cannot be placed.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Optional

from sqlalchemy.orm import Session

from bot import protocols
from bot.identity import NO_CLINIC, Channel, Correspondent, Sender
from bot.store import queries
from bot.store.errors import UnknownClinic
from bot.store.models import Client, Clinic


@dataclass(frozen=True)
class Match:
    """The rows a sender stands for: their clinic, and every client record they may be."""

    clinic: Optional[Clinic] = None
    clients: list[Client] = field(default_factory=list)

    @property
    def client(self) -> Optional[Client]:
        return self.clients[0] if len(self.clients) == 1 and self.clinic is not None else None


def match(session: Session, sender: Sender) -> Match:
    if sender.channel is Channel.web and sender.client_id is not None:
        client = session.get(Client, sender.client_id)
        return Match(client.clinic, [client]) if client else Match()
    if sender.channel is Channel.sms and sender.phone:
        return _sms(session, sender.phone, sender.clinic_number)
    if sender.clinic_slug:
        try:
            return Match(queries.clinic_by_slug(session, sender.clinic_slug))
        except UnknownClinic:
            return Match()
    return Match(queries.only_clinic(session))


def _sms(session: Session, phone: str, to: Optional[str]) -> Match:
    clinic = queries.clinic_by_number(session, to) if to else None
    if clinic is not None:
        client = queries.find_client(session, clinic, phone)
        return Match(clinic, [client] if client else [])
    clients = queries.clients_by_phone(session, phone)
    if len(clients) == 1:
        return Match(clients[0].clinic, clients)
    if not clients:
        return Match(queries.only_clinic(session))
    return Match(None, clients)  # a number several clinics know, texting none of their lines


def resolve(session: Session, sender: Sender, now: datetime) -> Correspondent:
    """Who `sender` is as of `now` (their treatment is the latest done by then)."""
    found = match(session, sender)
    # Opted out only when every record the number may be has opted out: a STOP reaches
    # them all, and silence is the safer error.
    opted_out = bool(found.clients) and all(client.opted_out for client in found.clients)
    if found.clinic is None:
        return Correspondent(card=NO_CLINIC, protocol=protocols.default(), opted_out=opted_out)
    client = found.client
    treatment = queries.latest_done_treatment(session, client, now) if client else None
    return Correspondent(
        conversation_key=conversation_key(sender, client),
        channel=sender.channel,
        card=found.clinic.card,
        protocol=found.clinic.protocol,
        clinic_id=found.clinic.id,
        client_id=client.id if client else None,
        first_name=client.first_name if client else None,
        treated_at=treatment.performed_at if treatment else None,
        opted_out=opted_out,
    )


def conversation_key(sender: Sender, client: Optional[Client]) -> Optional[str]:
    """The key of the sender's conversation in their clinic's message log: one per client
    whatever channel they write on, one per unknown number, one per anonymous visitor."""
    if client is not None:
        return f"client:{client.id}"
    if sender.channel is Channel.sms and sender.phone:
        return f"sms:{sender.phone}"
    return sender.visitor


def nobody() -> Correspondent:
    """When the store cannot be asked: general guidance, no clinic, nobody to alert."""
    return Correspondent(card=NO_CLINIC, protocol=protocols.default())
