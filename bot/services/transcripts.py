"""The message log: the one front door for writing conversations and their messages.

Channels log what a client writes (`client_message`, before the assistant sees it, so a
take-over can keep it from the assistant) and what the assistant answered
(`assistant_reply`, with what it read: `Reading`); the worker logs the follow-ups it
sends (`followup`); the console logs staff replies and notices through
bot/services/takeovers.py. SMS delivery reports reach a message through
`delivery_changed`. Every function works in the caller's unit of work.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Iterable, Optional, Sequence

from sqlalchemy import func, or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, joinedload, selectinload

from bot.identity import Channel, Correspondent
from bot.recovery.clock import elapsed_hours
from bot.store.conversation_models import Conversation, LoggedMessage, MessageKind, MessageMedia
from bot.store.messaging_models import FollowUp, SmsMessage
from bot.store.models import Client

PREVIEW_CHARS = 200
# Twilio's statuses by how far a text got; a message of several parts is as far as its
# least advanced part, and failed if any part failed.
_STAGE = {"accepted": 0, "scheduled": 0, "queued": 0, "sending": 1, "sent": 2, "delivered": 3, "read": 4}
_FAILED = ("failed", "undelivered", "canceled")


@dataclass(frozen=True)
class Reading:
    """What the assistant read in a client's message and how it answered."""

    intent: Optional[str] = None
    confidence: Optional[float] = None
    topics: tuple[str, ...] = ()
    action: Optional[str] = None  # the last action of the turn (action_clarify, action_escalate ...)


def _preview(text: str) -> str:
    flat = " ".join(text.split())
    return flat if len(flat) <= PREVIEW_CHARS else flat[: PREVIEW_CHARS - 1] + "…"


def conversation(
    session: Session, clinic_id: int, key: str, client_id: Optional[int], channel: Channel, now: datetime
) -> Conversation:
    """The conversation `key` of the clinic, made on first use."""
    query = select(Conversation).where(Conversation.clinic_id == clinic_id, Conversation.key == key)
    found = session.scalar(query)
    if found is not None:
        return found
    try:
        with session.begin_nested():  # another process may make it at the same moment
            found = Conversation(
                clinic_id=clinic_id, client_id=client_id, key=key, channel=channel, started_at=now, last_activity_at=now
            )
            session.add(found)
    except IntegrityError:
        found = session.scalar(query)
        assert found is not None
    return found


def of(session: Session, who: Correspondent, now: datetime) -> Optional[Conversation]:
    """The conversation of whoever `who` is; None when no clinic is known."""
    if who.clinic_id is None or who.conversation_key is None:
        return None
    return conversation(session, who.clinic_id, who.conversation_key, who.client_id, who.channel, now)


def of_client(session: Session, client: Client, now: datetime, channel: Channel = Channel.sms) -> Conversation:
    return conversation(session, client.clinic_id, f"client:{client.id}", client.id, channel, now)


def _recovery_hours(who: Correspondent, now: datetime) -> Optional[float]:
    return round(elapsed_hours(who.treated_at, now), 2) if who.treated_at else None


def _add(session: Session, talk: Conversation, message: LoggedMessage, now: datetime) -> LoggedMessage:
    message.conversation_id = talk.id
    message.clinic_id = talk.clinic_id
    message.client_id = talk.client_id
    message.at = now
    session.add(message)
    if now >= talk.last_activity_at:
        talk.last_activity_at = now
        talk.last_text = _preview(message.body)
    session.flush()
    return message


def client_message(
    session: Session,
    who: Correspondent,
    body: str,
    now: datetime,
    media: Sequence[tuple[str, Optional[str]]] = (),
) -> Optional[LoggedMessage]:
    """Log what a client wrote (with the photos' (URL, content type)); None without a clinic."""
    talk = of(session, who, now)
    if talk is None:
        return None
    talk.channel = who.channel
    message = LoggedMessage(
        kind=MessageKind.client,
        channel=who.channel,
        body=body,
        recovery_hours=_recovery_hours(who, now),
        during_takeover=talk.taken_over(now),
        media=[MessageMedia(url=url[:2000], content_type=(kind or None) and kind[:100]) for url, kind in media],
    )
    return _add(session, talk, message, now)


def assistant_reply(
    session: Session,
    who: Correspondent,
    replies: Iterable[str],
    now: datetime,
    answered: Optional[LoggedMessage] = None,
    reading: Optional[Reading] = None,
) -> Optional[LoggedMessage]:
    """Log the assistant's answer (its utterances as one message) and what it read in the
    client's message `answered`; None when it said nothing or no clinic is known."""
    if answered is not None and reading is not None:
        read(answered, reading)
    text = "\n\n".join(r.strip() for r in replies if r and r.strip())
    talk = of(session, who, now)
    if talk is None or not text:
        return None
    message = LoggedMessage(
        kind=MessageKind.assistant, channel=who.channel, body=text, recovery_hours=_recovery_hours(who, now)
    )
    return _add(session, talk, message, now)


def read(message: LoggedMessage, reading: Reading) -> None:
    message.intent = (reading.intent or None) and reading.intent[:64]
    message.confidence = reading.confidence
    message.topics = " ".join(reading.topics)[:200] or None
    message.action = (reading.action or None) and reading.action[:64]


