"""The console's security guarantees, over HTTP against the real app: CSRF on every
POST, cookie flags, security headers, clinic scoping (404 for another clinic's ids),
default-deny routing, and bad input answered without a server error."""

from __future__ import annotations

import re
import uuid

import pytest
import requests
from sqlalchemy import select

from bot.console import security
from bot.console.throttle import SignInThrottle
from bot.store.db import session_scope
from bot.store.staff_models import AuditAction, AuditEntry
from tests.console.console_world import PASSWORD, running_console, set_cookie_headers

POSTS = ["/sign-in", "/sign-out", "/set-password", "/clinics"]


@pytest.mark.parametrize("path", POSTS)
def test_a_post_without_the_csrf_token_gets_403(console, path):
    browser = console.client()
    browser.sign_in(console.seeded.operator)
    response = browser.post(path, data={"email": console.seeded.glow_staff, "password": PASSWORD, "clinic": "glow"})
    assert response.status_code == 403
    assert "came from another site" in response.text


def test_a_wrong_or_foreign_csrf_token_gets_403_and_changes_nothing(console):
    victim, attacker = console.client(), console.client()
    victim.sign_in(console.seeded.glow_staff)
    attacker.sign_in(console.seeded.lumen_staff)
    foreign = attacker.token("/")
    assert victim.post("/sign-out", data={"csrf_token": foreign}).status_code == 403
    assert victim.post("/sign-out", data={"csrf_token": "x" * 43}).status_code == 403
    assert victim.get("/").status_code == 200  # still signed in


def test_the_csrf_token_is_accepted_from_the_htmx_header(console):
    browser = console.client()
    browser.sign_in(console.seeded.glow_staff)
    token = browser.token("/")
    assert f'hx-headers=\'{{"X-CSRF-Token": "{token}"}}\'' in browser.get("/").text
    out = browser.post("/sign-out", headers={security.CSRF_HEADER: token})
    assert out.status_code == 303


def test_a_new_session_gets_a_new_csrf_token(console):
    browser = console.client()
    before = browser.token("/sign-in")
    browser.sign_in(console.seeded.glow_staff)
    after = browser.token("/")
    assert before != after
    assert browser.post("/sign-out", data={"csrf_token": before}).status_code == 403


def test_cookies_are_httponly_and_samesite_lax_and_not_secure_over_http(console):
    browser = console.client()
    pre = set_cookie_headers(browser.get("/sign-in"), "aftercare-pre")
    signed = browser.sign_in(console.seeded.glow_staff)
    session = set_cookie_headers(signed, "aftercare-session")
    for header in (pre[0], session[0]):
        flags = {part.strip().lower() for part in header.split(";")[1:]}
        assert {"httponly", "samesite=lax", "path=/"} <= flags
        assert "secure" not in flags
    assert "Max-Age" not in session[0] and "Expires" not in session[0]  # ends with the browser too


@pytest.mark.parametrize("env", [{"CONSOLE_URL": "https://console.example"}, {"PUBLIC_URL": "https://chat.example"}])
def test_cookies_are_secure_and_host_prefixed_when_served_over_https(console, tmp_path, env):
    with running_console(
        console.settings.database_url, tmp_path / "https", engine=console.engine, seeded=console.seeded, **env
    ) as running:
        browser = running.client()
        page = browser.get("/sign-in")
        assert page.headers["Strict-Transport-Security"] == "max-age=31536000"
        pre = set_cookie_headers(page, "__Host-aftercare-pre")[0]
        # requests keeps Secure cookies off plain http, as a browser would: send it by hand.
        token = re.search(r'name="csrf_token" value="([^"]+)"', page.text).group(1)
        cookie = pre.split(";", 1)[0]
        signed = requests.post(
            running.base + "/sign-in",
            allow_redirects=False,
            headers={"Cookie": cookie},
            data={"email": console.seeded.glow_staff, "password": PASSWORD, "csrf_token": token},
        )
        assert signed.status_code == 303
        for header in (pre, set_cookie_headers(signed, "__Host-aftercare-session")[0]):
            flags = {part.strip().lower() for part in header.split(";")[1:]}
            assert {"httponly", "samesite=lax", "secure", "path=/"} <= flags
            assert "domain" not in header.lower()


@pytest.mark.parametrize("path", ["/", "/sign-in", "/no-such-page", "/static/console.css"])
def test_security_headers_on_every_response(console, path):
    browser = console.client()
    browser.sign_in(console.seeded.glow_staff)
    headers = browser.get(path).headers
    policy = headers["Content-Security-Policy"]
    assert "script-src 'self'" in policy and "unsafe-inline" not in policy and "unsafe-eval" not in policy
    assert "frame-ancestors 'none'" in policy and "default-src 'none'" in policy
    assert headers["X-Content-Type-Options"] == "nosniff"
    assert headers["Referrer-Policy"] == "no-referrer"
    assert headers["X-Frame-Options"] == "DENY"
    assert "Strict-Transport-Security" not in headers  # plain http here
    if not path.startswith("/static/"):
        assert headers["Cache-Control"] == "no-store"


