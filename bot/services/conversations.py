"""What a conversation leaves for the clinic's staff, and who answers it.

Alerts are the console's needs-attention items: each is about a conversation (and the
client message that raised it), open until a staff member marks it handled. Whether an
alert is also texted to the clinic's alert phone is decided here, when it is raised
(bot/messaging/jobs.py texts the ones that want it).

A take-over: a staff member answers a client instead of the assistant until they hand
back or `takeover_until` passes. The channels ask `answering_person`; staff replies and
the notices that tell the client who is answering are logged here and delivered by
`deliver` (SMS through the gateway; a web chat reads them from the log).
"""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from typing import Iterable, Optional

from sqlalchemy import select
from sqlalchemy.orm import Session, joinedload

from bot.alerts import TEXTED, AlertKind
from bot.identity import Channel, Correspondent
from bot.messaging.gateway import Gateway, Outgoing, SendError
from bot.messaging.split import split_sms
from bot.services import transcripts
from bot.store.conversation_models import Conversation, LoggedMessage, MessageKind
from bot.store.errors import InvalidValue
from bot.store.messaging_models import AlertDelivery
from bot.store.models import Alert, Client, Clinic
from bot.store.staff_models import Staff

DEFAULT_TAKEOVER = timedelta(hours=24)
MAX_REPLY_CHARS = 1600  # Twilio's limit for one message, parts included


# Alerts


def _text_wanted(clinic: Clinic, kind: AlertKind, now: datetime) -> bool:
    """Text the alert phone about this alert? Red flags always; other kinds of `TEXTED`
    while the clinic is open; never without an alert phone."""
    if not clinic.alert_phone or kind not in TEXTED:
        return False
    return kind is AlertKind.red_flag or clinic.protocol.opening_hours.open_at(now.astimezone(clinic.tz))


def record_alert(
    session: Session,
    clinic: Clinic,
    client: Optional[Client],
    kind: AlertKind,
    message: str,
    *,
    at: Optional[datetime] = None,
    conversation: Optional[Conversation] = None,
) -> Alert:
    """Something clinic staff should see (a red flag, a request for a person ...), about
    `conversation` (by default the client's) and its latest client message."""
    if client is not None and client.clinic_id != clinic.id:
        raise InvalidValue(f"client {client.id} is not a client of {clinic.slug}")
    alert = Alert(clinic=clinic, client=client, kind=kind, message=message)  # checks the kind
    now = at or datetime.now(timezone.utc)
    alert.created_at = now
    if conversation is None and client is not None:
        conversation = transcripts.of_client(session, client, now)
    if conversation is not None:
        alert.conversation_id = conversation.id
        latest = transcripts.latest_client_message(session, conversation)
        alert.message_id = latest.id if latest else None
    alert.text_wanted = _text_wanted(clinic, alert.kind, now)
    session.add(alert)
    session.flush()
    return alert


def alert(
    session: Session, who: Correspondent, kind: AlertKind, message: str, at: Optional[datetime] = None
) -> Optional[Alert]:
    """An alert about `who` for the staff of their clinic; None when no clinic is known."""
    if who.clinic_id is None:
        return None
    clinic = session.get(Clinic, who.clinic_id)
    client = session.get(Client, who.client_id) if who.client_id is not None else None
    now = at or datetime.now(timezone.utc)
    talk = transcripts.of(session, who, now)
    return record_alert(session, clinic, client, kind, message, at=now, conversation=talk)


def alerts(session: Session, who: Correspondent, raised: Iterable[tuple[AlertKind, str]]) -> None:
    for kind, message in raised:
        alert(session, who, kind, message)


def needing_attention(session: Session, clinic_id: int, limit: int = 100) -> list[Alert]:
    """The clinic's open items, newest first."""
    return list(
        session.scalars(
            select(Alert)
            .options(joinedload(Alert.client), joinedload(Alert.conversation))
            .where(Alert.clinic_id == clinic_id, Alert.handled_at.is_(None))
            .order_by(Alert.created_at.desc(), Alert.id.desc())
            .limit(limit)
        )
    )


def recently_handled(session: Session, clinic_id: int, limit: int = 20) -> list[Alert]:
    return list(
        session.scalars(
            select(Alert)
            .options(joinedload(Alert.client), joinedload(Alert.handled_by))
            .where(Alert.clinic_id == clinic_id, Alert.handled_at.is_not(None))
            .order_by(Alert.handled_at.desc(), Alert.id.desc())
            .limit(limit)
        )
    )


def of_conversation(session: Session, talk: Conversation) -> list[Alert]:
    return list(
        session.scalars(
            select(Alert)
            .options(joinedload(Alert.handled_by))
            .where(Alert.conversation_id == talk.id)
            .order_by(Alert.created_at.desc(), Alert.id.desc())
        )
    )


def alert_texts(session: Session, alert_ids: list[int]) -> dict[int, AlertDelivery]:
    """The texts to the alert phone about these alerts, by alert id."""
    if not alert_ids:
        return {}
    rows = session.scalars(select(AlertDelivery).where(AlertDelivery.alert_id.in_(alert_ids)))
    return {row.alert_id: row for row in rows}


