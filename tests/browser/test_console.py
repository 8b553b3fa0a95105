"""The staff console in a real Chromium: signing in and out with the keyboard alone, the
layout at phone width, no WCAG 2.1 AA violation (axe-core), the real CSP without a
single violation, and the README's screenshots."""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest
from axe import assert_no_violations
from console_page import sign_in
from playwright.sync_api import Page, expect

from tests.console.console_world import PASSWORD

DOCS = Path(__file__).resolve().parents[2] / "docs"
# The README's screenshots are refreshed only on request (AFTERCARE_SCREENSHOT=1), so a
# test run leaves the work tree as it found it.
SCREENSHOTS = os.environ.get("AFTERCARE_SCREENSHOT") == "1"


@pytest.fixture
def csp_errors(page: Page) -> list[str]:
    """Console messages a Content-Security-Policy violation or a script error leaves (not
    the note Chromium logs for a page answered 401 or 404 on purpose)."""
    seen: list[str] = []

    def note(message) -> None:
        if message.type == "error" and not message.text.startswith("Failed to load resource: the server responded"):
            seen.append(message.text)

    page.on("console", note)
    page.on("pageerror", lambda error: seen.append(str(error)))
    return seen


def focused(page: Page) -> str:
    return page.evaluate(
        "() => { const a = document.activeElement; return (a.id || a.getAttribute('name') || a.textContent).trim(); }"
    )


def focus_outline(page: Page) -> str:
    return page.evaluate("() => getComputedStyle(document.activeElement).outlineStyle")


def tab_to(page: Page, name: str, limit: int = 12) -> None:
    for _ in range(limit):
        page.keyboard.press("Tab")
        if focused(page) == name:
            return
    raise AssertionError(f"Tab never reached {name!r}; last focused: {focused(page)!r}")


def test_sign_in_and_out_with_the_keyboard_alone(console, page, csp_errors):
    page.goto(console.base + "/")
    expect(page).to_have_url(console.base + "/sign-in")
    expect(page.get_by_role("heading", level=1)).to_have_text("Sign in")
    expect(page.get_by_label("Email")).to_be_focused()  # the form is ready to type into
    page.keyboard.type(console.seeded.glow_staff)
    page.keyboard.press("Tab")
    expect(page.get_by_label("Password")).to_be_focused()
    page.keyboard.type(PASSWORD)
    page.keyboard.press("Tab")
    assert focused(page) == "Sign in" and focus_outline(page) == "solid"  # focus is visible
    page.keyboard.press("Enter")

    expect(page).to_have_url(console.base + "/")
    expect(page.get_by_role("heading", level=1)).to_have_text("Inbox")
    expect(page.get_by_role("banner")).to_contain_text("Glow Skin Studio")
    expect(page.get_by_role("banner")).to_contain_text("Sam Rivera")
    expect(page.get_by_role("navigation", name="Console").get_by_role("link", name="Inbox")).to_have_attribute(
        "aria-current", "page"
    )

    # The skip link is the first stop and takes focus past the header.
    page.keyboard.press("Tab")
    assert focused(page) == "Skip to main content" and focus_outline(page) == "solid"
    expect(page.get_by_role("link", name="Skip to main content")).to_be_in_viewport()
    page.keyboard.press("Enter")
    expect(page.locator("main")).to_be_focused()

    page.keyboard.press("Shift+Tab")  # back up into the header, then on to its last control
    tab_to(page, "Sign out")
    page.keyboard.press("Enter")
    expect(page).to_have_url(re.compile(r"/sign-in\?signed_out=1$"))
    expect(page.get_by_role("status")).to_have_text("You have signed out.")
    page.goto(console.base + "/")
    expect(page).to_have_url(console.base + "/sign-in")
    assert csp_errors == []


def test_a_locked_account_is_told_so_in_the_page(console, page):
    page.goto(console.base + "/sign-in")
    for attempt in range(5):
        page.get_by_label("Email").fill(console.seeded.lumen_staff)
        page.get_by_label("Password").fill(f"wrong guess {attempt}")
        page.get_by_role("button", name="Sign in").click()
        expect(page.get_by_role("alert")).to_be_visible()
    expect(page.get_by_role("alert")).to_contain_text("This account is locked after too many failed sign-ins")
    expect(page.get_by_label("Email")).to_have_value(console.seeded.lumen_staff)
    expect(page.get_by_label("Password")).to_be_focused()  # ready for the next try


