"""Signing in and out of the staff console, sign-in locks, and the sessions in between.

A sign-in name (email) is locked after `lock_after` failures in a row within
`lock_for`, for `lock_for`, whether or not an account has that name: the answer is the
same for both, so a lock tells nobody which emails exist. Locks are rows, so they
survive a restart. Sessions are rows too: the browser holds a random token, the row its
digest; a session ends after `idle` without a request, after `max_age` in any case, at
sign-out, and when the account is disabled or its password is set anew.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Optional

from sqlalchemy import delete, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, joinedload

from bot.services import passwords, tokens
from bot.services.audit import audit
from bot.services.staff import account_digest
from bot.store import queries
from bot.store.errors import InvalidValue
from bot.store.staff_models import AuditAction, SignInLock, Staff, StaffSession

# A request refreshes last_seen_at at most this often: not one write per request.
TOUCH_EVERY = timedelta(seconds=60)


@dataclass(frozen=True)
class SignInPolicy:
    idle: timedelta = timedelta(minutes=30)
    max_age: timedelta = timedelta(hours=12)
    lock_after: int = 5
    lock_for: timedelta = timedelta(minutes=15)


class Outcome(str, enum.Enum):
    signed_in = "signed_in"
    refused = "refused"  # wrong email or password, or a disabled account: one answer for all
    locked = "locked"


@dataclass(frozen=True)
class SignIn:
    outcome: Outcome
    token: Optional[str] = None  # the new session's token, for the cookie
    staff: Optional[Staff] = None
    locked_until: Optional[datetime] = None


def sign_in(db: Session, email: str, password: str, now: datetime, policy: SignInPolicy) -> SignIn:
    lock = _lock_row(db, account_digest(email))
    if lock is not None and lock.locked_until is not None and lock.locked_until > now:
        return SignIn(Outcome.locked, locked_until=lock.locked_until)
    staff = db.execute(select(Staff).where(Staff.email == (email or "").strip().lower())).scalar_one_or_none()
    usable = staff is not None and not staff.disabled
    if not passwords.verify(staff.password_hash if usable else None, password) or staff is None:
        return _failed(db, email, lock, staff, now, policy)

    if lock is not None:
        db.delete(lock)
    if passwords.needs_rehash(staff.password_hash):
        staff.password_hash = passwords.hash_password(password)
    # Sessions of this account that ran out are swept here rather than by a job.
    db.execute(
        delete(StaffSession).where(
            StaffSession.staff_id == staff.id,
            (StaffSession.last_seen_at < now - policy.idle) | (StaffSession.created_at < now - policy.max_age),
        )
    )
    token = tokens.new_token()
    db.add(
        StaffSession(
            staff_id=staff.id,
            token_digest=tokens.digest(token),
            clinic_id=staff.clinic_id,
            created_at=now,
            last_seen_at=now,
        )
    )
    audit(db, staff, AuditAction.signed_in, now=now)
    return SignIn(Outcome.signed_in, token=token, staff=staff)


def _lock_row(db: Session, key: str) -> Optional[SignInLock]:
    return db.execute(select(SignInLock).where(SignInLock.account_digest == key).with_for_update()).scalar_one_or_none()


def _failed(
    db: Session, email: str, lock: Optional[SignInLock], staff: Optional[Staff], now: datetime, policy: SignInPolicy
) -> SignIn:
    key = account_digest(email)
    if lock is None:
        try:
            with db.begin_nested():
                lock = SignInLock(account_digest=key, failures=0, last_failure_at=now)
                db.add(lock)
        except IntegrityError:  # a concurrent failure made the row first
            lock = _lock_row(db, key)
            assert lock is not None
    if lock.last_failure_at < now - policy.lock_for or (lock.locked_until is not None and lock.locked_until <= now):
        lock.failures, lock.locked_until = 0, None  # an old streak or a lock that ran out
    lock.failures += 1
    lock.last_failure_at = now
    audit(db, None, AuditAction.sign_in_failed, now=now, about=staff)
    if lock.failures >= policy.lock_after:
        lock.locked_until = now + policy.lock_for
        audit(db, None, AuditAction.account_locked, now=now, about=staff)
        return SignIn(Outcome.locked, locked_until=lock.locked_until)
    return SignIn(Outcome.refused)


def resume(db: Session, token: Optional[str], now: datetime, policy: SignInPolicy) -> Optional[StaffSession]:
    """The live session for a browser's token, its staff member and clinic loaded; None
    when there is none (an ended session is deleted on the way)."""
    if not token:
        return None
    session = db.execute(
        select(StaffSession)
        .options(joinedload(StaffSession.staff).joinedload(Staff.clinic), joinedload(StaffSession.clinic))
        .where(StaffSession.token_digest == tokens.digest(token))
    ).scalar_one_or_none()
    if session is None:
        return None
    if (
        session.staff.disabled
        or session.last_seen_at <= now - policy.idle
        or session.created_at <= now - policy.max_age
    ):
        db.delete(session)
        db.flush()
        return None
    if now - session.last_seen_at >= TOUCH_EVERY:
        session.last_seen_at = now
    return session


def sign_out(db: Session, session: StaffSession, now: datetime) -> None:
    audit(db, session.staff, AuditAction.signed_out, now=now, clinic_id=session.clinic_id)
    db.delete(session)
    db.flush()


def choose_clinic(db: Session, session: StaffSession, slug: str, now: datetime) -> None:
    """An operator picks the clinic the console shows; staff members cannot switch."""
    if not session.staff.is_operator:
        raise InvalidValue("only an operator can choose a clinic")
    clinic = queries.clinic_by_slug(db, slug)  # UnknownClinic for a slug that is not there
    session.clinic_id = clinic.id
    session.clinic = clinic
    audit(db, session.staff, AuditAction.clinic_chosen, now=now, clinic_id=clinic.id)
