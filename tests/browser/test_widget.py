"""The widget in a real Chromium, on a clinic's page, against the real web channel with
a stub assistant (tests/browser/conftest.py): rendering, identity, reloads, keyboard,
ARIA, phone width, and what happens when the server is gone."""

from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone

import pytest
from axe import assert_no_violations, violations
from playwright.sync_api import expect
from webchat import SECRET
from widget_page import WIDGET, XSS, ask, bot_texts, dialog, focused, launcher, message_box, stored, widget_text

from bot import links
from bot.store.db import session_scope
from bot.store.models import Client


def link_token(stub, client_id=None, now=None) -> str:
    return links.issue_link_token(SECRET, client_id or stub.world.ana_id, "glow", now or datetime.now(timezone.utc), 14)


def test_one_tag_shows_the_clinic_name_and_colour(stub, page):
    page.goto(stub.site)
    expect(launcher(page)).to_be_visible()
    expect(launcher(page)).to_have_attribute("aria-expanded", "false")
    expect(launcher(page)).to_have_accessible_name("Open the aftercare chat with Glow Skin Studio")
    launcher(page).click()
    expect(dialog(page)).to_be_visible()
    expect(page.locator(".head")).to_have_css("background-color", "rgb(124, 58, 237)")
    expect(bot_texts(page).first).to_contain_text("Glow Skin Studio's aftercare assistant")
    expect(bot_texts(page).first).to_contain_text("(212) 555-0100")
    # The page's own CSS (40px red text, hidden buttons) does not reach into the widget.
    expect(bot_texts(page).first).to_have_css("font-size", "15px")
    expect(page.get_by_role("button", name="Send message")).to_be_visible()


def test_a_personal_link_chats_as_that_client_and_survives_a_reload(stub, page):
    page.goto(f"{stub.site}#t={link_token(stub)}")
    expect(dialog(page)).to_be_visible()  # a link opens the chat
    assert "#t=" not in page.url and "t=" not in page.evaluate("location.hash")
    message_box(page).fill("can I wear makeup?")
    message_box(page).press("Enter")
    expect(page.get_by_role("status").filter(has_text="typing")).to_have_text("Glow Skin Studio is typing\u2026")
    expect(bot_texts(page)).to_have_count(2)
    assert bot_texts(page).nth(1).text_content().startswith("Ana, you are 6 hours in")
    expect(page.get_by_role("status").filter(has_text="typing")).to_have_count(0)
    assert stub.recorder.senders == [f"web:{stub.world.ana_id}"]

    page.reload()
    expect(dialog(page)).to_be_visible()
    expect(page.locator(".log .msg.user .text")).to_have_text(["can I wear makeup?"])
    expect(bot_texts(page).nth(1)).to_contain_text("Ana, you are 6 hours in")
    assert ask(page, "and sunscreen?", 2).startswith("Ana")
    assert stub.recorder.senders == [f"web:{stub.world.ana_id}"] * 2


def test_an_anonymous_visitor_keeps_their_conversation_across_reloads(stub, page):
    page.goto(stub.site)
    launcher(page).click()
    assert ask(page, "hello", 1).startswith("General guidance")
    page.reload()
    expect(page.locator(".log .msg.user .text")).to_have_text(["hello"])
    ask(page, "again", 2)
    first, second = stub.recorder.senders
    assert first == second and first.startswith("anon:glow:")
    # The browser only holds the server's signed session token, never a bare sender id.
    assert first not in stored(page)


@pytest.mark.parametrize("kind, notice", [("forged", "isn't valid"), ("expired", "has expired")])
def test_forged_and_expired_links_get_no_personal_data(stub, page, kind, notice):
    if kind == "forged":
        token = links.issue_link_token("forged-" + "z" * 40, stub.world.ana_id, "glow", datetime.now(timezone.utc), 14)
    else:
        token = link_token(stub, now=datetime.now(timezone.utc) - timedelta(days=15))
    page.goto(f"{stub.site}#t={token}")
    expect(page.locator(".log .msg.system")).to_contain_text(notice)
    reply = ask(page, "can I wear makeup?", 1)
    assert reply.startswith("General guidance")
    assert stub.recorder.senders[0].startswith("anon:glow:")
    for private in ("Ana", "Diaz", "+12125550123"):
        assert private not in widget_text(page)
        assert private not in stored(page)
    assert token not in stored(page)  # a refused link is dropped


def test_a_revoked_link_wipes_the_personal_conversation(stub, page):
    page.goto(f"{stub.site}#t={link_token(stub, now=datetime.now(timezone.utc) - timedelta(seconds=5))}")
    assert ask(page, "can I wear makeup?", 1).startswith("Ana")
    with session_scope(stub.engine) as session:
        links.revoke_links(session, session.get(Client, stub.world.ana_id), datetime.now(timezone.utc))
    page.reload()
    expect(page.locator(".log .msg.system")).to_contain_text("no longer active")
    assert "Ana" not in widget_text(page) and "Ana" not in stored(page)
    assert ask(page, "can I wear makeup?", 1).startswith("General guidance")


def test_messages_containing_script_render_as_text(stub, page):
    page.goto(stub.site)
    launcher(page).click()
    typed = '<script>window.__pwned = 3</script><img src=y onerror="window.__pwned = 4"> a script?'
    assert ask(page, typed, 1) == XSS
    for _ in range(2):
        assert page.evaluate("window.__pwned") is None
        assert page.locator(".log script, .log img, .log b").count() == 0
        expect(bot_texts(page).nth(1)).to_have_text(XSS)
        expect(page.locator(".log .msg.user .text")).to_have_text([typed])
        page.reload()  # and again when the history is drawn from storage
        expect(dialog(page)).to_be_visible()