@pytest.mark.parametrize("width", ["desktop", "phone"])
def test_no_wcag_21_aa_violation_on_the_console_pages(console, request, width, csp_errors):
    page: Page = request.getfixturevalue("page" if width == "desktop" else "phone_page")
    page.goto(console.base + "/sign-in")
    assert_no_violations(page)
    # With an error showing too.
    page.get_by_label("Email").fill("nobody@glow.example")
    page.get_by_label("Password").fill("wrong")
    page.get_by_label("Password").press("Enter")
    expect(page.get_by_role("alert")).to_contain_text("Wrong email or password.")
    assert_no_violations(page)

    page.get_by_label("Email").fill(console.seeded.operator)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_label("Password").press("Enter")
    expect(page.get_by_role("heading", level=1)).to_have_text("Choose a clinic")
    assert_no_violations(page)
    page.get_by_role("button", name="Glow Skin Studio").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Inbox")
    assert_no_violations(page)
    page.goto(console.base + "/no-such-page")
    assert_no_violations(page)

    if width == "phone":
        # Nothing wider than the screen: no sideways scrolling.
        for path in ("/", "/clinics"):
            page.goto(console.base + path)
            assert page.evaluate("() => document.documentElement.scrollWidth") <= 390
        sign_out = page.get_by_role("button", name="Sign out")
        assert sign_out.bounding_box()["height"] >= 40
    assert csp_errors == []


@pytest.mark.parametrize("width", ["desktop", "phone"])
def test_the_set_password_page_is_accessible(console, request, width):
    from datetime import datetime, timezone

    from bot.console.paths import set_password_url
    from bot.services import staff as accounts
    from bot.store.db import session_scope
    from bot.store.staff_models import StaffRole

    page: Page = request.getfixturevalue("page" if width == "desktop" else "phone_page")
    with session_scope(console.engine) as db:
        issued = accounts.add_staff(
            db, email="new@glow.example", role=StaffRole.staff, clinic_slug="glow", now=datetime.now(timezone.utc)
        )
    page.goto(set_password_url(console.base, issued.token))
    expect(page.get_by_label("New password", exact=True)).to_be_focused()
    assert_no_violations(page)
    page.get_by_label("New password", exact=True).fill("short")
    page.get_by_label("New password again").fill("short")
    page.get_by_role("button", name="Set password").click()
    expect(page.get_by_label("New password", exact=True)).to_have_accessible_description(
        re.compile(r"At least 12 characters.*Use at least 12 characters\.")
    )
    assert_no_violations(page)


def test_the_readme_screenshots(console, page, phone_page, tmp_path):
    """The sign-in page and the signed-in home page, as the README shows them."""
    folder = DOCS if SCREENSHOTS else tmp_path
    page.goto(console.base + "/sign-in")
    expect(page.get_by_label("Email")).to_be_focused()
    page.screenshot(path=str(folder / "console-sign-in.png"))
    sign_in(phone_page, console.base, console.seeded.glow_owner)
    expect(phone_page.get_by_role("heading", level=1)).to_have_text("Inbox")
    phone_page.screenshot(path=str(folder / "console-home-phone.png"))
    assert (folder / "console-sign-in.png").stat().st_size > 5000


def test_the_browser_enforces_the_csp_and_axe_sees_a_broken_page(console, page, csp_errors):
    """Controls for the checks above: an inline script is refused (and reported), and a
    field without its label is an axe violation."""
    from axe import violations

    page.goto(console.base + "/sign-in")
    page.evaluate("""() => { const s = document.createElement('script');
                             s.textContent = 'window.__ran = 1'; document.body.append(s); }""")
    assert page.evaluate("() => window.__ran") is None
    assert any("Content Security Policy" in text for text in csp_errors), csp_errors
    page.evaluate("() => document.querySelector('label[for=email]').remove()")
    assert "label" in {found["id"] for found in violations(page)}
