"""Debian's Chromium driven by Playwright (never a downloaded browser), and a stub
assistant: the real web channel served with an `on_new_message` that answers from the
test database, so the widget can be checked without a trained model."""

from __future__ import annotations

import sys
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Iterator

import pytest
from playwright.sync_api import Browser, Page, sync_playwright
from sanic import response

# webchat.py (tests/web) and widget_page.py (here), whatever the import mode.
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "web"))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from webchat import Recorder, World, chat_app, make_settings, seed, serving
from widget_page import XSS

from bot.channels.web import WebChatInput
from bot.identity import parse
from bot.store.db import ensure_schema, session_scope
from bot.store.models import Client
from tests.console.console_world import RunningConsole, Template, running_console

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1280, "height": 800}

# The clinic's own page: the one tag, from another origin than the chat server (the
# page is opened as localhost, the widget comes from 127.0.0.1), and CSS that would
# wreck the widget if it leaked in.
HOST_PAGE = """<!doctype html><html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1"><title>Glow Skin Studio</title>
<style>* {{ color: red !important; font-size: 40px !important; }} button {{ display: none !important; }}</style>
</head><body><h1>Glow Skin Studio</h1><p>Our treatments.</p>
<script src="http://127.0.0.1:{port}/webhooks/web/widget.js" data-clinic="glow" async></script>
</body></html>"""


@pytest.fixture(scope="session")
def browser() -> Iterator[Browser]:
    if not Path(CHROMIUM).exists():
        pytest.fail(f"{CHROMIUM} is missing: `make test` installs Debian's chromium package", pytrace=False)
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


@pytest.fixture(scope="session")
def console_template(tmp_path_factory) -> Template:
    """The staff console's seeded database (two clinics, staff of both, an operator)."""
    return Template.make(tmp_path_factory.mktemp("console-template"))


@pytest.fixture
def console(console_template, tmp_path) -> Iterator[RunningConsole]:
    """The staff console served on a copy of that database; sign in with
    console_page.sign_in(page, console.base, console.seeded.glow_staff)."""
    url = console_template.copy(tmp_path)
    with running_console(url, tmp_path / "data", seeded=console_template.seeded) as running:
        yield running


@pytest.fixture
def page(browser) -> Iterator[Page]:
    context = browser.new_context(viewport=DESKTOP)
    yield context.new_page()
    context.close()


@pytest.fixture
def phone_page(browser) -> Iterator[Page]:
    context = browser.new_context(viewport=PHONE, is_mobile=True, has_touch=True, device_scale_factor=2)
    yield context.new_page()
    context.close()


def stub_reply(engine):
    """What the stub assistant says: a personal answer for a verified client (their
    first name, as the real one greets), general guidance for anyone else."""

    def reply(message) -> list[str]:
        if "script" in message.text:
            return [XSS]
        sender = parse(message.sender_id)
        if sender.channel == "web":
            with session_scope(engine) as session:
                name = session.get(Client, sender.client_id).first_name
            return [f"{name}, you are 6 hours in: no makeup yet. (You said: {message.text})"]
        return [f"General guidance. When was your treatment? (You said: {message.text})"]

    return reply


@dataclass
class Stub:
    base: str  # the chat server, http://127.0.0.1:PORT
    site: str  # the clinic's page with the widget, http://localhost:PORT/site
    recorder: Recorder
    world: World
    engine: object
    settings: object
    stop: object  # stop() takes the server down: "the assistant cannot be reached"


@pytest.fixture
def stub(tmp_path) -> Iterator[Stub]:
    url = f"sqlite:///{tmp_path / 'stub.db'}"
    engine = ensure_schema(url)
    world = seed(engine, datetime.now(timezone.utc))
    settings = make_settings(url, tmp_path / "data")
    recorder = Recorder(stub_reply(engine), delay=0.6)
    app = chat_app(WebChatInput(settings=settings, engine=engine), recorder)

    @app.get("/site")
    async def site(request):
        return response.html(HOST_PAGE.format(port=request.server_port))

    server = serving(app)
    base = server.__enter__()
    port = base.rsplit(":", 1)[1]
    stopped = []

    def stop():
        if not stopped:
            stopped.append(True)
            server.__exit__(None, None, None)

    yield Stub(base, f"http://localhost:{port}/site", recorder, world, engine, settings, stop)
    stop()
    engine.dispose()
