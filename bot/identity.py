"""Who is writing: the conversation (sender) id our channels give Rasa.

Only our own input channels create sender ids, after proving identity (a signed
Twilio request, a verified web link token), and Rasa's HTTP API is closed, so an
action may trust the id it reads from the tracker. The forms:

    sms:<client E.164>[:<clinic number E.164>]   a text message; the clinic number is the `To`
    web:<client id>                              a web chat opened with a verified personal link
    anon:<clinic slug>:<random>                  a visitor without a link (general guidance only)
"""
from __future__ import annotations

import secrets
from dataclasses import dataclass
from typing import Optional


@dataclass(frozen=True)
class Sender:
    channel: str  # "sms" | "web" | "anon"
    phone: Optional[str] = None
    clinic_number: Optional[str] = None
    client_id: Optional[int] = None
    clinic_slug: Optional[str] = None

    @property
    def anonymous(self) -> bool:
        return self.channel == "anon"

    def sender_id(self) -> str:
        if self.channel == "sms":
            return f"sms:{self.phone}" + (f":{self.clinic_number}" if self.clinic_number else "")
        if self.channel == "web":
            return f"web:{self.client_id}"
        raise ValueError("an anonymous sender id is made with anonymous_sender_id()")


def sms(phone: str, clinic_number: Optional[str] = None) -> str:
    return Sender("sms", phone=phone, clinic_number=clinic_number).sender_id()


def web(client_id: int) -> str:
    return Sender("web", client_id=client_id).sender_id()


def anonymous_sender_id(clinic_slug: Optional[str]) -> str:
    return f"anon:{clinic_slug or ''}:{secrets.token_urlsafe(12)}"


def parse(sender_id: str) -> Sender:
    """Read a sender id; anything not made by our channels is anonymous."""
    channel, _, rest = (sender_id or "").partition(":")
    if channel == "sms" and rest.startswith("+"):
        phone, _, clinic_number = rest.partition(":")
        return Sender("sms", phone=phone, clinic_number=clinic_number or None)
    if channel == "web" and rest.isdigit():
        return Sender("web", client_id=int(rest))
    if channel == "anon":
        slug = rest.partition(":")[0]
        return Sender("anon", clinic_slug=slug or None)
    return Sender("anon")