def mark_handled(session: Session, item: Alert, staff: Staff, now: datetime) -> Alert:
    """Close a needs-attention item; who and when are kept. Closing it twice keeps the first."""
    if item.handled_at is None:
        item.handled_at, item.handled_by_id = now, staff.id
        session.flush()
    return item


# Take-overs


def answering_person(talk: Optional[Conversation], now: datetime) -> bool:
    """Does a staff member answer this conversation now (the assistant keeps quiet)?"""
    return talk is not None and talk.taken_over(now)


def first_name(staff: Staff) -> str:
    name = (staff.name or "").split()
    return name[0] if name else staff.email.split("@")[0]


def _client_talk(talk: Conversation) -> Client:
    if talk.client is None:
        raise InvalidValue("only a client's conversation can be taken over or answered")
    return talk.client


def take_over(
    session: Session, talk: Conversation, staff: Staff, now: datetime, lasting: timedelta = DEFAULT_TAKEOVER
) -> Optional[LoggedMessage]:
    """`staff` answers the client instead of the assistant for `lasting`. Returns the
    notice that tells the client (None when the conversation was taken over already,
    which only moves its end)."""
    _client_talk(talk)
    joined = not talk.taken_over(now)
    talk.taken_over_by_id, talk.taken_over_at, talk.takeover_until = staff.id, now, now + lasting
    session.flush()
    if not joined:
        return None
    clinic = talk.clinic
    return transcripts.said(
        session,
        talk,
        MessageKind.notice,
        f"{first_name(staff)} from {clinic.name} has joined the chat and will answer you.",
        _reply_channel(talk),
        now,
        staff_id=staff.id,
    )


def hand_back(session: Session, talk: Conversation, now: datetime) -> Optional[LoggedMessage]:
    """The assistant answers again; returns the notice for the client (None when nobody
    had taken over)."""
    was = talk.takeover_until is not None
    talk.taken_over_by_id = talk.taken_over_at = talk.takeover_until = None
    session.flush()
    if not was:
        return None
    return transcripts.said(
        session,
        talk,
        MessageKind.notice,
        "You're chatting with the aftercare assistant again. Ask it anything about your recovery.",
        _reply_channel(talk),
        now,
    )


def expired_takeovers(session: Session, now: datetime) -> list[tuple[Conversation, LoggedMessage]]:
    """Hand back every conversation whose take-over has run out; each with its notice."""
    due = session.scalars(
        select(Conversation).where(Conversation.takeover_until.is_not(None), Conversation.takeover_until <= now)
    ).all()
    handed = []
    for talk in due:
        notice = hand_back(session, talk, now)
        if notice is not None:
            handed.append((talk, notice))
    return handed


def reply_blocked(talk: Conversation) -> Optional[str]:
    """Why staff cannot reply in this conversation, or None."""
    if talk.client is None:
        return "Only a client's conversation can be answered from the console."
    if _reply_channel(talk) is Channel.sms and talk.client.opted_out:
        return (
            f"{talk.client.first_name} opted out of texts (STOP), so no text can reach them. "
            "They can text START to the clinic's number to receive texts again."
        )
    return None


def staff_reply(session: Session, talk: Conversation, staff: Staff, body: str, now: datetime) -> LoggedMessage:
    """Log a staff member's reply to the client (deliver it with `deliver`)."""
    text = (body or "").replace("\x00", "").strip()
    if not text:
        raise InvalidValue("Type a reply first.")
    if len(text) > MAX_REPLY_CHARS:
        raise InvalidValue(f"A reply can be at most {MAX_REPLY_CHARS} characters; this one has {len(text)}.")
    blocked = reply_blocked(talk)
    if blocked:
        raise InvalidValue(blocked)
    return transcripts.said(session, talk, MessageKind.staff, text, _reply_channel(talk), now, staff_id=staff.id)


def _reply_channel(talk: Conversation) -> Channel:
    """Staff replies and notices go where the client last wrote: their web chat, or by SMS."""
    return Channel.web if talk.channel is Channel.web else Channel.sms


def deliver(session: Session, gateway: Gateway, message: LoggedMessage) -> None:
    """Send a staff reply or notice by SMS from the clinic's number when it is for an SMS
    conversation (a web chat reads it from the log). A failed send is kept on the message."""
    talk = message.conversation
    if message.channel is not Channel.sms or talk.client is None:
        return
    clinic, client = talk.clinic, talk.client
    if client.opted_out:
        message.delivery_status = "failed"
        return
    for part in split_sms(message.body):
        outgoing = Outgoing(client.phone, clinic.sms_from, part, message.kind.value, clinic.id, message.id)
        try:
            sent = gateway.send(outgoing)
        except SendError as error:
            message.delivery_status, message.error_code = "failed", error.code
            session.flush()
            return
        transcripts.delivery_changed(session, gateway.record(session, outgoing, sent))


def held_for_staff(session: Session, who: Correspondent, body: str, red_flag: bool, now: datetime) -> None:
    """A client wrote while a person has taken over: the assistant stays quiet, the staff
    get an item, and a red flag is a red flag still."""
    alert(session, who, AlertKind.during_takeover, f"Written during a take-over: {body}", at=now)
    if red_flag:
        alert(session, who, AlertKind.red_flag, f"Red flag reported during a take-over: {body}", at=now)
