"""chat_links.send / revoke: a fresh personal link texted from the clinic's number through
the gateway (the local Twilio-compatible server here), logged in the SMS log; nothing
texted to a client who opted out; a refused send is a one-line error that logs nothing."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import func, select

from bot import links
from bot.devtools.twilio_server import FakeTwilio
from bot.messaging.gateway import Gateway
from bot.services import chat_links, clients
from bot.store.messaging_models import SmsMessage, Transport
from tests.fakes import sms_world

# The link is a JWT whose expiry is checked against the real clock: send it "now".
NOW = datetime.now(timezone.utc).replace(microsecond=0)


@pytest.fixture
def twilio():
    with FakeTwilio(status_callbacks=False) as fake:
        yield fake


@pytest.fixture
def settings(db_url, tmp_path, twilio):
    return sms_world.make_settings(db_url, tmp_path / "data", twilio)


def test_the_link_goes_out_from_the_clinics_number_and_is_logged(session, ana, settings, twilio):
    sent = chat_links.send(session, settings, Gateway.from_settings(settings), ana, NOW)
    (message,) = twilio.messages
    assert (message["to"], message["from"]) == ("+12125550123", "+12125550100")
    assert (
        message["body"]
        == f"Hi Ana, it's Glow Skin Studio. Your personal aftercare chat, for any question about your recovery: {sent.url}"
    )
    assert (sent.message.transport, sent.message.purpose, sent.message.sid) == (
        Transport.twilio,
        "chat_link",
        message["sid"],
    )
    assert sent.valid_until == NOW + timedelta(days=14)
    token = sent.url.split("#t=", 1)[1]
    assert links.read_link_token(links.secret_for(settings), token).client_id == ana.id


def test_nothing_is_texted_to_a_client_who_opted_out(session, ana, settings, twilio):
    clients.set_opted_out(session, ana, True, NOW)
    with pytest.raises(chat_links.ClientOptedOut, match=r"^Ana Diaz has opted out of texts \(STOP\)"):
        chat_links.send(session, settings, Gateway.from_settings(settings), ana, NOW)
    assert twilio.attempts == 0
    assert session.scalar(select(func.count()).select_from(SmsMessage)) == 0


@pytest.mark.parametrize(
    "failure, said",
    [(21614, "'To' is not a mobile number"), (500, "It may have gone out: check before sending again.")],
)
def test_a_refused_send_is_a_one_line_error_and_logs_nothing(session, ana, settings, twilio, failure, said):
    twilio.fail_next(1, failure)
    with pytest.raises(chat_links.LinkNotSent) as refused:
        chat_links.send(session, settings, Gateway.from_settings(settings), ana, NOW)
    assert str(refused.value).startswith("the link could not be texted: ") and said in str(refused.value)
    assert "\n" not in str(refused.value)
    assert session.scalar(select(func.count()).select_from(SmsMessage)) == 0


def test_without_twilio_the_link_lands_in_the_outbox(session, ana, db_url, tmp_path):
    settings = sms_world.make_settings(db_url, tmp_path / "data")
    sent = chat_links.send(session, settings, Gateway.from_settings(settings), ana, NOW)
    assert sent.message.transport is Transport.outbox and sent.url in sent.message.body


def test_revoke_refuses_the_links_sent_before(session, ana, settings):
    sent = chat_links.send(session, settings, Gateway.from_settings(settings), ana, NOW)
    chat_links.revoke(session, ana, NOW + timedelta(hours=1))
    token = sent.url.split("#t=", 1)[1]
    assert links.verify_link_token(session, links.secret_for(settings), token).reason == links.REVOKED
