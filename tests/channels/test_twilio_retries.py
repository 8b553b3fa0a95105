"""A webhook retried after its server died mid-turn (Twilio's fallback URL, the balancer
trying another server) is answered exactly once; a true duplicate is still dropped. What
a dead server leaves behind is written here as it would have left it: the inbound row
claimed by its process, and maybe the reply's rows written before sending."""

import threading

from sqlalchemy import select

from bot.messaging import ledger
from bot.messaging.gateway import Gateway, Outgoing
from bot.store.db import make_engine, session_scope
from bot.store.messaging_models import Direction, SmsMessage, Transport
from bot.store.models import Alert
from bot.store.presence import Presence
from tests.fakes import sms_world
from tests.fakes.sms_world import CLIENT_PHONE, CLINIC_SMS

DEAD = "gone-host:4242:deadbeef"  # a server process that no longer exists


def left_by_a_dead_server(line, sid, owner=DEAD, status="received"):
    """The inbound row a server writes when it takes a text (before answering it)."""
    with session_scope(line.engine) as session:
        session.add(
            SmsMessage(
                sid=sid,
                direction=Direction.inbound,
                transport=Transport.twilio,
                to_number=CLINIC_SMS,
                from_number=CLIENT_PHONE,
                status=status,
                handled_by=owner,
            )
        )


def outbound(line):
    with session_scope(line.engine) as session:
        return session.scalars(
            select(SmsMessage).where(SmsMessage.direction == Direction.outbound).order_by(SmsMessage.id)
        ).all()


def test_a_webhook_retried_after_its_server_died_is_answered_once(line):
    params = line.text("can I wear makeup?")
    left_by_a_dead_server(line, params["MessageSid"])
    assert line.post(params).status_code == 200
    assert [m.text for m in line.recorder.messages] == ["can I wear makeup?"]
    assert line.twilio.bodies() == ["You said: can I wear makeup?"]
    [reply] = outbound(line)
    assert reply.in_reply_to == params["MessageSid"] and reply.sid.startswith("SM")
    # Answered now: Twilio's own retry of the same webhook is a duplicate.
    assert line.post(params).status_code == 200
    assert len(line.recorder.messages) == 1 and len(line.twilio.messages) == 1


def test_a_text_answered_before_the_crash_is_not_answered_again(line):
    params = line.text("can I wear makeup?")
    left_by_a_dead_server(line, params["MessageSid"], status="answered")
    line.post(params)
    assert line.recorder.messages == [] and line.twilio.messages == []


def test_a_true_duplicate_while_the_first_is_answered_is_dropped(make_line):
    line = make_line(delay=1.0)  # the assistant thinks for a second
    params = line.text("is peeling normal?")
    answers = []
    threads = [threading.Thread(target=lambda: answers.append(line.post(params).status_code)) for _ in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert answers == [200, 200, 200]
    assert len(line.recorder.messages) == 1 and len(line.twilio.messages) == 1


def test_a_text_another_live_server_is_answering_is_left_to_it(line, db_url):
    """On PostgreSQL a server's presence is a lock it holds while it lives; SQLite is
    served by one server, so another process's claim there is always a dead one's."""
    other = Presence(make_engine(db_url))
    other.hold()
    params = line.text("when can I exercise?")
    left_by_a_dead_server(line, params["MessageSid"], owner=other.id)
    try:
        line.post(params)
        if db_url.startswith("postgresql"):
            assert line.recorder.messages == [] and line.twilio.messages == []
    finally:
        other.release()
        other.engine.dispose()
    line.post(params)  # the other server is gone now
    assert len(line.recorder.messages) == 1 and len(line.twilio.messages) == 1


def test_a_reply_sent_just_before_the_crash_is_recorded_not_sent_again(line, db_url, tmp_path):
    params = line.text("can I wear makeup?")
    sid = params["MessageSid"]
    left_by_a_dead_server(line, sid)
    reply = Outgoing(CLIENT_PHONE, CLINIC_SMS, "No makeup for 24 hours.", "reply")
    gateway = Gateway.from_settings(sms_world.make_settings(db_url, tmp_path / "data", line.twilio))
    with session_scope(line.engine) as session:  # the dead server wrote its reply ...
        ledger.record_sending(session, reply, Transport.twilio, sid)
    sent = gateway.send(reply)  # ... sent it, and died before logging it
    line.post(params)
    assert line.recorder.messages == []  # not asked again: the answer was there
    assert line.twilio.bodies() == ["No makeup for 24 hours."]
    [row] = outbound(line)
    assert row.sid == sent.sid and row.in_reply_to == sid


def test_a_reply_written_but_not_sent_before_the_crash_is_sent_once(line):
    params = line.text("can I wear makeup?")
    sid = params["MessageSid"]
    left_by_a_dead_server(line, sid)
    parts = ["(1/2) No makeup for", "(2/2) 24 hours."]
    with session_scope(line.engine) as session:
        for part in parts:
            ledger.record_sending(session, Outgoing(CLIENT_PHONE, CLINIC_SMS, part, "reply"), Transport.twilio, sid)
    line.post(params)
    line.post(params)
    assert line.recorder.messages == []
    assert line.twilio.bodies() == parts
    assert [row.sid[:2] for row in outbound(line)] == ["SM", "SM"]
    assert ledger.SENDING not in [row.status for row in outbound(line)]


def test_a_turn_without_a_reply_gets_the_fallback_and_an_alert(make_line):
    """Rasa carries on without a word when an action fails (its action server is down)."""
    line = make_line(reply=lambda message: [])
    line.post(line.text("can I wear makeup?"))
    assert line.twilio.bodies() == ["Thanks, we'll get back to you shortly."]
    with session_scope(line.engine) as session:
        [alert] = session.scalars(select(Alert)).all()
    assert alert.kind == "bot_error" and "gave no reply" in alert.message
