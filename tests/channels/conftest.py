"""The signed Twilio channel served for real on localhost, a recording assistant, the
fake Twilio REST server it answers through, and helpers to post signed webhooks."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import Optional

import pytest
import requests

from bot.channels.twilio import SignedTwilioInput
from bot.store.db import session_scope
from tests.fakes import sms_world
from tests.fakes.sanic_server import Recorder, channel_app, serving
from tests.fakes.twilio_server import FakeTwilio

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

    def text(self, body: str = "", sender: str = sms_world.CLIENT_PHONE, to: str = sms_world.CLINIC_SMS, **extra) -> dict:
        """The form of an inbound SMS, as Twilio posts it."""
        self.sid_counter += 1
        return {
            "MessageSid": f"SM{self.sid_counter:032x}", "AccountSid": self.twilio.account_sid, "From": sender,
            "To": to, "Body": body, "NumMedia": "0", "NumSegments": "1", "SmsStatus": "received", **extra,
        }

    def post(self, params: dict, path: str = WEBHOOK, signed: bool = True, token: Optional[str] = None,
             signed_url: Optional[str] = None, timeout: float = 20) -> requests.Response:
        headers = {}
        if signed:
            url = signed_url or sms_world.PUBLIC_URL + path
            headers["X-Twilio-Signature"] = sms_world.sign(url, params, token or self.token)
        return requests.post(self.base_url + path, data=params, headers=headers, timeout=timeout)


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

    def make(reply=None, delay: float = 0, bot_timeout: float = 5.0, budget: float = 12.0, settings=settings) -> SmsLine:
        recorder = Recorder(reply, delay)
        channel = SignedTwilioInput(settings=settings, engine=engine, bot_timeout=bot_timeout, budget=budget)
        server = serving(channel_app(channel, recorder))
        servers.append(server)
        return SmsLine(server.__enter__(), engine, twilio, recorder, client_id, twilio.auth_token)

    yield make
    for server in servers:
        server.__exit__(None, None, None)


@pytest.fixture
def line(make_line) -> SmsLine:
    return make_line()
