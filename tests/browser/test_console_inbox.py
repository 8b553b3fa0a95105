"""The staff console against the real assistant, in Chromium: one served stack for the
module (the trained model, the action server and `rasa run` with our channels, the
local Twilio-compatible server, and the console, all on one SQLite file seeded with the
demo clinic, Ana and the demo staff account).

A red flag by SMS and one in the widget appear under needs-attention without a reload;
the staff member takes over and replies (the reply reaches Twilio To the client, From
the clinic's number; in the widget it appears labelled with their first name); the
client's next message gets no assistant answer and shows in the inbox; after hand-back
the assistant answers again. Then axe-core on the inbox and a conversation at desktop
and phone width, and the README's screenshots."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import time
from pathlib import Path

import pytest
import requests
from axe import assert_no_violations
from console_page import sign_in
from playwright.sync_api import Page, expect
from sanic import Sanic
from widget_page import bot_texts, dialog, message_box

from bot import config
from bot.console.app import create_app
from bot.devtools.twilio_server import FORM_TYPE, FakeTwilio, form_body, inbound_params
from bot.store.db import make_engine
from tests import assistant
from tests.fakes import sms_world
from tests.fakes.sanic_server import serving

ROOT = Path(__file__).resolve().parents[2]
AFTERCARE = str(Path(sys.executable).with_name("aftercare"))
ANA, CLINIC = "+12125550123", "+12125550100"  # bot/cli/demo.py: the demo client, the clinic's number
STAFF_EMAIL = "staff@glow.example"  # the demo staff account (Sam Rivera)
DOCS = ROOT / "docs"
SCREENSHOTS = os.environ.get("AFTERCARE_SCREENSHOT") == "1"
SEEN_WITHIN = 5_000  # ms: a new item shows without a reload


class Stack:
    def __init__(self, running, twilio: FakeTwilio, console_base: str) -> None:
        self.running, self.twilio, self.console = running, twilio, console_base
        self.sids = 0
        self.password = (Path(running.env["AFTERCARE_DATA_DIR"]) / "demo_staff_password").read_text().strip()[:20]

    def text(self, body: str, sender: str = ANA) -> None:
        """A signed SMS from Ana to the clinic, as Twilio posts it; returns once handled."""
        self.sids += 1
        params = inbound_params(self.twilio.account_sid, f"SM{self.sids:032x}", sender, CLINIC, body)
        url = self.running.base_url + "/webhooks/twilio/webhook"
        headers = {"X-Twilio-Signature": sms_world.sign(url, params, self.twilio.auth_token), "Content-Type": FORM_TYPE}
        assert requests.post(url, data=form_body(params), headers=headers, timeout=30).status_code == 200

    def texted(self) -> list[dict]:
        return self.twilio.sent_to(ANA)

    def link(self) -> str:
        result = subprocess.run(
            [AFTERCARE, "link", "--phone", ANA], env=self.running.env, cwd=ROOT, capture_output=True, text=True
        )
        assert result.returncode == 0, result.stderr
        return result.stdout.strip()


@pytest.fixture(scope="module")
def stack(tmp_path_factory):
    twilio = FakeTwilio().start()
    folder = tmp_path_factory.mktemp("console-stack")
    running = assistant.start(folder, extra_env=twilio.env())
    settings = config.from_env(running.env)
    engine = make_engine(running.database_url)
    Sanic.test_mode = True
    try:
        with serving(create_app(settings, engine)) as base:
            stack = Stack(running, twilio, base)
            # A first message wakes the model up (a cold first turn may outlast the SMS
            # channel's 8 seconds on a busy machine); it comes from a number nobody knows.
            stack.text("hello, is this the clinic?", sender="+12125550999")
            yield stack
    finally:
        running.stop()
        twilio.stop()
        engine.dispose()


def attention(page: Page):
    return page.get_by_role("region", name=re.compile("^Needs attention"))


def signed_in(page: Page, stack: Stack) -> Page:
    sign_in(page, stack.console, STAFF_EMAIL, stack.password)
    expect(page.get_by_role("heading", level=1)).to_have_text("Inbox")
    return page


def open_conversation(page: Page, name: str = "Ana Diaz") -> None:
    page.get_by_role("region", name="Conversations").get_by_role("link", name=name).click()
    expect(page.get_by_role("heading", level=1)).to_have_text(name)


def wait_for_texts(stack: Stack, count: int, timeout: float = 20) -> list[dict]:
    deadline = time.monotonic() + timeout
    while len(stack.texted()) < count and time.monotonic() < deadline:
        time.sleep(0.1)
    return stack.texted()


def test_sms_red_flag_take_over_reply_and_hand_back(stack, page):
    signed_in(page, stack)
    stack.text("my lips are swelling up and it's hard to breathe")
    item = attention(page).get_by_role("listitem").filter(has_text="my lips are swelling up")
    expect(item.filter(has_text="Red flag")).to_be_visible(timeout=SEEN_WITHIN)  # no reload
    escalation = stack.texted()[-1]["body"]
    assert "contact Glow Skin Studio now" in escalation or "Please contact" in escalation

    open_conversation(page)
    page.get_by_role("button", name="Take over").click()
    expect(page.get_by_text("has taken over")).to_be_visible()
    before = len(stack.texted())
    page.get_by_label("Your reply to Ana").fill(
        "Hi Ana, this is Sam at Glow. Please come in now, we are expecting you."
    )
    page.get_by_role("button", name="Send reply").click()
    expect(page.locator(".message-staff").last).to_contain_text("Please come in now")
    sent = wait_for_texts(stack, before + 1)[before:]
    # The take-over's notice went when Sam took over; this is the reply, From the clinic's number.
    assert [(m["to"], m["from"], m["body"]) for m in sent] == [
        (ANA, CLINIC, "Hi Ana, this is Sam at Glow. Please come in now, we are expecting you.")
    ]
    assert any("Sam from Glow Skin Studio has joined" in m["body"] for m in stack.texted())

    before = len(stack.texted())
    stack.text("ok I'm on my way, thank you")
    time.sleep(1.0)  # any answer would have been sent before the webhook returned
    assert len(stack.texted()) == before  # the assistant kept quiet
    expect(page.locator(".message-client").last).to_contain_text("ok I'm on my way", timeout=SEEN_WITHIN)
    page.get_by_role("link", name="Back to the inbox").click()
    conversations = page.get_by_role("region", name="Conversations")
    expect(conversations.get_by_role("listitem").filter(has_text="Ana Diaz")).to_contain_text("ok I'm on my way")
    expect(attention(page).get_by_role("listitem").filter(has_text="Written during take-over")).to_contain_text(
        "ok I'm on my way"
    )

    open_conversation(page)
    before = len(stack.texted())
    page.get_by_role("button", name="Hand back to the assistant").click()
    expect(page.get_by_text("The assistant answers Ana.")).to_be_visible()
    [back] = wait_for_texts(stack, before + 1)[before:]
    assert (back["from"], "assistant again" in back["body"]) == (CLINIC, True)
    stack.text("can I wear makeup tomorrow?")
    [answer] = wait_for_texts(stack, before + 2)[before + 1 :]
    assert "makeup" in answer["body"].lower() and answer["from"] == CLINIC


def test_widget_red_flag_take_over_reply_and_hand_back(stack, browser, page):
    signed_in(page, stack)
    client = browser.new_context(viewport={"width": 390, "height": 844}, is_mobile=True, has_touch=True)
    widget = client.new_page()
    try:
        widget.goto(stack.link())
        expect(dialog(widget)).to_be_visible()
        replies = bot_texts(widget).count()
        message_box(widget).fill("there is yellow pus on my cheek and I have a fever")
        message_box(widget).press("Enter")
        expect(bot_texts(widget)).to_have_count(replies + 1, timeout=60_000)
        item = attention(page).get_by_role("listitem").filter(has_text="yellow pus on my cheek")
        expect(item.filter(has_text="Red flag")).to_be_visible(timeout=SEEN_WITHIN)

        open_conversation(page)
        expect(page.get_by_text("appears in Ana's web chat")).to_be_visible()
        page.get_by_role("button", name="Take over").click()
        page.get_by_label("Your reply to Ana").fill("Ana, Sam here: please call us right away.")
        page.get_by_role("button", name="Send reply").click()
        staff_reply = widget.locator(".log .msg.staff")
        expect(staff_reply).to_contain_text("Ana, Sam here: please call us right away.", timeout=10_000)
        expect(staff_reply.locator(".from")).to_have_text("Sam, Glow Skin Studio")
        expect(widget.locator(".log .msg.system").last).to_contain_text("Sam from Glow Skin Studio has joined")

        replies = bot_texts(widget).count()
        message_box(widget).fill("calling now")
        message_box(widget).press("Enter")
        expect(widget.locator(".log .msg.user").last).to_have_text(re.compile("calling now"))
        expect(widget.get_by_role("status").filter(has_text="typing")).to_have_count(0, timeout=30_000)
        assert bot_texts(widget).count() == replies  # no assistant answer
        expect(page.locator(".message-client").last).to_contain_text("calling now", timeout=SEEN_WITHIN)

        page.get_by_role("button", name="Hand back to the assistant").click()
        expect(widget.locator(".log .msg.system").last).to_contain_text("assistant again", timeout=10_000)
        replies = bot_texts(widget).count()
        message_box(widget).fill("is peeling normal?")
        message_box(widget).press("Enter")
        expect(bot_texts(widget)).to_have_count(replies + 1, timeout=60_000)
        assert "peel" in bot_texts(widget).last.text_content().lower()
    finally:
        client.close()


@pytest.mark.parametrize("width", ["desktop", "phone"])
def test_no_wcag_21_aa_violation_on_the_inbox_and_a_conversation(stack, request, width, tmp_path):
    page: Page = request.getfixturevalue("page" if width == "desktop" else "phone_page")
    signed_in(page, stack)
    if not attention(page).get_by_role("listitem").count():
        stack.text("my lips are swelling up and it's hard to breathe")
        expect(attention(page).get_by_role("listitem").first).to_be_visible(timeout=SEEN_WITHIN)
    assert_no_violations(page)
    folder = DOCS if SCREENSHOTS else tmp_path
    page.screenshot(path=str(folder / f"console-inbox-{width}.png"), full_page=width == "desktop")
    open_conversation(page)
    assert_no_violations(page)
    if width == "phone":
        assert page.evaluate("() => document.documentElement.scrollWidth") <= 390  # no sideways scrolling
    page.screenshot(path=str(folder / f"console-conversation-{width}.png"))
    assert (folder / f"console-conversation-{width}.png").stat().st_size > 5000
