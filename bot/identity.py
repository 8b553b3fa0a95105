"""Who is writing: the conversation (sender) id our channels give Rasa, and the record of
what the store knows about its writer.

Only our own input channels create sender ids, after proving identity (a signed
Twilio request, a verified web link token), and Rasa's HTTP API is closed, so an
action may trust the id it reads from the tracker. The forms:

    sms:<client E.164>[:<clinic number E.164 or Messaging Service SID>]   a text; the clinic number is the `To`
    web:<client id>                              a web chat opened with a verified personal link
    anon:<clinic slug>:<random>                  a visitor without a link (general guidance only)

`bot.services.correspondents.resolve` turns a Sender into a Correspondent; everything
after it (answers, STOP/HELP texts, alerts) reads that one record.
"""

from __future__ import annotations

import enum
import secrets
from dataclasses import dataclass
from datetime import datetime
from typing import Optional
from zoneinfo import ZoneInfo

from bot.recovery.answers import ClinicCard
from bot.recovery.protocol import Protocol


class Channel(str, enum.Enum):
    sms = "sms"
    web = "web"
    anon = "anon"


@dataclass(frozen=True)
class Sender:
    channel: Channel
    phone: Optional[str] = None
    clinic_number: Optional[str] = None  # the number (or Messaging Service) an SMS was sent to
    client_id: Optional[int] = None
    clinic_slug: Optional[str] = None
    visitor: Optional[str] = None  # an anonymous visitor's whole sender id

    def sender_id(self) -> str:
        if self.channel is Channel.sms:
            return f"sms:{self.phone}" + (f":{self.clinic_number}" if self.clinic_number else "")
        if self.channel is Channel.web:
            return f"web:{self.client_id}"
        raise ValueError("an anonymous sender id is made with anonymous_sender_id()")


def sms(phone: str, clinic_number: Optional[str] = None) -> str:
    return Sender(Channel.sms, phone=phone, clinic_number=clinic_number).sender_id()


def web(client_id: int) -> str:
    return Sender(Channel.web, client_id=client_id).sender_id()


def anonymous_sender_id(clinic_slug: Optional[str]) -> str:
    return f"anon:{clinic_slug or ''}:{secrets.token_urlsafe(12)}"


def parse(sender_id: str) -> Sender:
    """Read a sender id; anything not made by our channels is anonymous."""
    channel, _, rest = (sender_id or "").partition(":")
    if channel == "sms" and rest.startswith("+"):
        phone, _, clinic_number = rest.partition(":")
        return Sender(Channel.sms, phone=phone, clinic_number=clinic_number or None)
    if channel == "web" and rest.isdigit():
        return Sender(Channel.web, client_id=int(rest))
    if channel == "anon":
        slug = rest.partition(":")[0]
        return Sender(Channel.anon, clinic_slug=slug or None, visitor=sender_id[:96])
    return Sender(Channel.anon)


# When nobody can tell which clinic a message is for (an unknown number texting an
# unknown line), answers still work, with the default protocol and this card.
NO_CLINIC = ClinicCard(name="your clinic", phone="your clinic", tz=ZoneInfo("UTC"))


@dataclass(frozen=True)
class Correspondent:
    """Who is writing, as far as the store knows: one record for answers, STOP/HELP and alerts.

    Plain values, no database rows, so it crosses threads and the pure dialogue layer."""

    card: ClinicCard
    protocol: Protocol  # the clinic's, or the default one
    clinic_id: Optional[int] = None
    client_id: Optional[int] = None
    first_name: Optional[str] = None
    treated_at: Optional[datetime] = None  # the latest done treatment on file
    opted_out: bool = False  # no text of ours may reach them
    # Which conversation of the message log this is (bot/services/transcripts.py); None
    # when no clinic is known.
    conversation_key: Optional[str] = None
    channel: Channel = Channel.anon
