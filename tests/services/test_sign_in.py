"""Signing in: lockout after repeated failures (surviving a restart, the same for unknown
emails), sessions with an idle timeout and a maximum age, sign-out, audit entries."""

from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from bot.services import audit, signin, tokens
from bot.services import staff as accounts
from bot.services.signin import Outcome, SignInPolicy
from bot.store.db import make_engine
from bot.store.errors import InvalidValue, UnknownClinic
from bot.store.staff_models import AuditAction, StaffRole, StaffSession

NOW = datetime(2026, 3, 2, 15, 0, tzinfo=timezone.utc)
PASSWORD = "correct horse battery"
POLICY = SignInPolicy(
    idle=timedelta(minutes=30), max_age=timedelta(hours=12), lock_after=5, lock_for=timedelta(minutes=15)
)
EMAIL = "ana@glow.example"


def account(session, email=EMAIL, role=StaffRole.owner, clinic_slug="glow"):
    issued = accounts.add_staff(session, email=email, role=role, clinic_slug=clinic_slug, now=NOW)
    accounts.set_password(session, issued.token, PASSWORD, NOW)
    session.commit()
    return issued.staff


def attempt(session, password, when=NOW, email=EMAIL):
    result = signin.sign_in(session, email, password, when, POLICY)
    session.commit()
    return result


def test_the_right_password_opens_a_session(session, clinic):
    member = account(session)
    result = attempt(session, PASSWORD)
    assert result.outcome is Outcome.signed_in and result.staff.id == member.id
    row = session.execute(select(StaffSession)).scalar_one()
    assert row.token_digest == tokens.digest(result.token) and result.token not in row.token_digest
    assert row.clinic_id == clinic.id
    assert [e.action for e in audit.recent(session, clinic.id, 1)] == [AuditAction.signed_in]


def test_the_email_is_matched_whatever_its_case_and_spaces(session, clinic):
    account(session)
    assert attempt(session, PASSWORD, email="  ANA@Glow.Example ").outcome is Outcome.signed_in


def test_wrong_passwords_lock_the_account_and_the_lock_survives_a_restart(session, clinic, db_url):
    account(session)
    for _ in range(POLICY.lock_after - 1):
        assert attempt(session, "wrong password!").outcome is Outcome.refused
    locked = attempt(session, "wrong password!")
    assert locked.outcome is Outcome.locked and locked.locked_until == NOW + POLICY.lock_for

    # A new process (a new engine and session) finds the lock in the database; the right
    # password does not open a locked account.
    engine = make_engine(db_url)
    try:
        with Session(bind=engine, future=True) as fresh:
            later = signin.sign_in(fresh, EMAIL, PASSWORD, NOW + timedelta(minutes=14), POLICY)
            assert later.outcome is Outcome.locked
            assert fresh.execute(select(func.count()).select_from(StaffSession)).scalar_one() == 0
    finally:
        engine.dispose()

    assert attempt(session, PASSWORD, NOW + POLICY.lock_for).outcome is Outcome.signed_in
    kinds = [e.action for e in audit.recent(session, clinic.id, 20)]
    assert kinds.count(AuditAction.sign_in_failed) == 5 and kinds.count(AuditAction.account_locked) == 1


def test_an_unknown_email_locks_the_same_way(session, clinic):
    account(session)
    outcomes = [attempt(session, "whatever it is", email="nobody@glow.example").outcome for _ in range(5)]
    assert outcomes == [Outcome.refused] * 4 + [Outcome.locked]
    assert attempt(session, "x", email="nobody@glow.example").locked_until == NOW + POLICY.lock_for
    assert attempt(session, PASSWORD).outcome is Outcome.signed_in  # another name is not locked


def test_a_success_clears_the_count_and_old_failures_are_forgotten(session, clinic):
    account(session)
    for _ in range(4):
        attempt(session, "wrong password!")
    assert attempt(session, PASSWORD).outcome is Outcome.signed_in
    for _ in range(4):
        attempt(session, "wrong password!")
    # 4 failures, then 4 more after the streak went stale: no lock.
    later = NOW + POLICY.lock_for + timedelta(seconds=1)
    for _ in range(4):
        assert attempt(session, "wrong password!", later).outcome is Outcome.refused


def test_a_disabled_account_or_one_without_password_gets_the_plain_refusal(session, clinic):
    account(session)
    accounts.add_staff(session, email="new@glow.example", role=StaffRole.staff, clinic_slug="glow", now=NOW)
    accounts.disable(session, EMAIL, NOW)
    session.commit()
    assert attempt(session, PASSWORD).outcome is Outcome.refused
    assert attempt(session, "", email="new@glow.example").outcome is Outcome.refused


def test_a_session_ends_after_the_idle_timeout(session, clinic):
    account(session)
    token = attempt(session, PASSWORD).token
    # Each request within the timeout keeps it alive.
    seen = NOW
    for _ in range(4):
        seen += timedelta(minutes=29)
        assert signin.resume(session, token, seen, POLICY) is not None
        session.commit()
    assert signin.resume(session, token, seen + timedelta(minutes=30), POLICY) is None
    session.commit()
    assert session.execute(select(func.count()).select_from(StaffSession)).scalar_one() == 0


def test_a_session_ends_after_its_maximum_age_even_when_used(session, clinic):
    account(session)
    token = attempt(session, PASSWORD).token
    seen = NOW
    while seen < NOW + POLICY.max_age - timedelta(minutes=20):
        seen += timedelta(minutes=20)
        assert signin.resume(session, token, seen, POLICY) is not None
    assert signin.resume(session, token, NOW + POLICY.max_age, POLICY) is None


def test_last_seen_is_written_at_most_once_a_minute(session, clinic):
    account(session)
    token = attempt(session, PASSWORD).token
    row = signin.resume(session, token, NOW + timedelta(seconds=30), POLICY)
    assert row.last_seen_at == NOW
    row = signin.resume(session, token, NOW + timedelta(seconds=61), POLICY)
    assert row.last_seen_at == NOW + timedelta(seconds=61)


def test_unknown_and_missing_tokens_resume_nothing(session, clinic):
    account(session)
    attempt(session, PASSWORD)
    for token in (None, "", tokens.new_token()):
        assert signin.resume(session, token, NOW, POLICY) is None


def test_sign_out_deletes_the_server_session(session, clinic):
    account(session)
    token = attempt(session, PASSWORD).token
    signin.sign_out(session, signin.resume(session, token, NOW, POLICY), NOW)
    session.commit()
    assert signin.resume(session, token, NOW, POLICY) is None
    assert audit.recent(session, clinic.id, 1)[0].action is AuditAction.signed_out


def test_an_operator_chooses_a_clinic_and_staff_cannot(session, clinic):
    account(session, email="op@aftercare.example", role=StaffRole.operator, clinic_slug=None)
    account(session)
    op = signin.resume(session, attempt(session, PASSWORD, email="op@aftercare.example").token, NOW, POLICY)
    assert op.clinic_id is None
    signin.choose_clinic(session, op, "glow", NOW)
    session.commit()
    assert op.clinic_id == clinic.id
    with pytest.raises(UnknownClinic):
        signin.choose_clinic(session, op, "nowhere", NOW)
    member = signin.resume(session, attempt(session, PASSWORD).token, NOW, POLICY)
    with pytest.raises(InvalidValue):
        signin.choose_clinic(session, member, "glow", NOW)
