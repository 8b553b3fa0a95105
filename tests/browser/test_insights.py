"""The Insights page and the review queue in Chromium: no WCAG 2.1 AA violation (axe-core)
at desktop and phone width, charts that screen readers can name, a verdict given with
the keyboard, and the README's screenshot."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Iterator
from urllib.parse import quote

import pytest
from axe import assert_no_violations
from console_page import sign_in
from playwright.sync_api import Page, expect

from tests.console.console_world import RunningConsole
from tests.insights.month import expected, running_month_console

DOCS = Path(__file__).resolve().parents[2] / "docs"
SCREENSHOTS = os.environ.get("AFTERCARE_SCREENSHOT") == "1"
MONTH = quote("/insights?days=30&until=2026-03-31", safe="/")  # as the sign-in form's next


@pytest.fixture(scope="module")
def month(tmp_path_factory) -> Iterator[RunningConsole]:
    with running_month_console(tmp_path_factory.mktemp("month")) as running:
        yield running


@pytest.mark.parametrize("width", ["desktop", "phone"])
def test_the_insights_page_is_accessible(month, request, width):
    page: Page = request.getfixturevalue("page" if width == "desktop" else "phone_page")
    sign_in(page, month.base, "olivia@glow.example", then=MONTH)
    expect(page.get_by_role("heading", level=1)).to_have_text("Insights")
    expect(page.get_by_role("img", name="Questions by topic and recovery day")).to_be_visible()
    expect(page.get_by_role("img", name="Escalations by kind")).to_be_visible()
    want = expected()
    expect(page.locator('#summary td[data-figure="client_messages"]')).to_have_text(str(want["client_messages"]))
    assert_no_violations(page)
    if width == "phone":
        assert page.evaluate("() => document.documentElement.scrollWidth") <= 390
    page.get_by_role("link", name="7 days").click()
    expect(page.get_by_role("link", name="7 days")).to_have_attribute("aria-current", "page")
    assert_no_violations(page)


def test_a_verdict_with_the_keyboard(month, page):
    sign_in(page, month.base, "sam@glow.example", then="/review")
    expect(page.get_by_role("heading", level=1)).to_have_text("Review")
    assert_no_violations(page)
    first = page.locator(".review-item").first
    text = first.locator("blockquote").inner_text()
    first.get_by_label("It asked").select_option("ask_results")
    first.get_by_role("button", name="Save").focus()
    page.keyboard.press("Enter")
    expect(page.get_by_role("status")).to_have_text("Saved.")
    expect(page.locator("table").get_by_text(text)).to_be_visible()
    assert_no_violations(page)


def test_the_readme_screenshot(month, browser, tmp_path):
    folder = DOCS if SCREENSHOTS else tmp_path
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    sign_in(page, month.base, "olivia@glow.example", then=MONTH)
    expect(page.get_by_role("heading", level=1)).to_have_text("Insights")
    page.screenshot(path=str(folder / "console-insights.png"), full_page=True)
    context.close()
    assert (folder / "console-insights.png").stat().st_size > 20000
