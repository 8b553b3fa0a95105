"""Signing in and out over HTTP against the real console app."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from urllib.parse import parse_qs, urlsplit

import pytest
from sqlalchemy import select, update

from bot.services import audit
from bot.store.db import session_scope
from bot.store.staff_models import AuditAction, StaffSession
from tests.console.console_world import PASSWORD, running_console, set_cookie_headers


def test_a_signed_out_browser_is_sent_to_sign_in_and_back(console):
    browser = console.client()
    first = browser.get("/")
    assert first.status_code == 302 and first.headers["Location"] == "/sign-in"
    deep = browser.get("/clinics?tab=all")
    assert deep.status_code == 302
    target = urlsplit(deep.headers["Location"])
    assert target.path == "/sign-in" and parse_qs(target.query) == {"next": ["/clinics?tab=all"]}

    page = browser.get(deep.headers["Location"])
    assert page.status_code == 200 and 'name="next" value="/clinics?tab=all"' in page.text
    signed = browser.sign_in(console.seeded.operator, next_page="/clinics?tab=all")
    assert signed.status_code == 303 and signed.headers["Location"] == "/clinics?tab=all"


def test_sign_in_shows_the_home_page_with_clinic_and_staff_member(console):
    browser = console.client()
    signed = browser.sign_in(console.seeded.glow_staff)
    assert signed.status_code == 303 and signed.headers["Location"] == "/"
    home = browser.get("/")
    assert home.status_code == 200
    assert "<h1>Inbox</h1>" in home.text
    assert "Glow Skin Studio" in home.text and "Sam Rivera" in home.text
    assert "Lumen" not in home.text
    assert browser.get("/sign-in").headers["Location"] == "/"  # already signed in


def test_sign_in_is_audited_with_who_and_which_clinic(console):
    console.client().sign_in(console.seeded.glow_owner)
    with session_scope(console.engine) as db:
        entry = audit.recent(db, console.seeded.glow_id, 1)[0]
        assert entry.action is AuditAction.signed_in
        assert entry.staff.email == console.seeded.glow_owner and entry.clinic_id == console.seeded.glow_id


def test_a_wrong_password_says_so_without_naming_the_cause(console):
    browser = console.client()
    wrong = browser.sign_in(console.seeded.glow_staff, "not the password")
    unknown = browser.sign_in("nobody@glow.example", "not the password")
    for response in (wrong, unknown):
        assert response.status_code == 401
        assert "Wrong email or password." in response.text
        assert "aftercare-session" not in response.headers.get("Set-Cookie", "")
    assert 'value="nobody@glow.example"' in unknown.text  # the email is kept for a retry


def test_repeated_wrong_passwords_lock_the_account_and_the_page_says_so(console, tmp_path):
    browser = console.client()
    statuses = [browser.sign_in(console.seeded.glow_staff, f"wrong {n}").status_code for n in range(5)]
    assert statuses == [401, 401, 401, 401, 423]
    locked = browser.sign_in(console.seeded.glow_staff, PASSWORD)  # the right password, too late
    assert locked.status_code == 423
    assert "This account is locked after too many failed sign-ins. Try again in 15 minutes" in locked.text
    # An email without an account gets the very same answers.
    ghost = [browser.sign_in("ghost@glow.example", f"wrong {n}") for n in range(6)]
    assert [r.status_code for r in ghost] == [401, 401, 401, 401, 423, 423]
    assert "This account is locked" in ghost[-1].text

    # A restarted console (a new app on the same database) keeps the lock.
    with running_console(
        console.settings.database_url, tmp_path / "data2", engine=console.engine, seeded=console.seeded
    ) as restarted:
        assert restarted.client().sign_in(console.seeded.glow_staff, PASSWORD).status_code == 423
        assert restarted.client().sign_in(console.seeded.glow_owner, PASSWORD).status_code == 303


def test_sign_in_attempts_are_throttled_per_account(console):
    browser = console.client()
    statuses = [browser.sign_in("target@glow.example", f"guess {n}").status_code for n in range(11)]
    assert statuses[:4] == [401] * 4 and statuses[4:10] == [423] * 6
    assert statuses[10] == 429
    assert "Too many sign-in attempts" in browser.sign_in("target@glow.example", "x").text
    assert browser.sign_in(console.seeded.glow_staff).status_code == 303  # other accounts go on


def test_sign_in_attempts_are_throttled_per_address(console):
    from bot.console.throttle import SignInThrottle

    console.app.ctx.console.throttle = SignInThrottle("memory://", per_address="3/minute")
    browser = console.client()
    statuses = [browser.sign_in(f"person{n}@glow.example", "guess").status_code for n in range(3)]
    assert statuses == [401, 401, 401]
    blocked = browser.sign_in(console.seeded.glow_staff)  # even the right password, from here
    assert blocked.status_code == 429 and "aftercare-session" not in blocked.headers.get("Set-Cookie", "")


def test_sign_out_deletes_the_server_session(console):
    browser = console.client()
    browser.sign_in(console.seeded.glow_staff)
    token = browser.cookies["aftercare-session"]
    out = browser.submit("/sign-out", page="/")
    assert out.status_code == 303 and out.headers["Location"] == "/sign-in?signed_out=1"
    cleared = set_cookie_headers(out, "aftercare-session")
    assert cleared and "Max-Age=0" in cleared[0]
    assert "You have signed out." in browser.get("/sign-in?signed_out=1").text
    with session_scope(console.engine) as db:
        assert db.execute(select(StaffSession)).scalars().all() == []
    # The old cookie, replayed, opens nothing: the session is gone from the server.
    replay = console.client()
    replay.cookies.set("aftercare-session", token)
    assert replay.get("/").status_code == 302


def test_an_idle_session_ends_and_the_page_says_why(console):
    browser = console.client()
    browser.sign_in(console.seeded.glow_staff)
    assert browser.get("/").status_code == 200
    with session_scope(console.engine) as db:
        db.execute(update(StaffSession).values(last_seen_at=datetime.now(timezone.utc) - timedelta(minutes=31)))
    ended = browser.get("/")
    assert ended.status_code == 302 and ended.headers["Location"] == "/sign-in?ended=1"
    assert "Max-Age=0" in set_cookie_headers(ended, "aftercare-session")[0]
    assert "Your session ended" in browser.get(ended.headers["Location"]).text


@pytest.mark.parametrize(
    "target", ["//evil.example/", "https://evil.example/", "/\\evil.example", "javascript:alert(1)"]
)
def test_sign_in_never_redirects_off_site(console, target):
    signed = console.client().sign_in(console.seeded.glow_staff, next_page=target)
    assert signed.status_code == 303 and signed.headers["Location"] == "/"


def test_an_operator_chooses_among_all_clinics(console):
    browser = console.client()
    browser.sign_in(console.seeded.operator)
    home = browser.get("/")
    assert home.status_code == 303 and home.headers["Location"] == "/clinics"
    choose = browser.get("/clinics")
    assert "Glow Skin Studio" in choose.text and "Lumen Clinic" in choose.text
    chosen = browser.submit("/clinics", {"clinic": "lumen"})
    assert chosen.status_code == 303 and chosen.headers["Location"] == "/"
    page = browser.get("/")
    assert page.status_code == 200 and "Lumen Clinic" in page.text and "Switch clinic" in page.text
    assert browser.submit("/clinics", {"clinic": "nowhere"}).status_code == 404
    with session_scope(console.engine) as db:
        assert audit.recent(db, console.seeded.lumen_id, 1)[0].action is AuditAction.clinic_chosen


def test_staff_cannot_choose_a_clinic(console):
    browser = console.client()
    browser.sign_in(console.seeded.glow_staff)
    assert browser.get("/clinics").status_code == 404
    token = browser.token("/")
    assert browser.post("/clinics", data={"clinic": "lumen", "csrf_token": token}).status_code == 404
    assert "Glow Skin Studio" in browser.get("/").text


@pytest.mark.parametrize("db_url", ["postgresql"], indirect=True)  # SQLite: every other test here
def test_sign_in_and_out_on_postgresql(db_url, tmp_path):
    assert db_url.startswith("postgresql")
    with running_console(db_url, tmp_path / "data") as running:
        browser = running.client()
        assert browser.sign_in(running.seeded.glow_staff).status_code == 303
        assert "Sam Rivera" in browser.get("/").text
        assert browser.submit("/sign-out", page="/").status_code == 303
        assert browser.get("/").status_code == 302


def test_signing_in_again_replaces_the_browsers_session(console):
    browser = console.client()
    browser.sign_in(console.seeded.glow_staff)
    first = browser.cookies["aftercare-session"]
    # A sign-in form left open in another tab, used by a colleague.
    assert (
        browser.post(
            "/sign-in",
            data={"email": console.seeded.glow_owner, "password": PASSWORD, "csrf_token": browser.token("/")},
        ).status_code
        == 303
    )
    assert browser.cookies["aftercare-session"] != first
    assert "Olivia Grant" in browser.get("/").text
    with session_scope(console.engine) as db:
        assert len(db.execute(select(StaffSession)).scalars().all()) == 1


def test_a_short_console_secret_is_a_one_line_error(tmp_path):
    from click.testing import CliRunner

    from bot.cli import main

    env = {
        "DATABASE_URL": f"sqlite:///{tmp_path / 'c.db'}",
        "AFTERCARE_DATA_DIR": str(tmp_path),
        "AFTERCARE_CONSOLE_SECRET": "too short",
    }
    result = CliRunner().invoke(main, ["console", "--port", "1"], env=env)
    assert result.exit_code == 2
    assert result.stderr == "error: AFTERCARE_CONSOLE_SECRET must be at least 32 characters\n"
