"""End to end: `rasa run` with the trained model, our channel and the action server, on
the demo clinic and client (tests/assistant.py, as the `assistant_server` fixture starts
it), with TWILIO_* pointing at the fake Twilio server. A signed SMS from the demo client,
with every parameter Twilio sends (empty ones included), gets its day-aware answer through
the Messages API, whose status callbacks the server takes; a forged one gets 403."""

from __future__ import annotations

import time

import pytest
import requests

from bot.devtools.twilio_server import FORM_TYPE, FakeTwilio, form_body, inbound_params
from tests import assistant
from tests.fakes import sms_world

DEMO_CLIENT, DEMO_CLINIC = "+12125550123", "+12125550100"  # bot/cli/demo.py


@pytest.fixture(scope="module")
def sms_assistant(tmp_path_factory):
    twilio = FakeTwilio().start()
    running = assistant.start(tmp_path_factory.mktemp("sms-assistant"), extra_env=twilio.env())
    yield running, twilio
    running.stop()
    twilio.stop()


def post(running, params, token):
    url = running.base_url + "/webhooks/twilio/webhook"  # PUBLIC_URL is the server's own URL here
    headers = {"X-Twilio-Signature": sms_world.sign(url, params, token), "Content-Type": FORM_TYPE}
    return requests.post(url, data=form_body(params), headers=headers, timeout=20)


def test_a_signed_sms_gets_its_day_aware_answer_and_a_forged_one_403(sms_assistant):
    running, twilio = sms_assistant
    params = inbound_params(
        twilio.account_sid, "SM" + "e2e".rjust(32, "0"), DEMO_CLIENT, DEMO_CLINIC, "can I wear makeup?"
    )

    forged = post(running, params, "not-the-token")
    assert forged.status_code == 403 and twilio.attempts == 0

    answered = post(running, params, twilio.auth_token)
    assert answered.status_code == 200 and "<Response/>" in answered.text
    replies = twilio.sent_to(DEMO_CLIENT)
    assert replies and {m["from"] for m in replies} == {DEMO_CLINIC}
    text = " ".join(m["body"] for m in replies).lower()
    # The demo treatment was 6 hours ago: makeup waits for the 24-hour mark.
    assert "makeup" in text and "24 hours" in text and "no makeup yet" in text
    twilio.settle()
    assert twilio.callbacks and {c["status"] for c in twilio.callbacks} == {204}


def alerts(running) -> list[tuple[str, str]]:
    from sqlalchemy import select

    from bot.store import db
    from bot.store.models import Alert

    with db.session_scope(db.make_engine(running.database_url)) as session:
        return [(a.kind, a.message) for a in session.scalars(select(Alert).order_by(Alert.id))]


def texted_after(twilio, before: int, until: str, timeout: float = 30) -> str:
    """What was texted to the client since `before` messages, once `until` is among it (a
    send may outlast the webhook's answer on a busy machine)."""
    deadline = time.monotonic() + timeout
    while True:
        text = "\n".join(m["body"] for m in twilio.sent_to(DEMO_CLIENT)[before:])
        if until in text or time.monotonic() > deadline:
            return text
        time.sleep(0.1)


def test_spanish_by_sms_red_flag_in_spanish_question_in_spanish_and_english(sms_assistant):
    """What the actions say is what Twilio sends: the Spanish escalation with 911, and for a
    question the assistant cannot answer in Spanish, the short reply in both languages."""
    running, twilio = sms_assistant
    sent = []
    for sid, body, last_words in (
        ("es1", "se me hincharon los labios y me cuesta respirar", "de inmediato."),
        ("es2", "¿Puedo usar maquillaje hoy?", "The clinic's phone number is"),
    ):
        before = len(twilio.sent_to(DEMO_CLIENT))
        params = inbound_params(twilio.account_sid, "SM" + sid.rjust(32, "0"), DEMO_CLIENT, DEMO_CLINIC, body)
        assert post(running, params, twilio.auth_token).status_code == 200
        sent.append(texted_after(twilio, before, last_words))
        twilio.settle()  # a client's next text comes after the delivery reports of this one
    escalation, reply = sent
    assert "comuníquese ahora" in escalation and "llame al 911" in escalation and "(212) 555-0100" in escalation
    assert "solo puedo responder en inglés" in reply and "only answer in English" in reply
    assert reply.index("inglés") < reply.index("English")  # their language first
    assert "If this is urgent, call 911" in reply and reply.count("(212) 555-0100") == 2
    kinds = [(kind, "Spanish" in message) for kind, message in alerts(running)]
    assert ("red_flag", True) in kinds and ("other_language", True) in kinds
