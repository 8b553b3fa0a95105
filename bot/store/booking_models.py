"""The tables of bookings that arrive by themselves: a clinic's booking sources (Acuity
Scheduling, the signed webhook) with their secrets, the events they sent, and the column
mappings saved for importing a booking system's export.

Secrets (an Acuity API key, a webhook secret) are needed in clear to check a signature,
so they cannot be hashed: they are stored sealed (bot/sealing.py) under a key that is not
in the database. Events keep ids and outcomes, never a name or a phone number.
"""

from __future__ import annotations

import enum

from sqlalchemy import Column, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import validates

from bot.store.models import Base, EnumText, UTCDateTime, _Checked, utcnow


class SourceKind(str, enum.Enum):
    """Where bookings come from without anyone typing them."""

    acuity = "acuity"  # Acuity Scheduling's webhooks and API
    webhook = "webhook"  # the signed JSON webhook (Zapier, Make, n8n ...)


class EventOutcome(str, enum.Enum):
    """What became of one event a booking source sent."""

    applied = "applied"  # a treatment was added, moved, completed or cancelled
    unchanged = "unchanged"  # already so (a repeated event)
    skipped = "skipped"  # not a microneedling appointment, or nothing of ours to change
    rejected = "rejected"  # signed, but its content was refused (reason says why)
    failed = "failed"  # could not be applied now (the booking system's API did not answer)


class BookingSource(_Checked, Base):
    __tablename__ = "booking_sources"

    id = Column(Integer, primary_key=True)
    clinic_id = Column(Integer, ForeignKey("clinics.id", ondelete="CASCADE"), nullable=False)
    kind = Column(EnumText(SourceKind, 16), nullable=False)
    account = Column(String(64), nullable=True)  # Acuity: the user id the API key belongs to
    sealed_secret = Column(Text, nullable=False)  # Acuity: the API key; webhook: the signing secret
    appointment_types = Column(String(500), nullable=True)  # Acuity: "123,456", the microneedling types
    created_at = Column(UTCDateTime, nullable=False, default=utcnow)
    updated_at = Column(UTCDateTime, nullable=False, default=utcnow)

    __table_args__ = (UniqueConstraint("clinic_id", "kind"),)

    @validates("account", "appointment_types")
    def _text(self, key, value):
        return self._check_text(key, value)

    def __repr__(self) -> str:
        return f"<BookingSource {self.kind.value} clinic={self.clinic_id}>"


class BookingEvent(_Checked, Base):
    __tablename__ = "booking_events"

    id = Column(Integer, primary_key=True)
    clinic_id = Column(Integer, ForeignKey("clinics.id", ondelete="CASCADE"), nullable=False)
    source = Column(EnumText(SourceKind, 16), nullable=False)
    # The webhook's event id (or its signature): a second delivery of the same event is refused.
    event_key = Column(String(128), nullable=True)
    action = Column(String(32), nullable=False)  # "scheduled", "booked", "cancelled" ...
    booking_ref = Column(String(128), nullable=True)  # the booking system's id of the appointment
    outcome = Column(EnumText(EventOutcome, 16), nullable=False)
    reason = Column(String(64), nullable=True)  # a code ("invalid_phone"), never the value itself
    received_at = Column(UTCDateTime, nullable=False, default=utcnow)

    __table_args__ = (
        UniqueConstraint("clinic_id", "source", "event_key"),
        Index("ix_booking_events_clinic_id_received_at", "clinic_id", "received_at"),
    )

    @validates("event_key", "action", "booking_ref", "reason")
    def _text(self, key, value):
        return self._check_text(key, value)

    def __repr__(self) -> str:
        return f"<BookingEvent {self.id} {self.source.value} {self.action} {self.outcome.value}>"


class ImportMapping(_Checked, Base):
    __tablename__ = "import_mappings"

    id = Column(Integer, primary_key=True)
    clinic_id = Column(Integer, ForeignKey("clinics.id", ondelete="CASCADE"), nullable=False)
    name = Column(String(64), nullable=False)
    columns = Column(Text, nullable=False)  # JSON: [[export column, our field], ...]
    services = Column(String(500), nullable=True)  # the service filter; None: the default
    date_order = Column(String(16), nullable=True)  # "day-first" | "month-first"; None: the clinic's country
    created_at = Column(UTCDateTime, nullable=False, default=utcnow)
    updated_at = Column(UTCDateTime, nullable=False, default=utcnow)

    __table_args__ = (UniqueConstraint("clinic_id", "name"),)

    @validates("name", "services", "date_order")
    def _text(self, key, value):
        return self._check_text(key, value)

    def __repr__(self) -> str:
        return f"<ImportMapping {self.name} clinic={self.clinic_id}>"
