"""The staff console's tables: staff accounts, set-password links, sign-in sessions,
sign-in locks and the audit log.

Secrets are never stored as given: passwords as argon2 hashes, link and session tokens
as SHA-256 digests (bot/services/tokens.py), so a copy of the database opens nothing.
"""

from __future__ import annotations

import enum

from sqlalchemy import (
    Boolean,
    CheckConstraint,
    Column,
    Enum,
    ForeignKey,
    Index,
    Integer,
    String,
    UniqueConstraint,
)
from sqlalchemy.orm import relationship, validates

from bot.store.errors import InvalidValue
from bot.store.models import Base, UTCDateTime, _Checked, utcnow


class StaffRole(str, enum.Enum):
    owner = "owner"  # a clinic's owner or manager
    staff = "staff"  # front desk, practitioners
    operator = "operator"  # runs the service for every clinic; belongs to none


class AuditAction(str, enum.Enum):
    """What the audit log records. Stored as its value in a plain column without a CHECK
    constraint, so a new action needs no migration."""

    staff_added = "staff_added"
    password_link_issued = "password_link_issued"
    password_set = "password_set"
    staff_disabled = "staff_disabled"
    signed_in = "signed_in"
    sign_in_failed = "sign_in_failed"
    account_locked = "account_locked"
    signed_out = "signed_out"
    clinic_chosen = "clinic_chosen"
    conversation_opened = "conversation_opened"  # a staff member opened a client's conversation
    clients_listed = "clients_listed"  # the client list or a search of it
    client_viewed = "client_viewed"  # a client's page: details, treatments
    client_added = "client_added"
    treatment_recorded = "treatment_recorded"
    treatment_rescheduled = "treatment_rescheduled"
    treatment_cancelled = "treatment_cancelled"
    chat_link_sent = "chat_link_sent"
    chat_links_revoked = "chat_links_revoked"
    bookings_imported = "bookings_imported"
    photo_viewed = "photo_viewed"  # a client's photo, fetched through the console
    reply_sent = "reply_sent"  # a staff member's reply to a client
    taken_over = "taken_over"  # the assistant stopped answering the client
    handed_back = "handed_back"  # the assistant answers the client again
    item_handled = "item_handled"  # a needs-attention item marked handled
    alert_phone_set = "alert_phone_set"  # the clinic's alert phone set or removed
    insights_viewed = "insights_viewed"  # the clinic's Insights page (it quotes client messages)
    review_queue_opened = "review_queue_opened"  # the review queue (client messages)
    message_reviewed = "message_reviewed"  # a verdict on what a client's message asked


def _enum(kind: type[enum.Enum], name: str, length: int, constraint: bool) -> Enum:
    return Enum(
        kind,
        name=name,
        native_enum=False,
        create_constraint=constraint,
        length=length,
        values_callable=lambda members: [m.value for m in members],
    )


class Staff(_Checked, Base):
    """A person who signs in to the console. Never deleted, only disabled, so the audit
    log keeps naming who did what."""

    __tablename__ = "staff"

    id = Column(Integer, primary_key=True)
    email = Column(String(254), nullable=False)  # stored lower-case: the sign-in name
    name = Column(String(200), nullable=True)
    clinic_id = Column(Integer, ForeignKey("clinics.id"), nullable=True)  # None: an operator
    role = Column(_enum(StaffRole, "staff_role", 16, constraint=True), nullable=False)
    password_hash = Column(String(200), nullable=True)  # None until a set-password link is used
    password_set_at = Column(UTCDateTime, nullable=True)
    disabled = Column(Boolean, nullable=False, default=False)
    created_at = Column(UTCDateTime, nullable=False, default=utcnow)

    clinic = relationship("Clinic")

    __table_args__ = (
        UniqueConstraint("email"),
        # An operator belongs to no clinic; everyone else to exactly one.
        CheckConstraint(
            "(role = 'operator' AND clinic_id IS NULL) OR (role <> 'operator' AND clinic_id IS NOT NULL)",
            name="operator_has_no_clinic",
        ),
        Index("ix_staff_clinic_id", "clinic_id"),
    )

    @validates("email", "name")
    def _text(self, key, value):
        return self._check_text(key, value)

    @property
    def is_operator(self) -> bool:
        return self.role is StaffRole.operator

    @property
    def display_name(self) -> str:
        return self.name or self.email

    def __repr__(self) -> str:
        return f"<Staff {self.id} {self.role.value}>"


