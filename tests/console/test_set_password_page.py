"""The set-password page a new account's link opens: one use, expiry, the length rule."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from urllib.parse import urlsplit

from bot.console.paths import set_password_url
from bot.services import staff as accounts
from bot.store.db import session_scope
from bot.store.staff_models import StaffRole


def new_link(console, email="new@glow.example", now=None) -> str:
    with session_scope(console.engine) as db:
        issued = accounts.add_staff(
            db,
            email=email,
            name="Nia New",
            role=StaffRole.staff,
            clinic_slug="glow",
            now=now or datetime.now(timezone.utc),
        )
    url = set_password_url(console.base, issued.token)
    return url[len(console.base) :]


def test_a_new_account_sets_its_password_then_signs_in(console):
    browser = console.client()
    page_path = new_link(console)
    assert urlsplit(page_path).path == "/set-password"
    page = browser.get(page_path)
    assert page.status_code == 200 and "new@glow.example" in page.text
    assert 'autocomplete="new-password"' in page.text
    token = page_path.split("token=", 1)[1]
    done = browser.submit(
        "/set-password",
        {"token": token, "password": "a long new password", "confirm": "a long new password"},
        page=page_path,
    )
    assert done.status_code == 303 and done.headers["Location"] == "/sign-in?password_set=1"
    assert "Your password is set" in browser.get(done.headers["Location"]).text
    assert browser.sign_in("new@glow.example", "a long new password").status_code == 303
    assert "Nia New" in browser.get("/").text

    again = console.client().get(page_path)
    assert again.status_code == 400 and "already been used" in again.text and "new-password" not in again.text


def test_the_page_says_what_is_wrong_with_a_password(console):
    browser = console.client()
    page_path = new_link(console)
    token = page_path.split("token=", 1)[1]
    short = browser.submit(
        "/set-password", {"token": token, "password": "too short", "confirm": "too short"}, page=page_path
    )
    assert short.status_code == 400 and "Use at least 12 characters." in short.text
    # The message is tied to the field, for screen readers too.
    assert 'id="password-error"' in short.text and 'aria-invalid="true"' in short.text
    assert 'aria-describedby="password-hint password-error"' in short.text
    differ = browser.submit(
        "/set-password",
        {"token": token, "password": "a long new password", "confirm": "a long new passw0rd"},
        page=page_path,
    )
    assert differ.status_code == 400 and "not the same" in differ.text
    # The link still works after a refused password.
    assert browser.get(page_path).status_code == 200


def test_an_expired_or_made_up_link_is_refused(console):
    browser = console.client()
    old = new_link(console, now=datetime.now(timezone.utc) - timedelta(hours=73))
    expired = browser.get(old)
    assert expired.status_code == 400 and "This link has expired." in expired.text
    for path in ("/set-password", "/set-password?token=made-up"):
        response = browser.get(path)
        assert response.status_code == 400 and "new set-password link" in response.text
    posted = browser.submit(
        "/set-password",
        {"token": old.split("token=", 1)[1], "password": "a long new password", "confirm": "a long new password"},
        page="/sign-in",
    )
    assert posted.status_code == 400 and "expired" in posted.text
