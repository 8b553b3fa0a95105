"""Staff accounts: add, list, disable, and set a password through a one-time link.

An account starts without a password. `add_staff` and `issue_password_link` return a
link token (printed by the CLI inside the console's /set-password URL); the token is
stored only as a digest, expires, works once, and a newer link replaces older ones.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Optional

from sqlalchemy import delete, select, update
from sqlalchemy.orm import Session, joinedload

from bot.services import passwords, tokens
from bot.services.audit import audit
from bot.store import queries
from bot.store.errors import DuplicateStaff, InvalidValue, StoreError, UnknownStaff
from bot.store.staff_models import AuditAction, PasswordLink, SignInLock, Staff, StaffRole, StaffSession

LINK_VALID_FOR = timedelta(hours=72)
EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s.]+$")


class InvalidLink(StoreError):
    """A set-password link that is unknown, used, replaced or expired."""


@dataclass(frozen=True)
class IssuedLink:
    staff: Staff
    token: str  # shown once, never stored
    expires_at: datetime


def normalize_email(email: str) -> str:
    value = (email or "").strip().lower()
    if len(value) > 254 or not EMAIL.match(value):
        raise InvalidValue(f"{email!r} is not an email address")
    return value


def account_digest(email: str) -> str:
    """The key a sign-in name is counted under (sign-in locks), whether or not it exists."""
    return tokens.digest("account:" + (email or "").strip().lower())


def parse_role(value: str | StaffRole) -> StaffRole:
    try:
        return StaffRole(value)
    except ValueError:
        raise InvalidValue(f"unknown role {value!r} (use {', '.join(r.value for r in StaffRole)})") from None


def add_staff(
    db: Session,
    *,
    email: str,
    role: StaffRole,
    now: datetime,
    clinic_slug: Optional[str] = None,
    name: Optional[str] = None,
) -> IssuedLink:
    """A new account (an operator when `role` is operator: no clinic) and its first link."""
    role = parse_role(role)
    if role is StaffRole.operator and clinic_slug:
        raise InvalidValue("an operator belongs to no clinic: leave out --clinic")
    if role is not StaffRole.operator and not clinic_slug:
        raise InvalidValue("a staff member needs a clinic (--clinic SLUG)")
    clinic = queries.clinic_by_slug(db, clinic_slug) if clinic_slug else None
    email = normalize_email(email)
    name = " ".join(name.split()) if name and name.strip() else None
    staff = Staff(email=email, name=name, clinic_id=clinic.id if clinic else None, role=role, created_at=now)
    queries.insert(db, staff, DuplicateStaff(f"a staff account with email {email} already exists"))
    audit(db, None, AuditAction.staff_added, now=now, about=staff)
    return _issue_link(db, staff, now)


def issue_password_link(db: Session, email: str, now: datetime) -> IssuedLink:
    """A new set-password link for an existing account (a forgotten password); earlier
    links stop working. The current password keeps working until the link is used."""
    staff = find_staff(db, email)
    if staff.disabled:
        raise InvalidValue(f"{staff.email} is disabled")
    return _issue_link(db, staff, now)


def _issue_link(db: Session, staff: Staff, now: datetime) -> IssuedLink:
    db.execute(
        update(PasswordLink)
        .where(PasswordLink.staff_id == staff.id, PasswordLink.used_at.is_(None))
        .values(used_at=now)
    )
    token = tokens.new_token()
    expires_at = now + LINK_VALID_FOR
    db.add(PasswordLink(staff_id=staff.id, token_digest=tokens.digest(token), created_at=now, expires_at=expires_at))
    audit(db, None, AuditAction.password_link_issued, now=now, about=staff)
    return IssuedLink(staff, token, expires_at)


def staff_for_link(db: Session, token: str, now: datetime) -> Staff:
    """The account a set-password link is for, if the link still works."""
    return _usable_link(db, token, now).staff


def _usable_link(db: Session, token: str, now: datetime) -> PasswordLink:
    link = db.execute(
        select(PasswordLink)
        .options(joinedload(PasswordLink.staff))
        .where(PasswordLink.token_digest == tokens.digest(token or ""))
        .with_for_update(of=PasswordLink)  # two uses at once: the second waits, then sees it used
    ).scalar_one_or_none()
    if link is None or link.used_at is not None:
        raise InvalidLink("This link has already been used or was replaced by a newer one.")
    if link.expires_at <= now:
        raise InvalidLink("This link has expired.")
    if link.staff.disabled:
        raise InvalidLink("This account is disabled.")
    return link


def set_password(db: Session, token: str, password: str, now: datetime) -> Staff:
    """Use a link: check the password policy, store the hash, spend the link, end every
    session of the account (a reset locks out whoever knew the old password) and lift a
    sign-in lock."""
    link = _usable_link(db, token, now)
    staff = link.staff
    passwords.check_policy(password, staff.email)
    staff.password_hash = passwords.hash_password(password)
    staff.password_set_at = now
    link.used_at = now
    db.execute(delete(StaffSession).where(StaffSession.staff_id == staff.id))
    db.execute(delete(SignInLock).where(SignInLock.account_digest == account_digest(staff.email)))
    audit(db, staff, AuditAction.password_set, now=now, about=staff)
    db.flush()
    return staff


def disable(db: Session, email: str, now: datetime) -> Staff:
    """The account can no longer sign in: its sessions end and its links stop working."""
    staff = find_staff(db, email)
    if not staff.disabled:
        staff.disabled = True
        db.execute(delete(StaffSession).where(StaffSession.staff_id == staff.id))
        db.execute(
            update(PasswordLink)
            .where(PasswordLink.staff_id == staff.id, PasswordLink.used_at.is_(None))
            .values(used_at=now)
        )
        audit(db, None, AuditAction.staff_disabled, now=now, about=staff)
        db.flush()
    return staff


def find_staff(db: Session, email: str) -> Staff:
    staff = db.execute(
        select(Staff).options(joinedload(Staff.clinic)).where(Staff.email == (email or "").strip().lower())
    ).scalar_one_or_none()
    if staff is None:
        raise UnknownStaff(f"no staff account with email {email!r}")
    return staff


def list_staff(db: Session, clinic_slug: Optional[str] = None) -> list[Staff]:
    query = select(Staff).options(joinedload(Staff.clinic)).order_by(Staff.clinic_id, Staff.email)
    if clinic_slug:
        query = query.where(Staff.clinic_id == queries.clinic_by_slug(db, clinic_slug).id)
    return list(db.execute(query).scalars())


def is_locked(db: Session, staff: Staff, now: datetime) -> bool:
    lock = db.get(SignInLock, account_digest(staff.email))
    return bool(lock and lock.locked_until and lock.locked_until > now)
