"""The SMS log (sms_messages): what went out and came in, by Twilio MessageSid.

Outbound rows with transport "outbox" *are* the local outbox. Each function works in
the caller's session.
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Iterable, Optional

from sqlalchemy import select
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
    )
    session.add(row)
    session.flush()
    return row


def record_inbound(session: Session, sid: str, sender: str, to: str, clinic_id: Optional[int]) -> bool:
    """Note an inbound SMS by its MessageSid; False when it was already seen (a retried webhook).
    Only ids are kept: the text itself lives in the conversation's tracker."""
    try:
        with session.begin_nested():
            session.add(
                SmsMessage(
                    sid=sid[:64],
                    direction=Direction.inbound,
                    transport=Transport.twilio,
                    clinic_id=clinic_id,
                    to_number=to[:64],
                    from_number=sender[:64],
                    status="received",
                )
            )
    except IntegrityError:
        return False
    return True


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
