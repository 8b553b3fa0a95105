"""Conversations written into a console test's database the way the channels write them:
through the message-log and alert services, as a client of a clinic or a visitor."""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Optional

from sqlalchemy.engine import Engine

from bot.alerts import AlertKind
from bot.identity import Channel, Sender
from bot.services import conversations, correspondents, transcripts
from bot.services.transcripts import Reading
from bot.store.db import session_scope


def now() -> datetime:
    return datetime.now(timezone.utc)


def client_writes(
    engine: Engine,
    client_id: int,
    body: str,
    *,
    answer: Optional[str] = "An answer.",
    alert: Optional[AlertKind] = None,
    channel: Channel = Channel.web,
    media: tuple = (),
    reading: Optional[Reading] = None,
) -> int:
    """A client's message (and the assistant's answer, an alert); the conversation's id."""
    with session_scope(engine) as db:
        at = now()
        sender = Sender(Channel.web, client_id=client_id)
        if channel is Channel.sms:
            from bot.store.models import Client

            client = db.get(Client, client_id)
            sender = Sender(Channel.sms, phone=client.phone, clinic_number=client.clinic.sms_from)
        who = correspondents.resolve(db, sender, at)
        message = transcripts.client_message(db, who, body, at, media)
        if alert is not None:
            conversations.alert(db, who, alert, f"{alert.value}: {body}", at=at)
        if answer:
            transcripts.assistant_reply(db, who, [answer], at, message, reading)
        return message.conversation_id


def visitor_writes(engine: Engine, clinic_slug: str, body: str, visitor: str = "anon:glow:visitor123") -> int:
    with session_scope(engine) as db:
        at = now()
        who = correspondents.resolve(db, Sender(Channel.anon, clinic_slug=clinic_slug, visitor=visitor), at)
        return transcripts.client_message(db, who, body, at).conversation_id