def by_id(session: Session, message_id: Optional[int]) -> Optional[LoggedMessage]:
    return session.get(LoggedMessage, message_id) if message_id is not None else None


def followup(session: Session, row: FollowUp, now: datetime) -> LoggedMessage:
    """Log a follow-up the worker is sending (by SMS, from the clinic's number)."""
    talk = of_client(session, row.client, now)
    treated = row.treatment.performed_at if row.treatment is not None else None
    message = LoggedMessage(
        kind=MessageKind.followup,
        channel=Channel.sms,
        body=row.body or "",
        followup_id=row.id,
        recovery_hours=round(elapsed_hours(treated, now), 2) if treated else None,
    )
    return _add(session, talk, message, now)


def said(
    session: Session,
    talk: Conversation,
    kind: MessageKind,
    body: str,
    channel: Channel,
    now: datetime,
    staff_id: Optional[int] = None,
) -> LoggedMessage:
    """Log a staff reply or a notice in `talk`."""
    message = LoggedMessage(kind=kind, channel=channel, body=body, staff_id=staff_id)
    return _add(session, talk, message, now)


def delivery_changed(session: Session, sms: SmsMessage) -> None:
    """A text's status changed: the message it carries takes the status of its parts."""
    if sms.message_id is None:
        return
    message = session.get(LoggedMessage, sms.message_id)
    if message is None:
        return
    parts = session.execute(
        select(SmsMessage.status, SmsMessage.error_code).where(SmsMessage.message_id == message.id)
    ).all()
    failed = [(status, code) for status, code in parts if status in _FAILED]
    if failed:
        message.delivery_status, message.error_code = failed[0]
    else:
        message.delivery_status = min((status for status, _ in parts), key=lambda s: _STAGE.get(s, -1))
        message.error_code = None
    session.flush()


# Reading the log


def transcript(session: Session, talk: Conversation, limit: int = 500) -> list[LoggedMessage]:
    """The conversation's latest messages, oldest first, with photos and who sent them."""
    rows = session.scalars(
        select(LoggedMessage)
        .options(selectinload(LoggedMessage.media), joinedload(LoggedMessage.staff))
        .where(LoggedMessage.conversation_id == talk.id)
        .order_by(LoggedMessage.at.desc(), LoggedMessage.id.desc())
        .limit(limit)
    )
    return list(reversed(list(rows)))


def since(session: Session, talk: Conversation, after_id: int, kinds: Iterable[MessageKind]) -> list[LoggedMessage]:
    """Messages of these kinds written after message `after_id`, oldest first."""
    return list(
        session.scalars(
            select(LoggedMessage)
            .options(joinedload(LoggedMessage.staff))
            .where(
                LoggedMessage.conversation_id == talk.id,
                LoggedMessage.id > after_id,
                LoggedMessage.kind.in_([k.value for k in kinds]),
            )
            .order_by(LoggedMessage.id)
        )
    )


def latest_id(session: Session, talk: Conversation) -> int:
    return session.scalar(select(func.max(LoggedMessage.id)).where(LoggedMessage.conversation_id == talk.id)) or 0


def latest_client_message(session: Session, talk: Conversation) -> Optional[LoggedMessage]:
    return session.scalar(
        select(LoggedMessage)
        .where(LoggedMessage.conversation_id == talk.id, LoggedMessage.kind == MessageKind.client)
        .order_by(LoggedMessage.id.desc())
        .limit(1)
    )


def conversations(
    session: Session, clinic_id: int, *, clients: bool, search: str = "", limit: int = 100
) -> list[Conversation]:
    """The clinic's conversations, newest activity first: those of clients (`clients`),
    or of visitors and unknown numbers; `search` matches a client's name or phone."""
    query = (
        select(Conversation)
        .options(joinedload(Conversation.client), joinedload(Conversation.taken_over_by))
        .where(Conversation.clinic_id == clinic_id)
        .order_by(Conversation.last_activity_at.desc(), Conversation.id.desc())
        .limit(limit)
    )
    query = query.where(Conversation.client_id.is_not(None) if clients else Conversation.client_id.is_(None))
    words = search.strip()
    if words:
        digits = "".join(ch for ch in words if ch.isdigit())
        matches = [func.lower(Client.name).contains(words.lower())]
        if len(digits) >= 3:
            matches.append(Client.phone.contains(digits))
            matches.append(Conversation.key.contains(digits))
        query = query.outerjoin(Client, Client.id == Conversation.client_id).where(or_(*matches))
    return list(session.scalars(query).unique())


def latest_activity(session: Session, clinic_id: int) -> Optional[datetime]:
    return session.scalar(select(func.max(Conversation.last_activity_at)).where(Conversation.clinic_id == clinic_id))


def takeover_stamp(session: Session, clinic_id: int) -> str:
    """Changes whenever a conversation of the clinic is taken over or handed back."""
    count, latest = session.execute(
        select(func.count(Conversation.id), func.max(Conversation.taken_over_at)).where(
            Conversation.clinic_id == clinic_id, Conversation.takeover_until.is_not(None)
        )
    ).one()
    return f"{count}:{latest}"
