"""The tables: clinics, their clients, the clients' treatments, alerts for clinic staff.

Migrations (bot/store/migrations) are written by hand to match these models;
tests/store/test_migrations.py fails when the two drift apart.
"""

from __future__ import annotations

import enum
import re
from datetime import datetime, timezone
from functools import lru_cache
from typing import Any, Optional
from zoneinfo import ZoneInfo, available_timezones

from sqlalchemy import (
    Boolean,
    Column,
    DateTime,
    Enum,
    ForeignKey,
    ForeignKeyConstraint,
    Index,
    Integer,
    MetaData,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import declarative_base, relationship, validates
from sqlalchemy.types import TypeDecorator

from bot import emergency, protocols
from bot.alerts import AlertKind
from bot.phones import MESSAGING_SERVICE, display_phone
from bot.recovery.answers import ClinicCard
from bot.recovery.protocol import Protocol
from bot.store.errors import InvalidValue

# Every constraint and index gets a predictable name, so migrations can refer to them
# and SQLite batch migrations can recreate them.
NAMING_CONVENTION = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_N_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

Base: Any = declarative_base(metadata=MetaData(naming_convention=NAMING_CONVENTION))

E164 = re.compile(r"^\+[1-9]\d{6,14}$")
SLUG = re.compile(r"^[a-z0-9](?:[a-z0-9-]{0,62}[a-z0-9])?$")
BRAND_COLOR = re.compile(r"^#[0-9a-fA-F]{6}$")


class TreatmentStatus(str, enum.Enum):
    booked = "booked"
    done = "done"
    cancelled = "cancelled"


def parse_status(value: object) -> TreatmentStatus:
    try:
        return TreatmentStatus(value)
    except ValueError:
        known = ", ".join(s.value for s in TreatmentStatus)
        raise InvalidValue(f"unknown treatment status {value!r} (use {known})") from None


def utcnow() -> datetime:
    return datetime.now(timezone.utc)


class UTCDateTime(TypeDecorator):
    """An aware datetime stored as UTC and read back as aware UTC.

    Naive datetimes are refused on write: their meaning depends on the machine.
    SQLite keeps no offset, so the value is stored as naive UTC and tagged on read.
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value, dialect):
        if value is None:
            return None
        if not isinstance(value, datetime):
            raise TypeError(f"expected a datetime, got {type(value).__name__}")
        if value.tzinfo is None or value.utcoffset() is None:
            raise ValueError(f"naive datetime {value.isoformat()} refused: give it a timezone")
        value = value.astimezone(timezone.utc)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=timezone.utc)
        return value.astimezone(timezone.utc)


class EnumText(TypeDecorator):
    """A str-valued Enum kept in a plain text column: rows hold the value, code gets the member.

    Unlike SQLAlchemy's Enum type it adds no CHECK constraint, so a new member needs no
    migration; an unknown value is refused on write."""

    impl = String
    cache_ok = True

    def __init__(self, members: type[enum.Enum], length: int) -> None:
        super().__init__(length)
        self.members = members

    def process_bind_param(self, value, dialect):
        if value is None:
            return None
        return self.members(value).value

    def process_result_value(self, value, dialect):
        return None if value is None else self.members(value)


@lru_cache(maxsize=1)
def _known_timezones() -> frozenset[str]:
    return frozenset(available_timezones())


def check_timezone(name: str) -> str:
    """An IANA zone name the system knows ("America/New_York"); exact spelling required."""
    if name not in _known_timezones():
        raise InvalidValue(f"unknown timezone {name!r} (use an IANA name such as America/New_York)")
    return name


def check_e164(value: str, what: str) -> str:
    if not isinstance(value, str) or not E164.match(value):
        raise InvalidValue(f"{what} {value!r} is not in E.164 form (+12125550123)")
    return value


class _Checked:
    """Length and emptiness checks driven by the column definitions, so limits live once."""

    __table__: Any

    def _check_text(self, key: str, value: Optional[str]) -> Optional[str]:
        if value is None:
            return None
        column = self.__table__.c[key]
        if not column.nullable and not str(value).strip():
            raise InvalidValue(f"{key} is empty")
        limit = getattr(column.type, "length", None)
        if limit and len(value) > limit:
            raise InvalidValue(f"{key} is too long ({len(value)} characters, at most {limit})")
        return value


class Clinic(_Checked, Base):
    __tablename__ = "clinics"

    id = Column(Integer, primary_key=True)
    slug = Column(String(64), nullable=False)
    name = Column(String(200), nullable=False)
    phone = Column(String(16), nullable=False)
    timezone = Column(String(64), nullable=False)
    booking_url = Column(String(2000), nullable=True)
    protocol_yaml = Column(Text, nullable=True)  # the clinic's override of the default protocol
    sms_number = Column(String(34), nullable=True)  # None: SMS go out from `phone`; or a Messaging Service "MG..."
    brand_color = Column(String(7), nullable=True)  # "#0f766e", the web chat's colour; None: default
    alert_phone = Column(String(16), nullable=True)  # a mobile texted about alerts; None: console only
    created_at = Column(UTCDateTime, nullable=False, default=utcnow)

    clients = relationship("Client", back_populates="clinic", order_by="Client.id")

    __table_args__ = (UniqueConstraint("slug"),)

    @validates("slug")
    def _slug(self, key, value):
        if not isinstance(value, str) or not SLUG.match(value):
            raise InvalidValue(f"slug {value!r}: use lowercase letters, digits and dashes (e.g. glow-studio)")
        return value

    @validates("name", "booking_url")
    def _text(self, key, value):
        return self._check_text(key, value)

    @validates("phone", "sms_number", "alert_phone")
    def _phone(self, key, value):
        if key == "sms_number" and isinstance(value, str) and MESSAGING_SERVICE.match(value):
            return value
        return None if value is None else check_e164(value, key.replace("_", " "))

    @validates("timezone")
    def _timezone(self, key, value):
        return check_timezone(value)

    @validates("brand_color")
    def _brand_color(self, key, value):
        if value is not None and not (isinstance(value, str) and BRAND_COLOR.match(value)):
            raise InvalidValue(f"colour {value!r}: use a hex colour such as #0f766e")
        return value.lower() if value else value

    @property
    def tz(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    @property
    def protocol(self) -> Protocol:
        return protocols.for_clinic(self.protocol_yaml, source=f"clinic {self.slug}")

    @property
    def card(self) -> ClinicCard:
        """What an answer says of the clinic: name, phone as its clients dial it, time zone,
        the emergency number of its country."""
        return ClinicCard(
            name=self.name,
            phone=display_phone(self.phone),
            tz=self.tz,
            booking_url=self.booking_url,
            emergency_number=emergency.number_for(self.phone),
        )

    @property
    def sms_from(self) -> str:
        return self.sms_number or self.phone

    def __repr__(self) -> str:
        return f"<Clinic {self.slug}>"


class Client(_Checked, Base):
    __tablename__ = "clients"

    id = Column(Integer, primary_key=True)
    clinic_id = Column(Integer, ForeignKey("clinics.id"), nullable=False)
    name = Column(String(200), nullable=False)
    phone = Column(String(16), nullable=False)
    opted_out = Column(Boolean, nullable=False, default=False)
    opted_out_at = Column(UTCDateTime, nullable=True)
    links_valid_after = Column(UTCDateTime, nullable=True)  # chat links issued before are revoked
    created_at = Column(UTCDateTime, nullable=False, default=utcnow)

    clinic = relationship("Clinic", back_populates="clients")
    treatments = relationship(
        "Treatment",
        back_populates="client",
        order_by="Treatment.performed_at",
        cascade="all, delete-orphan",
        passive_deletes=True,
    )

    __table_args__ = (
        UniqueConstraint("clinic_id", "phone"),
        # The target of treatments' (clinic_id, client_id) key, which keeps a
        # treatment in its client's clinic (booking ids are unique per clinic).
        UniqueConstraint("clinic_id", "id"),
        Index("ix_clients_phone", "phone"),
    )

    @validates("name")
    def _text(self, key, value):
        return self._check_text(key, value)

    @validates("phone")
    def _phone(self, key, value):
        return check_e164(value, "phone")

    @property
    def first_name(self) -> str:
        parts = (self.name or "").split()
        return parts[0] if parts else ""

    def __repr__(self) -> str:
        return f"<Client {self.id} {self.phone}>"


class Treatment(_Checked, Base):
    __tablename__ = "treatments"

    id = Column(Integer, primary_key=True)
    clinic_id = Column(Integer, nullable=False)  # copied from the client by the ORM
    client_id = Column(Integer, nullable=False)
    performed_at = Column(UTCDateTime, nullable=False)  # when the treatment ended
    area = Column(String(64), nullable=False, default="face")
    status = Column(
        Enum(
            TreatmentStatus,
            name="treatment_status",
            native_enum=False,
            create_constraint=True,
            length=16,
            values_callable=lambda members: [m.value for m in members],
        ),
        nullable=False,
        default=TreatmentStatus.done,
    )
    external_ref = Column(String(128), nullable=True)  # the booking system's id
    created_at = Column(UTCDateTime, nullable=False, default=utcnow)

    client = relationship("Client", back_populates="treatments")

    __table_args__ = (
        ForeignKeyConstraint(["clinic_id", "client_id"], ["clients.clinic_id", "clients.id"], ondelete="CASCADE"),
        UniqueConstraint("clinic_id", "external_ref"),
        Index("ix_treatments_client_id_performed_at", "client_id", "performed_at"),
    )

    @validates("area", "external_ref")
    def _text(self, key, value):
        return self._check_text(key, value)

    @validates("status")
    def _status(self, key, value):
        return parse_status(value)

    @validates("performed_at")
    def _performed_at(self, key, value):
        if not isinstance(value, datetime) or value.tzinfo is None or value.utcoffset() is None:
            raise InvalidValue("performed_at must be a timezone-aware datetime")
        return value

    def __repr__(self) -> str:
        return f"<Treatment {self.id} client={self.client_id} {self.status.value} {self.performed_at}>"


class Alert(_Checked, Base):
    __tablename__ = "alerts"

    id = Column(Integer, primary_key=True)
    clinic_id = Column(Integer, ForeignKey("clinics.id"), nullable=False)
    client_id = Column(Integer, ForeignKey("clients.id", ondelete="SET NULL"), nullable=True)
    kind = Column(EnumText(AlertKind, 32), nullable=False)
    message = Column(Text, nullable=False)
    created_at = Column(UTCDateTime, nullable=False, default=utcnow)
    handled_at = Column(UTCDateTime, nullable=True)
    # The console's needs-attention item: the conversation and message it is about, who
    # marked it handled, and whether the clinic's alert phone is to be texted about it.
    conversation_id = Column(Integer, ForeignKey("conversations.id", ondelete="SET NULL"), nullable=True)
    message_id = Column(Integer, ForeignKey("messages.id", ondelete="SET NULL"), nullable=True)
    handled_by_id = Column(Integer, ForeignKey("staff.id", ondelete="SET NULL"), nullable=True)
    text_wanted = Column(Boolean, nullable=False, default=False)

    clinic = relationship("Clinic")
    client = relationship("Client")
    conversation = relationship("Conversation")
    handled_by = relationship("Staff")

    __table_args__ = (
        Index("ix_alerts_clinic_id_handled_at", "clinic_id", "handled_at"),
        Index("ix_alerts_clinic_id_created_at", "clinic_id", "created_at"),
        Index("ix_alerts_conversation_id", "conversation_id"),
    )

    @validates("kind")
    def _kind(self, key, value):
        try:
            return AlertKind(value)
        except ValueError:
            known = ", ".join(kind.value for kind in AlertKind)
            raise InvalidValue(f"unknown alert kind {value!r} (use {known})") from None

    def __repr__(self) -> str:
        return f"<Alert {self.id} {self.kind.value}>"


# The messaging tables (follow-ups, alert texts, the SMS log), the message log
# (conversations, messages), the staff console's (accounts, sessions, the audit log) and the booking sources' (sources, events, import
# mappings) live in modules of their own, and so do the review queue's verdicts.
from bot.store import (  # noqa: E402,F401
    booking_models,
    conversation_models,
    messaging_models,
    review_models,
    staff_models,
)
