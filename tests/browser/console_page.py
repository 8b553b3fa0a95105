"""The staff console as a browser test sees it: signing in through the real form."""

from __future__ import annotations

from playwright.sync_api import Page, expect

from tests.console.console_world import PASSWORD


def sign_in(page: Page, base: str, email: str, password: str = PASSWORD, then: str = "/") -> None:
    """Sign in through the sign-in page and land on `then` (a path of the console)."""
    page.goto(f"{base}/sign-in?next={then}")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("button", name="Sign out")).to_be_visible()