def test_pages_have_no_inline_script_or_style(console):
    browser = console.client()
    pages = [browser.get("/sign-in").text]
    browser.sign_in(console.seeded.operator)
    pages += [browser.get("/clinics").text]
    browser.submit("/clinics", {"clinic": "glow"})
    pages += [browser.get("/").text, browser.get("/nowhere").text]
    for html in pages:
        assert not re.search(r"<script(?![^>]*\bsrc=)", html), "inline script"
        assert "<style" not in html and " style=" not in html and " on" + "click=" not in html


def test_staff_see_their_own_clinics_clients_and_get_404_for_every_other_id(console):
    seeded = console.seeded
    glow, lumen = console.client(), console.client()
    glow.sign_in(seeded.glow_staff)
    lumen.sign_in(seeded.lumen_staff)
    assert glow.get(f"/probe/clients/{seeded.ana_id}").text == "Ana Diaz"
    assert lumen.get(f"/probe/clients/{seeded.ben_id}").text == "Ben Okafor"
    for client_id in range(0, max(seeded.ana_id, seeded.ben_id) + 3):
        if client_id != seeded.ana_id:
            other = glow.get(f"/probe/clients/{client_id}")
            assert other.status_code == 404 and "Ben" not in other.text
        if client_id != seeded.ben_id:
            assert lumen.get(f"/probe/clients/{client_id}").status_code == 404
    with session_scope(console.engine) as db:
        opened = (
            db.execute(
                select(AuditEntry).where(AuditEntry.action == AuditAction.conversation_opened).order_by(AuditEntry.id)
            )
            .scalars()
            .all()
        )
        assert [(e.clinic_id, e.client_id) for e in opened] == [
            (seeded.glow_id, seeded.ana_id),
            (seeded.lumen_id, seeded.ben_id),
        ]


def test_an_operator_sees_only_the_clinic_chosen(console):
    seeded = console.seeded
    browser = console.client()
    browser.sign_in(seeded.operator)
    first = browser.get(f"/probe/clients/{seeded.ana_id}")
    assert first.status_code == 303 and first.headers["Location"] == "/clinics"
    browser.submit("/clinics", {"clinic": "lumen"})
    assert browser.get(f"/probe/clients/{seeded.ben_id}").text == "Ben Okafor"
    assert browser.get(f"/probe/clients/{seeded.ana_id}").status_code == 404
    browser.submit("/clinics", {"clinic": "glow"})
    assert browser.get(f"/probe/clients/{seeded.ana_id}").text == "Ana Diaz"


def test_every_route_is_a_console_view_and_signed_out_gets_sign_in(console):
    """Default deny: a page added without @view would fail here; every signed-in page,
    asked for by a signed-out browser, answers with the sign-in page."""
    browser = console.client()
    checked = 0
    for route in console.app.router.routes:
        if route.name.endswith(".static") or route.path.startswith("static"):
            continue
        marker = getattr(route.handler, "console_view", None)
        assert marker is not None, f"/{route.path} is not a @view"
        path = "/" + re.sub(r"<[^>]+>", "1", route.path)
        for method in route.methods:
            if marker["public"]:
                continue
            if method == "GET":
                response = browser.get(path)
                assert response.status_code == 302, path
                assert response.headers["Location"].startswith("/sign-in"), path
            else:
                token = browser.token("/sign-in")
                response = browser.request(method, path, data={"csrf_token": token})
                assert response.status_code in (302, 303), path
                assert response.headers["Location"].startswith("/sign-in"), path
            checked += 1
    assert checked >= 4  # /, /sign-out, /clinics (GET, POST), the probe


@pytest.mark.parametrize(
    "body, content_type",
    [
        (b"\xff\xfe\x00garbage=%%%&csrf_token=TOKEN", "application/x-www-form-urlencoded"),
        (b"--x\r\nnot multipart", "multipart/form-data; boundary=x"),
        (b'{"email": 1}', "application/json"),
    ],
)
def test_malformed_posts_get_a_clear_4xx(console, body, content_type):
    browser = console.client()
    token = browser.token("/sign-in").encode()
    response = browser.post("/sign-in", data=body.replace(b"TOKEN", token), headers={"Content-Type": content_type})
    assert 400 <= response.status_code < 500 and "<h1>" in response.text


def test_undecodable_form_values_are_a_wrong_password_not_an_error(console):
    browser = console.client()
    token = browser.token("/sign-in")
    body = f"email=%FF%FE%00&password=%FF%00&csrf_token={token}"
    response = browser.post("/sign-in", data=body, headers={"Content-Type": "application/x-www-form-urlencoded"})
    assert response.status_code == 401 and "Wrong email or password." in response.text


def test_an_oversized_post_is_refused(console):
    browser = console.client()
    response = browser.post("/sign-in", data={"email": "x" * (3 * 1024 * 1024)})
    assert response.status_code == 413


def test_the_sign_in_throttle_can_be_shared_through_redis():
    url = "redis://127.0.0.1:6379/0"
    one, two = SignInThrottle(url, per_address="3/minute"), SignInThrottle(url, per_address="3/minute")
    address = f"test-{uuid.uuid4().hex}"  # this run's own counters
    assert [one.allow(address, f"p{n}@x.example") for n in range(3)] == [True] * 3
    assert not two.allow(address, "q@x.example")  # the other process sees the count
    local = SignInThrottle("memory://", per_address="3/minute")
    assert local.allow(address, "q@x.example")