class PasswordLink(Base):
    """A one-time link that sets a staff member's password (a new account, a reset)."""

    __tablename__ = "staff_password_links"

    id = Column(Integer, primary_key=True)
    staff_id = Column(Integer, ForeignKey("staff.id", ondelete="CASCADE"), nullable=False)
    token_digest = Column(String(64), nullable=False)
    created_at = Column(UTCDateTime, nullable=False, default=utcnow)
    expires_at = Column(UTCDateTime, nullable=False)
    used_at = Column(UTCDateTime, nullable=True)  # also set when a newer link replaces it

    staff = relationship("Staff")

    __table_args__ = (UniqueConstraint("token_digest"), Index("ix_staff_password_links_staff_id", "staff_id"))


class StaffSession(Base):
    """A signed-in browser. The cookie holds the token; the row, its digest."""

    __tablename__ = "staff_sessions"

    id = Column(Integer, primary_key=True)
    staff_id = Column(Integer, ForeignKey("staff.id", ondelete="CASCADE"), nullable=False)
    token_digest = Column(String(64), nullable=False)
    # The clinic an operator chose to look at; staff members always see their own.
    clinic_id = Column(Integer, ForeignKey("clinics.id", ondelete="SET NULL"), nullable=True)
    created_at = Column(UTCDateTime, nullable=False, default=utcnow)
    last_seen_at = Column(UTCDateTime, nullable=False, default=utcnow)

    staff = relationship("Staff")
    clinic = relationship("Clinic")

    __table_args__ = (UniqueConstraint("token_digest"), Index("ix_staff_sessions_staff_id", "staff_id"))


class SignInLock(Base):
    """Failed sign-ins in a row for one sign-in name, whether or not an account has it
    (so a lock says nothing about which emails exist). Keyed by the name's digest."""

    __tablename__ = "sign_in_locks"

    account_digest = Column(String(64), primary_key=True)
    failures = Column(Integer, nullable=False, default=0)
    last_failure_at = Column(UTCDateTime, nullable=False)
    locked_until = Column(UTCDateTime, nullable=True)


class AuditEntry(Base):
    """Who did what, when, in which clinic, to which client. Ids and an action only:
    no free text, so no personal data lands here by accident."""

    __tablename__ = "audit_log"

    id = Column(Integer, primary_key=True)
    at = Column(UTCDateTime, nullable=False, default=utcnow)
    staff_id = Column(Integer, ForeignKey("staff.id"), nullable=True)  # None: the admin command line
    clinic_id = Column(Integer, ForeignKey("clinics.id"), nullable=True)
    client_id = Column(Integer, nullable=True)  # no foreign key: the entry outlives the client
    about_staff_id = Column(Integer, ForeignKey("staff.id"), nullable=True)  # the account acted on
    action = Column(_enum(AuditAction, "audit_action", 40, constraint=False), nullable=False)

    staff = relationship("Staff", foreign_keys=[staff_id])
    about_staff = relationship("Staff", foreign_keys=[about_staff_id])
    clinic = relationship("Clinic")

    __table_args__ = (Index("ix_audit_log_clinic_id_at", "clinic_id", "at"),)

    @validates("action")
    def _action(self, key, value):
        try:
            return AuditAction(value)
        except ValueError:
            raise InvalidValue(f"unknown audit action {value!r}") from None
