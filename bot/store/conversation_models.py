"""The message log: every conversation of a clinic and every message in it, both sides.

`conversations` has one row per client of a clinic (whatever channel they write on), per
unknown phone number that texted the clinic's line, and per anonymous web visitor; it
holds what the inbox sorts and shows (latest activity, channel, a preview) and the
take-over state. `messages` has one row per message: the client's (with what the
assistant read in it), the assistant's answers, follow-ups, staff replies and notices.
Rows are written only through bot/services/transcripts.py. Kinds and channels are enum
values in plain text columns, so a new one needs no migration.
"""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import Boolean, Column, Float, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import relationship

from bot.identity import Channel
from bot.store.models import Base, EnumText, UTCDateTime, utcnow


class MessageKind(str, enum.Enum):
    client = "client"  # the client wrote it
    assistant = "assistant"  # the assistant's answer to the client's message before it
    followup = "followup"  # a follow-up of the protocol's schedule, sent by the worker
    staff = "staff"  # a staff member's reply (staff_id says who)
    notice = "notice"  # said by the system: a person joined, the assistant is back


FROM_CLINIC = (MessageKind.assistant, MessageKind.followup, MessageKind.staff, MessageKind.notice)


class Conversation(Base):
    __tablename__ = "conversations"

    id = Column(Integer, primary_key=True)
    clinic_id = Column(Integer, ForeignKey("clinics.id", ondelete="CASCADE"), nullable=False)
    client_id = Column(Integer, ForeignKey("clients.id", ondelete="CASCADE"), nullable=True)
    # "client:<id>", "sms:<E.164>" (a number that is no client's), "anon:<slug>:<random>"
    key = Column(String(96), nullable=False)
    channel = Column(EnumText(Channel, 8), nullable=False)  # where the client last wrote
    started_at = Column(UTCDateTime, nullable=False, default=utcnow)
    last_activity_at = Column(UTCDateTime, nullable=False, default=utcnow)
    last_text = Column(String(200), nullable=True)  # the latest message, cut for the inbox
    # A take-over: a staff member answers instead of the assistant until `takeover_until`.
    taken_over_by_id = Column(Integer, ForeignKey("staff.id", ondelete="SET NULL"), nullable=True)
    taken_over_at = Column(UTCDateTime, nullable=True)
    takeover_until = Column(UTCDateTime, nullable=True)

    clinic = relationship("Clinic")
    client = relationship("Client")
    taken_over_by = relationship("Staff")

    __table_args__ = (
        UniqueConstraint("clinic_id", "key"),
        Index("ix_conversations_clinic_id_last_activity_at", "clinic_id", "last_activity_at"),
        Index("ix_conversations_client_id", "client_id"),
    )

    def taken_over(self, now: datetime) -> bool:
        return self.takeover_until is not None and now < self.takeover_until

    def __repr__(self) -> str:
        return f"<Conversation {self.id} {self.key}>"


class LoggedMessage(Base):
    __tablename__ = "messages"

    id = Column(Integer, primary_key=True)
    conversation_id = Column(Integer, ForeignKey("conversations.id", ondelete="CASCADE"), nullable=False)
    clinic_id = Column(Integer, ForeignKey("clinics.id", ondelete="CASCADE"), nullable=False)
    client_id = Column(Integer, ForeignKey("clients.id", ondelete="CASCADE"), nullable=True)
    at = Column(UTCDateTime, nullable=False, default=utcnow)
    kind = Column(EnumText(MessageKind, 16), nullable=False)
    channel = Column(EnumText(Channel, 8), nullable=False)
    body = Column(Text, nullable=False)
    # What the assistant read in a client's message (None: it did not read it, e.g. during
    # a take-over): the NLU intent and its confidence, the topics its questions ask, and
    # the action that answered (action_clarify: the assistant asked what was meant).
    intent = Column(String(64), nullable=True)
    confidence = Column(Float, nullable=True)
    topics = Column(String(200), nullable=True)  # space-separated topic names
    action = Column(String(64), nullable=True)
    # Hours since the client's latest done treatment when the message was written or sent.
    recovery_hours = Column(Float, nullable=True)
    during_takeover = Column(Boolean, nullable=False, default=False)
    staff_id = Column(Integer, ForeignKey("staff.id", ondelete="SET NULL"), nullable=True)
    followup_id = Column(Integer, ForeignKey("followups.id", ondelete="SET NULL"), nullable=True)
    # SMS sent by us: Twilio's status of the text (of its worst part) and error code.
    delivery_status = Column(String(16), nullable=True)
    error_code = Column(Integer, nullable=True)

    conversation = relationship("Conversation")
    staff = relationship("Staff")
    media = relationship("MessageMedia", order_by="MessageMedia.id", cascade="all, delete-orphan")

    __table_args__ = (
        Index("ix_messages_conversation_id_at", "conversation_id", "at"),
        Index("ix_messages_clinic_id_at", "clinic_id", "at"),
        Index("ix_messages_clinic_id_kind_at", "clinic_id", "kind", "at"),
        Index("ix_messages_followup_id", "followup_id"),
    )

    @property
    def topic_list(self) -> list[str]:
        return (self.topics or "").split()

    def __repr__(self) -> str:
        return f"<LoggedMessage {self.id} {self.kind.value}>"


class MessageMedia(Base):
    """A photo (MMS) a client sent: Twilio's media URL, fetched only by the console's
    server with the account's credentials, never shown to a browser."""

    __tablename__ = "message_media"

    id = Column(Integer, primary_key=True)
    message_id = Column(Integer, ForeignKey("messages.id", ondelete="CASCADE"), nullable=False)
    url = Column(String(2000), nullable=False)
    content_type = Column(String(100), nullable=True)

    __table_args__ = (Index("ix_message_media_message_id", "message_id"),)