def test_keyboard_only(stub, page):
    page.goto(stub.site)
    expect(launcher(page)).to_be_visible()
    page.keyboard.press("Tab")
    assert focused(page) == "launcher"
    page.keyboard.press("Enter")
    expect(dialog(page)).to_be_visible()
    expect(launcher(page)).to_have_count(0)  # hidden while the chat is open
    assert focused(page) == "ac-input"
    page.keyboard.type("first line")
    page.keyboard.press("Shift+Enter")
    page.keyboard.type("second line")
    assert message_box(page).input_value() == "first line\nsecond line"
    page.keyboard.press("Enter")
    expect(bot_texts(page)).to_have_count(2)
    assert stub.recorder.messages[0].text == "first line\nsecond line"
    # Focus stays inside the dialog: input -> send -> close -> conversation -> input.
    order = []
    for _ in range(4):
        page.keyboard.press("Tab")
        order.append(focused(page))
    assert order == ["send", "close", "log", "ac-input"]
    page.keyboard.press("Shift+Tab")
    assert focused(page) == "log"
    page.keyboard.press("Escape")
    expect(dialog(page)).to_be_hidden()
    assert focused(page) == "launcher"
    expect(launcher(page)).to_have_attribute("aria-expanded", "false")


@pytest.mark.parametrize("width", ["desktop", "phone"])
def test_no_wcag_21_aa_violation_in_the_widget(stub, request, width):
    """axe-core over the widget (its open shadow root included): closed, then open with
    a conversation and an error notice."""
    page = request.getfixturevalue("page" if width == "desktop" else "phone_page")
    page.goto(stub.site)
    expect(launcher(page)).to_be_visible()
    assert_no_violations(page, WIDGET)
    launcher(page).click()
    expect(dialog(page)).to_be_visible()
    ask(page, "can I wear makeup?", 1)
    message_box(page).fill("a" * 1001)  # the length notice, tied to the box
    expect(page.locator(".hint")).to_be_visible()
    assert_no_violations(page, WIDGET)
    # A control: axe does look inside the shadow root (a button without a name is found).
    page.evaluate(
        "(sel) => document.querySelector(sel).shadowRoot.querySelector('.close').removeAttribute('aria-label')", WIDGET
    )
    assert "button-name" in {found["id"] for found in violations(page, WIDGET)}


def test_aria_roles_and_names(stub, page):
    page.goto(stub.site)
    launcher(page).click()
    expect(dialog(page)).to_have_attribute("aria-modal", "true")
    log = page.get_by_role("log", name="Conversation")
    expect(log).to_have_attribute("aria-live", "polite")
    expect(message_box(page)).to_be_focused()
    expect(page.get_by_role("button", name="Send message")).to_be_visible()
    expect(page.get_by_role("button", name="Close chat")).to_be_visible()
    ask(page, "hello", 1)
    # Each message says who spoke, for screen readers.
    expect(log.locator(".msg.user")).to_have_text(["You: hello"])
    expect(log.locator(".msg.bot").nth(1)).to_contain_text("Glow Skin Studio: General guidance")


def test_at_phone_width_the_chat_fills_the_screen(stub, phone_page, tmp_path):
    page = phone_page
    page.goto(stub.site)
    box = launcher(page).bounding_box()
    assert box["height"] >= 44 and box["x"] + box["width"] <= 390 and box["y"] + box["height"] <= 844
    launcher(page).tap()
    expect(dialog(page)).to_be_visible()
    assert dialog(page).bounding_box() == {"x": 0, "y": 0, "width": 390, "height": 844}
    for control in (
        message_box(page),
        page.get_by_role("button", name="Send message"),
        page.get_by_role("button", name="Close chat"),
    ):
        area = control.bounding_box()
        assert area["height"] >= 44 and area["x"] >= 0 and area["x"] + area["width"] <= 390
        assert area["y"] >= 0 and area["y"] + area["height"] <= 844
    expect(message_box(page)).to_have_css("font-size", "16px")  # no zoom-on-focus on iOS
    message_box(page).fill("can I wear makeup?")
    page.get_by_role("button", name="Send message").tap()
    expect(bot_texts(page)).to_have_count(2)
    page.screenshot(path=str(tmp_path / "phone.png"))


def test_when_the_server_is_gone_the_clinic_phone_is_shown(stub, page):
    page.goto(stub.site)
    launcher(page).click()
    expect(bot_texts(page).first).to_contain_text("(212) 555-0100")  # the clinic card arrived
    stub.stop()
    message_box(page).fill("my face is very swollen")
    message_box(page).press("Enter")
    alert = page.get_by_role("alert")
    expect(alert).to_contain_text("can't be reached")
    expect(alert).to_contain_text("call Glow Skin Studio at (212) 555-0100")
    expect(alert.get_by_role("link", name="(212) 555-0100")).to_have_attribute("href", "tel:+12125550100")
    expect(page.locator(".log .msg.user.failed")).to_contain_text("Not sent")
    expect(message_box(page)).to_have_value("my face is very swollen")  # ready to send again
    expect(page.get_by_role("status").filter(has_text="typing")).to_have_count(0)


def test_an_overlong_message_is_explained_and_not_sent(stub, page):
    page.goto(stub.site)
    launcher(page).click()
    message_box(page).fill("a" * 1001)
    expect(page.locator(".hint")).to_have_text("Your message is 1001 characters; the limit is 1000. Please shorten it.")
    expect(message_box(page)).to_have_attribute("aria-invalid", "true")
    message_box(page).press("Enter")
    page.wait_for_timeout(300)
    assert stub.recorder.messages == []
    assert json.loads(stored(page))["history"] == []
