"""The messaging tables: follow-ups, texts of staff alerts, and the log of SMS in and out.

Follow-ups and alert texts are *jobs* the worker sends (bot/messaging/worker.py); they
share the delivery columns of `Dispatch`. `SmsMessage` is the log of every SMS: the one
place a Twilio MessageSid is looked up (status callbacks, duplicate webhooks), and, for
rows with transport "outbox", the local outbox used when no Twilio account is set.
Statuses, directions and transports are stored as their enum values.
"""

from __future__ import annotations

import enum

from sqlalchemy import Column, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import relationship

from bot.store.models import Base, EnumText, UTCDateTime, utcnow


class JobStatus(str, enum.Enum):
    """Only pending rows are ever claimed; a row with a sid is never sent again."""

    pending = "pending"
    sent = "sent"
    failed = "failed"  # permanently: an invalid or unsubscribed number, too many attempts
    skipped = "skipped"  # past when scheduled, rebooked, no longer in the protocol
    cancelled = "cancelled"  # the treatment was cancelled, or the client opted out


class Direction(str, enum.Enum):
    outbound = "out"
    inbound = "in"


class Transport(str, enum.Enum):
    twilio = "twilio"
    outbox = "outbox"  # no Twilio account: the row is the delivery


class Dispatch:
    """Delivery state of a job. `claimed_at`/`claimed_by` are a worker's lease on the row.
    `in_doubt_since` is set when a send begins and cleared once its outcome is known: if it
    is still set when a worker takes the row, an earlier send may have gone out (the worker
    was killed, the request timed out), so Twilio is asked before sending again."""

    status = Column(EnumText(JobStatus, 16), nullable=False, default=JobStatus.pending)
    due_at = Column(UTCDateTime, nullable=False)
    attempts = Column(Integer, nullable=False, default=0)
    next_attempt_at = Column(UTCDateTime, nullable=True)
    claimed_at = Column(UTCDateTime, nullable=True)
    claimed_by = Column(String(64), nullable=True)
    in_doubt_since = Column(UTCDateTime, nullable=True)  # a send began and its outcome is unknown
    sid = Column(String(64), nullable=True)
    error_code = Column(Integer, nullable=True)
    error = Column(String(300), nullable=True)
    sent_at = Column(UTCDateTime, nullable=True)
    body = Column(Text, nullable=True)  # the text as first attempted: a retry resends exactly it
    created_at = Column(UTCDateTime, nullable=False, default=utcnow)


class FollowUp(Dispatch, Base):
    """One message of a treatment's follow-up schedule (a step of the clinic's protocol)."""

    __tablename__ = "followups"

    id = Column(Integer, primary_key=True)
    clinic_id = Column(Integer, ForeignKey("clinics.id", ondelete="CASCADE"), nullable=False)
    client_id = Column(Integer, ForeignKey("clients.id", ondelete="CASCADE"), nullable=False)
    treatment_id = Column(Integer, ForeignKey("treatments.id", ondelete="CASCADE"), nullable=False)
    step_key = Column(String(64), nullable=False)
    reason = Column(String(200), nullable=True)  # why it was skipped or cancelled

    clinic = relationship("Clinic")
    client = relationship("Client")
    treatment = relationship("Treatment")

    __table_args__ = (
        UniqueConstraint("treatment_id", "step_key"),
        UniqueConstraint("sid"),
        Index("ix_followups_status_due_at", "status", "due_at"),
        Index("ix_followups_client_id", "client_id"),
    )

    def __repr__(self) -> str:
        return f"<FollowUp {self.id} {self.step_key} {self.status.value} {self.due_at}>"


class AlertDelivery(Dispatch, Base):
    """The text that tells a clinic's staff about an alert; one per alert, made by the worker."""

    __tablename__ = "alert_deliveries"

    id = Column(Integer, primary_key=True)
    alert_id = Column(Integer, ForeignKey("alerts.id", ondelete="CASCADE"), nullable=False)
    clinic_id = Column(Integer, ForeignKey("clinics.id", ondelete="CASCADE"), nullable=False)

    alert = relationship("Alert")
    clinic = relationship("Clinic")

    __table_args__ = (
        UniqueConstraint("alert_id"),
        UniqueConstraint("sid"),
        Index("ix_alert_deliveries_status_due_at", "status", "due_at"),
    )


class SmsMessage(Base):
    """One SMS, in or out. Outbound rows hold the text; inbound ones only their ids.

    An inbound row is "received" while a server answers it (`handled_by` names that server
    process) and "answered" once it was. An outbound reply is written "sending" before it
    goes out (its sid a placeholder until Twilio gives one) and names the text it answers
    (`in_reply_to`), so a webhook retried after a crash finishes that reply instead of
    writing a new one."""

    __tablename__ = "sms_messages"

    id = Column(Integer, primary_key=True)
    sid = Column(String(64), nullable=False)
    direction = Column(EnumText(Direction, 3), nullable=False)
    transport = Column(EnumText(Transport, 8), nullable=False)
    purpose = Column(String(16), nullable=True)  # reply, followup, alert ... (outbound)
    clinic_id = Column(Integer, ForeignKey("clinics.id", ondelete="SET NULL"), nullable=True)
    to_number = Column(String(64), nullable=False)
    from_number = Column(String(64), nullable=False)  # a number or a Messaging Service SID
    body = Column(Text, nullable=True)
    status = Column(String(16), nullable=False)  # Twilio's: queued, sent, delivered, failed ...
    error_code = Column(Integer, nullable=True)
    handled_by = Column(String(64), nullable=True)  # inbound: the server process answering it
    in_reply_to = Column(String(64), nullable=True)  # outbound: the MessageSid of the text it answers
    created_at = Column(UTCDateTime, nullable=False, default=utcnow)
    updated_at = Column(UTCDateTime, nullable=True)
    # The message of the message log this text carries (a part of it, for a long one).
    message_id = Column(Integer, ForeignKey("messages.id", ondelete="SET NULL"), nullable=True)

    clinic = relationship("Clinic")

    __table_args__ = (
        UniqueConstraint("sid"),
        Index("ix_sms_messages_transport_created_at", "transport", "created_at"),
        Index("ix_sms_messages_in_reply_to", "in_reply_to"),
        Index("ix_sms_messages_message_id", "message_id"),
    )

    def __repr__(self) -> str:
        return f"<SmsMessage {self.sid} {self.direction.value} {self.status}>"
