"""The SMS log (sms_messages): what went out and came in, by Twilio MessageSid.

Outbound rows with transport "outbox" *are* the local outbox. Each function works in
the caller's session.
"""

from __future__ import annotations

import enum
import uuid
from datetime import datetime
from typing import TYPE_CHECKING, Callable, Iterable, Optional

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from bot.store.messaging_models import Direction, SmsMessage, Transport

if TYPE_CHECKING:  # the gateway imports this module to log what it sends
    from bot.messaging.gateway import Outgoing, Sent

# Twilio status callbacks can arrive out of order ("sent" after "delivered"); a status
# only replaces one of the same or an earlier stage.
_STAGE = {
    "accepted": 0,
    "scheduled": 0,
    "queued": 0,
    "sending": 1,
    "sent": 2,
    "delivered": 3,
    "undelivered": 3,
    "failed": 3,
    "canceled": 3,
    "read": 4,
}


def record_outbound(session: Session, message: Outgoing, sent: Sent) -> SmsMessage:
    """Log an SMS the gateway sent."""
    row = SmsMessage(
        sid=sent.sid,
        direction=Direction.outbound,
        transport=sent.transport,
        purpose=message.purpose,
        clinic_id=message.clinic_id,
        to_number=message.to,
        from_number=message.sender,
        body=message.body,
        status=sent.status,
        message_id=message.message_id,
    )
    session.add(row)
    session.flush()
    return row


RECEIVED, ANSWERED = "received", "answered"  # an inbound text's statuses
SENDING = "sending"  # an outbound text written before it goes out


class Claim(str, enum.Enum):
    """What a server is to do with an inbound text."""

    new = "new"  # first seen: answer it
    duplicate = "duplicate"  # answered already, or being answered by a live server: drop it
    orphaned = "orphaned"  # the server answering it died: finish its answer


def claim_inbound(
    session: Session,
    sid: str,
    sender: str,
    to: str,
    clinic_id: Optional[int],
    process_id: str,
    alive: Callable[[Session, Optional[str]], bool],
) -> Claim:
    """Take an inbound SMS by its MessageSid for the server process `process_id`. A text
    is marked answered only by `mark_answered`, so a webhook retried after its server died
    (Twilio's fallback URL, the balancer's retry) is answered, and a true duplicate is not.
    Only ids are kept: the text itself lives in the conversation's tracker."""
    sid = sid[:64]
    try:
        with session.begin_nested():
            session.add(
                SmsMessage(
                    sid=sid,
                    direction=Direction.inbound,
                    transport=Transport.twilio,
                    clinic_id=clinic_id,
                    to_number=to[:64],
                    from_number=sender[:64],
                    status=RECEIVED,
                    handled_by=process_id,
                )
            )
        return Claim.new
    except IntegrityError:
        pass
    # One claimer at a time (the row lock on PostgreSQL; the write lock on SQLite).
    row = session.scalar(select(SmsMessage).where(SmsMessage.sid == sid).with_for_update())
    if row is None or row.direction is not Direction.inbound or row.status == ANSWERED:
        return Claim.duplicate
    if row.handled_by == process_id or alive(session, row.handled_by):
        return Claim.duplicate
    row.handled_by = process_id
    session.flush()
    return Claim.orphaned


def mark_answered(session: Session, sid: str) -> None:
    session.execute(
        update(SmsMessage)
        .where(SmsMessage.sid == sid[:64], SmsMessage.direction == Direction.inbound)
        .values(status=ANSWERED)
        .execution_options(synchronize_session=False)
    )


def record_sending(session: Session, message: Outgoing, transport: Transport, in_reply_to: Optional[str]) -> int:
    """Write an outbound text before it goes out (a placeholder sid until it has one)."""
    row = SmsMessage(
        sid="pending-" + uuid.uuid4().hex,
        direction=Direction.outbound,
        transport=transport,
        purpose=message.purpose,
        clinic_id=message.clinic_id,
        to_number=message.to,
        from_number=message.sender,
        body=message.body,
        status=SENDING,
        in_reply_to=in_reply_to[:64] if in_reply_to else None,
        message_id=message.message_id,
    )
    session.add(row)
    session.flush()
    return row.id


def mark_sent(session: Session, row_id: int, sent: Sent) -> None:
    session.execute(
        update(SmsMessage)
        .where(SmsMessage.id == row_id)
        .values(sid=sent.sid, status=sent.status)
        .execution_options(synchronize_session=False)
    )


def mark_failed(session: Session, row_id: int, error_code: Optional[int]) -> None:
    session.execute(
        update(SmsMessage)
        .where(SmsMessage.id == row_id)
        .values(status="failed", error_code=error_code)
        .execution_options(synchronize_session=False)
    )


def replies_to(session: Session, sid: str) -> list[SmsMessage]:
    """The outbound texts written in answer to the inbound `sid`, in order."""
    return list(session.scalars(select(SmsMessage).where(SmsMessage.in_reply_to == sid[:64]).order_by(SmsMessage.id)))


def update_status(
    session: Session, sid: str, status: str, error_code: Optional[int], now: datetime
) -> Optional[SmsMessage]:
    """Apply a status callback; None when the SID is not one of ours."""
    row = find(session, sid)
    if row is None:
        return None
    status = (status or "").lower()[:16]
    if _STAGE.get(status, -1) >= _STAGE.get(row.status, -1):
        row.status = status
        row.error_code = error_code
        row.updated_at = now
        session.flush()
    return row


def known_sids(session: Session, sids: Iterable[str]) -> set[str]:
    sids = list(sids)
    if not sids:
        return set()
    return set(session.scalars(select(SmsMessage.sid).where(SmsMessage.sid.in_(sids))))


def outbox(session: Session, limit: int = 20) -> list[SmsMessage]:
    """The newest messages of the local outbox, newest first."""
    return list(
        session.scalars(
            select(SmsMessage)
            .where(SmsMessage.transport == Transport.outbox, SmsMessage.direction == Direction.outbound)
            .order_by(SmsMessage.created_at.desc(), SmsMessage.id.desc())
            .limit(limit)
        )
    )


def find(session: Session, sid: str) -> Optional[SmsMessage]:
    return session.scalar(select(SmsMessage).where(SmsMessage.sid == sid))
