"""Clients: adding one, finding one from a number someone typed, opting out and back in.

Opting out cancels the client's pending follow-ups and opting back in revives those
still ahead, in the same unit of work as the change itself.
"""

from __future__ import annotations

from contextlib import suppress
from datetime import datetime
from typing import Optional

from sqlalchemy.orm import Session

from bot.identity import Sender
from bot.messaging import followups, ledger
from bot.phones import InvalidPhone, normalize_phone, region_of
from bot.services import correspondents
from bot.store import queries
from bot.store.errors import DuplicateClient
from bot.store.models import Client, Clinic


def add(session: Session, clinic: Clinic, name: str, phone: str) -> Client:
    """A new client of `clinic`; a number without '+' is read in the clinic's country."""
    e164 = normalize_phone(phone, region_of(clinic.phone))
    duplicate = DuplicateClient(f"{e164} is already a client of {clinic.slug}")
    if queries.find_client(session, clinic, e164) is not None:
        raise duplicate
    return queries.insert(session, Client(clinic=clinic, name=(name or "").strip(), phone=e164), duplicate)


SEARCH_LIMIT = 200


def search(session: Session, clinic: Clinic, text: str, limit: int = SEARCH_LIMIT) -> list[Client]:
    """A clinic's clients by part of their name, or by their number as a person types it
    ("555 0123", "(212) 555-0123", "07911 123456" for a UK clinic); all of them for ''."""
    # Control characters (a NUL cannot even be sent to PostgreSQL) are no part of a name.
    text = " ".join("".join(ch for ch in text or "" if ch.isprintable()).split())[:200]
    digits = "".join(ch for ch in text if ch.isdigit())
    numbers = [digits] if len(digits) >= 3 else []
    with suppress(InvalidPhone):  # not a whole number: its digits may still be part of one
        numbers.append(normalize_phone(text, region_of(clinic.phone)).lstrip("+"))
    return queries.search_clients(session, clinic.id, text, numbers, limit)


def find(session: Session, phone: str, clinic_slug: Optional[str] = None) -> Client:
    """The client a person means by a typed number (and clinic, needed when the number is a
    client of several); read in that clinic's country, else as a US number."""
    clinic = queries.clinic_by_slug(session, clinic_slug) if clinic_slug else None
    e164 = normalize_phone(phone, region_of(clinic.phone) if clinic else "US")
    return queries.client_by_phone(session, e164, clinic)


def set_opted_out(session: Session, client: Client, opted_out: bool, at: datetime) -> Client:
    """STOP / START. A repeated STOP keeps the time of the first one."""
    if opted_out and not client.opted_out:
        client.opted_out, client.opted_out_at = True, at
    elif not opted_out:
        client.opted_out, client.opted_out_at = False, None
    session.flush()
    followups.sync(session, client, at)  # cancels pending follow-ups, or revives future ones
    return client


def set_sender_opted_out(session: Session, sender: Sender, opted_out: bool, now: datetime) -> int:
    """STOP or START from an SMS sender: every client record the sender may be (see
    correspondents). Returns how many records changed."""
    changed = [c for c in correspondents.match(session, sender).clients if c.opted_out != opted_out]
    for client in changed:
        set_opted_out(session, client, opted_out, now)
    return len(changed)


def unsubscribed(session: Session, sid: str, now: datetime) -> None:
    """Twilio reports 21610 for a message we sent: its recipient has opted out."""
    message = ledger.find(session, sid)
    if message is None or message.clinic_id is None:
        return
    clinic = session.get(Clinic, message.clinic_id)
    client = queries.find_client(session, clinic, message.to_number) if clinic else None
    if client is not None and not client.opted_out:
        set_opted_out(session, client, True, now)
