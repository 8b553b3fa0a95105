"""A client's personal chat link, texted to them from the clinic's number, or revoked.

The link itself (a signed token naming the client) is made by bot/links.py; this is the
one place that hands it to a client, so the CLI and the console refuse the same things:
nothing is texted to a client who opted out (STOP).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy.orm import Session

from bot import links
from bot.config import Settings
from bot.messaging.gateway import Failure, Gateway, Outgoing, SendError
from bot.messaging.split import fit
from bot.store.errors import StoreError
from bot.store.messaging_models import SmsMessage
from bot.store.models import Client

PURPOSE = "chat_link"  # kept in the SMS log


class ClientOptedOut(StoreError):
    """The client texted STOP: the clinic sends them nothing until they text START."""


class LinkNotSent(StoreError):
    """The text could not be handed to Twilio; the message says whether it may have gone."""


@dataclass(frozen=True)
class SentLink:
    url: str
    valid_until: datetime
    message: SmsMessage  # the SMS log's row (for the local outbox, the delivery itself)


def text_of(client: Client, url: str) -> str:
    greeting = f"Hi {client.first_name}, it's" if client.first_name else "From"
    return fit(
        f"{greeting} {client.clinic.name}. Your personal aftercare chat, for any question about your recovery: {url}"
    )


def send(session: Session, settings: Settings, gateway: Gateway, client: Client, now: datetime) -> SentLink:
    """Text `client` a fresh personal link from the clinic's number and log the text in
    `session`. Blocking (Twilio's API): call it off the event loop."""
    if client.opted_out:
        raise ClientOptedOut(f"{client.name} has opted out of texts (STOP): nothing is sent until they text START")
    url = links.chat_link(settings, client, now)
    clinic = client.clinic
    outgoing = Outgoing(client.phone, clinic.sms_from, text_of(client, url), PURPOSE, clinic.id)
    try:
        sent = gateway.send(outgoing)
    except SendError as exc:
        maybe = " It may have gone out: check before sending again." if exc.kind is Failure.uncertain else ""
        raise LinkNotSent(f"the link could not be texted: {exc}.{maybe}") from exc
    row = gateway.record(session, outgoing, sent)
    return SentLink(url, now + timedelta(days=settings.link_ttl_days), row)


def revoke(session: Session, client: Client, now: datetime) -> None:
    """Every link the client was given so far stops working; a link sent later works."""
    links.revoke_links(session, client, now)
