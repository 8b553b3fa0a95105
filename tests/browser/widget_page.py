"""The widget as a test sees it: its parts by role and name, inside its shadow root."""

from __future__ import annotations

import re

from playwright.sync_api import Page, expect

# A bot reply that would run script and draw markup if it were ever treated as HTML.
XSS = '<script>window.__pwned = 1</script><img src=x onerror="window.__pwned = 2"> <b>bold?</b>'

WIDGET = "[data-aftercare-widget]"


def launcher(page: Page):
    return page.get_by_role("button", name=re.compile(r"^Open the aftercare chat"))


def dialog(page: Page):
    return page.get_by_role("dialog", name="Glow Skin Studio")


def message_box(page: Page):
    return page.get_by_role("textbox", name="Your message")


def bot_texts(page: Page):
    return page.locator(".log .msg.bot .text")


def focused(page: Page) -> str:
    """The focused element inside the widget: its id, else its class."""
    return page.evaluate(
        """(sel) => { const a = document.querySelector(sel).shadowRoot.activeElement;
                      return a ? (a.id || a.className) : null; }""",
        WIDGET,
    )


def widget_text(page: Page) -> str:
    return page.evaluate("(sel) => document.querySelector(sel).shadowRoot.textContent", WIDGET)


def stored(page: Page) -> str:
    return page.evaluate("() => localStorage.getItem('aftercare:glow') || ''")


def ask(page: Page, text: str, replies_before: int) -> str:
    message_box(page).fill(text)
    message_box(page).press("Enter")
    expect(bot_texts(page)).to_have_count(replies_before + 1)
    return bot_texts(page).nth(replies_before).text_content()
