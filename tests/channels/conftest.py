"""The signed Twilio channel served for real on localhost, a recording assistant, the
fake Twilio REST server it answers through (whose status callbacks reach the channel, as
behind a proxy), and helpers to post webhooks as Twilio does: the parameters Twilio sends,
form-encoded, signed over the bytes that are sent. And the bookings channel, with the local
Acuity-compatible server behind it."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import Optional

import pytest
import requests

from bot.channels.bookings import BookingsInput
from bot.channels.twilio import SignedTwilioInput
from bot.devtools import twilio_server
from bot.devtools.acuity_server import FakeAcuity
from bot.devtools.twilio_server import FORM_TYPE, FakeTwilio
from bot.store.db import session_scope
from tests.fakes import bookings_world, sms_world
from tests.fakes.sanic_server import Recorder, channel_app, serving

WEBHOOK = sms_world.WEBHOOK


@dataclass
class SmsLine:
    base_url: str
    engine: object
    twilio: FakeTwilio
    recorder: Recorder
    client_id: int
    token: str
    sid_counter: int = 0

    def next_sid(self, prefix: str = "SM") -> str:
        self.sid_counter += 1
        return f"{prefix}{self.sid_counter:032x}"

    def inbound(
        self, body: str = "", sender: str = sms_world.CLIENT_PHONE, to: str = sms_world.CLINIC_SMS, media=(), **shape
    ) -> list:
        """An inbound SMS (or MMS, with `media`: (content type, URL) pairs) exactly as Twilio
        posts it: every parameter, in Twilio's order, unknown places as empty fields."""
        sid = self.next_sid("MM" if media else "SM")
        return twilio_server.inbound_params(self.twilio.account_sid, sid, sender, to, body, media, **shape)

    def text(
        self, body: str = "", sender: str = sms_world.CLIENT_PHONE, to: str = sms_world.CLINIC_SMS, **extra
    ) -> dict:
        """The same as a dict, `extra` replacing or adding parameters."""
        return {**dict(self.inbound(body, sender, to)), **extra}

    def post(
        self,
        params,
        path: str = WEBHOOK,
        signed: bool = True,
        token: Optional[str] = None,
        signed_url: Optional[str] = None,
        timeout: float = 20,
    ) -> requests.Response:
        """POST `params` (a dict or (name, value) pairs) form-encoded, signed over those
        pairs for the public URL of `path` (which may carry a query string)."""
        signature = None
        if signed:
            signature = sms_world.sign(signed_url or sms_world.PUBLIC_URL + path, params, token or self.token)
        return self.send(twilio_server.form_body(params), signature, path, timeout=timeout)

    def send(
        self,
        body: bytes,
        signature: Optional[str],
        path: str = WEBHOOK,
        content_type: Optional[str] = FORM_TYPE,
        timeout: float = 20,
    ) -> requests.Response:
        """POST these very bytes."""
        headers = {}
        if signature is not None:
            headers["X-Twilio-Signature"] = signature
        if content_type is not None:
            headers["Content-Type"] = content_type
        return requests.post(self.base_url + path, data=body, headers=headers, timeout=timeout)


@pytest.fixture
def twilio():
    with FakeTwilio() as fake:
        yield fake


@pytest.fixture
def make_line(engine, db_url, tmp_path, twilio):
    """make_line(reply=..., delay=..., bot_timeout=...) -> a served SmsLine for Ana, a
    client of Glow treated six hours ago."""
    now = datetime.now(timezone.utc)
    with session_scope(engine) as session:
        clinic = sms_world.add_clinic(session)
        client = sms_world.add_client(session, clinic)
        sms_world.add_treatment(session, client, now - timedelta(hours=6), now)
        client_id = client.id
    settings = sms_world.make_settings(db_url, tmp_path / "data", twilio)
    servers = []

    def make(
        reply=None, delay: float = 0, bot_timeout: float = 5.0, budget: float = 12.0, settings=settings
    ) -> SmsLine:
        recorder = Recorder(reply, delay)
        channel = SignedTwilioInput(settings=settings, engine=engine, bot_timeout=bot_timeout, budget=budget)
        server = serving(channel_app(channel, recorder))
        servers.append(server)
        base_url = server.__enter__()
        twilio.proxies[settings.public_url] = base_url  # Twilio's status callbacks reach this server
        return SmsLine(base_url, engine, twilio, recorder, client_id, twilio.auth_token)

    yield make
    twilio.settle()  # no status callback still on its way while the servers stop
    for server in servers:
        server.__exit__(None, None, None)


@pytest.fixture
def line(make_line) -> SmsLine:
    return make_line()


# The bookings channel (Acuity's webhook and the signed JSON webhook)


@pytest.fixture
def acuity():
    with FakeAcuity() as fake:
        yield fake


@pytest.fixture
def booking_line(engine, db_url, tmp_path, acuity):
    """The bookings channel served for Glow, connected to the local Acuity-compatible server."""
    settings = bookings_world.make_settings(db_url, tmp_path / "data", acuity)
    secret = bookings_world.add_glow(engine, settings, acuity, datetime.now(timezone.utc))
    channel = BookingsInput(settings=settings, engine=engine)
    with serving(channel_app(channel, Recorder())) as base_url:
        yield bookings_world.BookingLine(base_url, engine, acuity, secret)
