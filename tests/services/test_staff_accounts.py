"""Staff accounts and set-password links: one use, expiry, replacement, disabling."""

from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import func, select

from bot.services import passwords, signin
from bot.services import staff as accounts
from bot.services.staff import InvalidLink
from bot.store.errors import DuplicateStaff, InvalidValue, UnknownClinic, UnknownStaff
from bot.store.staff_models import AuditAction, AuditEntry, PasswordLink, StaffRole, StaffSession

NOW = datetime(2026, 3, 2, 15, 0, tzinfo=timezone.utc)
PASSWORD = "correct horse battery"
POLICY = signin.SignInPolicy()


def add(session, email="Ana@Glow.example", **kwargs):
    options = {"role": StaffRole.owner, "clinic_slug": "glow", "name": "Ana Owner", "now": NOW, **kwargs}
    issued = accounts.add_staff(session, email=email, **options)
    session.commit()
    return issued


def actions(session):
    return [e.action for e in session.execute(select(AuditEntry).order_by(AuditEntry.id)).scalars()]


def test_a_new_account_has_no_password_until_its_link_is_used(session, clinic):
    issued = add(session)
    member = issued.staff
    assert (member.email, member.role, member.clinic_id, member.password_hash) == (
        "ana@glow.example",
        StaffRole.owner,
        clinic.id,
        None,
    )
    assert issued.expires_at == NOW + timedelta(hours=72)
    # Only the digest is stored.
    stored = session.execute(select(PasswordLink.token_digest)).scalar_one()
    assert issued.token not in stored and len(stored) == 64
    assert accounts.staff_for_link(session, issued.token, NOW).id == member.id

    accounts.set_password(session, issued.token, PASSWORD, NOW + timedelta(minutes=5))
    session.commit()
    assert passwords.verify(member.password_hash, PASSWORD)
    assert actions(session) == [AuditAction.staff_added, AuditAction.password_link_issued, AuditAction.password_set]


def test_a_link_works_once(session, clinic):
    issued = add(session)
    accounts.set_password(session, issued.token, PASSWORD, NOW)
    session.commit()
    with pytest.raises(InvalidLink, match="already been used"):
        accounts.set_password(session, issued.token, "another long password", NOW)
    with pytest.raises(InvalidLink):
        accounts.staff_for_link(session, issued.token, NOW)
    assert passwords.verify(issued.staff.password_hash, PASSWORD)


def test_a_link_expires_after_72_hours(session, clinic):
    issued = add(session)
    assert accounts.staff_for_link(session, issued.token, NOW + timedelta(hours=71, minutes=59))
    with pytest.raises(InvalidLink, match="expired"):
        accounts.set_password(session, issued.token, PASSWORD, NOW + timedelta(hours=72))
    assert issued.staff.password_hash is None


def test_a_new_link_replaces_the_old_one(session, clinic):
    first = add(session)
    second = accounts.issue_password_link(session, "ana@glow.example", NOW + timedelta(hours=1))
    session.commit()
    with pytest.raises(InvalidLink, match="replaced"):
        accounts.set_password(session, first.token, PASSWORD, NOW + timedelta(hours=2))
    accounts.set_password(session, second.token, PASSWORD, NOW + timedelta(hours=2))


def test_a_forged_or_empty_token_is_refused(session, clinic):
    add(session)
    for token in ("", "nope", "A" * 43):
        with pytest.raises(InvalidLink):
            accounts.staff_for_link(session, token, NOW)


def test_a_weak_password_leaves_the_link_usable(session, clinic):
    issued = add(session)
    with pytest.raises(passwords.WeakPassword):
        accounts.set_password(session, issued.token, "short", NOW)
    session.rollback()
    accounts.set_password(session, issued.token, PASSWORD, NOW)


def test_setting_a_password_ends_every_session_and_lifts_a_lock(session, clinic):
    issued = add(session)
    accounts.set_password(session, issued.token, PASSWORD, NOW)
    assert signin.sign_in(session, "ana@glow.example", PASSWORD, NOW, POLICY).outcome is signin.Outcome.signed_in
    for _ in range(POLICY.lock_after):
        signin.sign_in(session, "ana@glow.example", "wrong password!", NOW, POLICY)
    session.commit()
    assert accounts.is_locked(session, issued.staff, NOW)

    reset = accounts.issue_password_link(session, "ana@glow.example", NOW)
    accounts.set_password(session, reset.token, "a brand new password", NOW)
    session.commit()
    assert session.execute(select(func.count()).select_from(StaffSession)).scalar_one() == 0
    assert not accounts.is_locked(session, issued.staff, NOW)
    assert signin.sign_in(session, "ana@glow.example", "a brand new password", NOW, POLICY).staff.id == issued.staff.id


def test_emails_are_unique_whatever_their_case(session, clinic):
    add(session)
    with pytest.raises(DuplicateStaff):
        add(session, email="ANA@glow.example")
    session.rollback()
    assert [m.email for m in accounts.list_staff(session)] == ["ana@glow.example"]


@pytest.mark.parametrize(
    "kwargs, message",
    [
        ({"email": "not-an-email"}, "not an email"),
        ({"clinic_slug": None}, "needs a clinic"),
        ({"role": StaffRole.operator}, "no clinic"),
        ({"role": "admin"}, "unknown role"),
    ],
)
def test_bad_accounts_are_refused(session, clinic, kwargs, message):
    with pytest.raises(InvalidValue, match=message):
        add(session, **kwargs)


def test_an_unknown_clinic_is_refused(session, clinic):
    with pytest.raises(UnknownClinic):
        add(session, clinic_slug="nowhere")


def test_an_operator_belongs_to_no_clinic(session, clinic):
    issued = add(session, email="op@aftercare.example", role=StaffRole.operator, clinic_slug=None)
    assert issued.staff.clinic_id is None and issued.staff.is_operator


def test_disabling_ends_sessions_and_links_and_keeps_the_row(session, clinic):
    issued = add(session)
    accounts.set_password(session, issued.token, PASSWORD, NOW)
    signin.sign_in(session, "ana@glow.example", PASSWORD, NOW, POLICY)
    pending = accounts.issue_password_link(session, "ana@glow.example", NOW)
    accounts.disable(session, "ana@glow.example", NOW)
    session.commit()
    assert session.execute(select(func.count()).select_from(StaffSession)).scalar_one() == 0
    with pytest.raises(InvalidLink):
        accounts.set_password(session, pending.token, "a brand new password", NOW)
    assert signin.sign_in(session, "ana@glow.example", PASSWORD, NOW, POLICY).outcome is signin.Outcome.refused
    assert accounts.find_staff(session, "ana@glow.example").disabled
    with pytest.raises(UnknownStaff):
        accounts.disable(session, "nobody@glow.example", NOW)


def test_listing_by_clinic(session, clinic):
    from bot.services import clinics

    clinics.add(session, "other", "Other", "+442071838750", "Europe/London")
    add(session)
    add(session, email="bo@other.example", clinic_slug="other", role=StaffRole.staff)
    add(session, email="op@aftercare.example", role=StaffRole.operator, clinic_slug=None)
    assert [m.email for m in accounts.list_staff(session, "glow")] == ["ana@glow.example"]
    assert {m.email for m in accounts.list_staff(session)} == {
        "ana@glow.example",
        "bo@other.example",
        "op@aftercare.example",
    }
