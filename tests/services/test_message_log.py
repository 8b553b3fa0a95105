"""The message log and take-overs, through their services, on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest
from rasa.shared.core.events import ActionExecuted, SlotSet, UserUttered
from sqlalchemy import select

from bot.alerts import AlertKind
from bot.channels.logbook import from_events
from bot.identity import Channel, Sender
from bot.messaging.gateway import Gateway, OutboxTransport
from bot.services import clients, clinics, conversations, correspondents, transcripts, treatments
from bot.services import staff as accounts
from bot.services.transcripts import Reading
from bot.store.conversation_models import MessageKind
from bot.store.errors import InvalidValue
from bot.store.messaging_models import Direction, SmsMessage, Transport
from bot.store.staff_models import StaffRole

NOW = datetime(2026, 12, 4, 15, 0, tzinfo=timezone.utc)  # a Friday, 10:00 in New York


@pytest.fixture
def sam(session, glow):
    return accounts.add_staff(
        session, email="sam@glow.example", name="Sam Rivera", role=StaffRole.staff, clinic_slug="glow", now=NOW
    ).staff


def by_sms(session, client, at=NOW):
    return correspondents.resolve(session, Sender(Channel.sms, phone=client.phone, clinic_number="+12125550100"), at)


def by_web(session, client, at=NOW):
    return correspondents.resolve(session, Sender(Channel.web, client_id=client.id), at)


def test_one_conversation_per_client_whatever_the_channel(session, glow, ana):
    treatments.add(session, ana, NOW - timedelta(hours=50), now=NOW)
    first = transcripts.client_message(session, by_sms(session, ana), "can I exercise?", NOW)
    second = transcripts.client_message(session, by_web(session, ana), "and makeup?", NOW + timedelta(minutes=1))
    assert first.conversation_id == second.conversation_id
    talk = second.conversation
    assert (talk.key, talk.channel, talk.last_text) == (f"client:{ana.id}", Channel.web, "and makeup?")
    assert (first.channel, second.channel) == (Channel.sms, Channel.web)
    assert first.recovery_hours == 50.0 and first.clinic_id == glow.id and first.client_id == ana.id


def test_the_assistants_reading_is_kept_on_the_clients_message(session, glow, ana):
    who = by_web(session, ana)
    asked = transcripts.client_message(session, who, "can i wear makeup", NOW)
    reading = Reading("ask_makeup", 0.91, ("makeup", "sun"), "action_answer_topic")
    answer = transcripts.assistant_reply(
        session, who, ["No makeup yet.", "", "Sunscreen from day 1."], NOW, asked, reading
    )
    assert (asked.intent, asked.confidence, asked.topic_list, asked.action) == (
        "ask_makeup",
        0.91,
        ["makeup", "sun"],
        "action_answer_topic",
    )
    assert answer.kind is MessageKind.assistant and answer.body == "No makeup yet.\n\nSunscreen from day 1."
    assert transcripts.assistant_reply(session, who, [], NOW, asked, reading) is None  # nothing said


def test_a_reading_comes_from_rasas_events_of_the_latest_turn():
    events = [
        UserUttered("hi", {"name": "greet", "confidence": 0.99}),
        ActionExecuted("utter_greet"),
        ActionExecuted("action_listen"),
        UserUttered(
            "my face is hot",
            {"name": "report_red_flag", "confidence": 1.0},
            parse_data={"topics": [{"name": "healing"}, {"bad": 1}]},
        ),
        ActionExecuted("action_escalate"),
        SlotSet("awaiting", None),
        ActionExecuted("action_listen"),
    ]
    assert from_events(events) == Reading("report_red_flag", 1.0, ("healing",), "action_escalate")
    assert from_events([]) is None


def test_without_a_clinic_nothing_is_logged(session, glow, ana):
    clinics.add(session, "lumen", "Lumen", "+442079460000", "Europe/London")
    stranger = correspondents.resolve(session, Sender(Channel.sms, phone="+12125559999", clinic_number="+1999"), NOW)
    assert transcripts.client_message(session, stranger, "hello", NOW) is None


def test_delivery_status_of_a_message_is_that_of_its_least_advanced_part(session, glow, ana):
    talk = transcripts.of_client(session, ana, NOW)
    message = transcripts.said(session, talk, MessageKind.staff, "two parts", Channel.sms, NOW)
    parts = []
    for n in range(2):
        part = SmsMessage(
            sid=f"SM{n}",
            direction=Direction.outbound,
            transport=Transport.twilio,
            to_number=ana.phone,
            from_number="+12125550100",
            status="sent",
            message_id=message.id,
        )
        session.add(part)
        parts.append(part)
    session.flush()
    parts[0].status = "delivered"
    transcripts.delivery_changed(session, parts[0])
    assert message.delivery_status == "sent"
    parts[1].status = "delivered"
    transcripts.delivery_changed(session, parts[1])
    assert message.delivery_status == "delivered"
    parts[0].status, parts[0].error_code = "undelivered", 30003
    transcripts.delivery_changed(session, parts[0])
    assert (message.delivery_status, message.error_code) == ("undelivered", 30003)


def test_search_by_name_or_phone_and_visitors_apart(session, glow, ana):
    carla = clients.add(session, glow, "Carla Moss", "+12125550188")
    for client in (ana, carla):
        transcripts.client_message(session, by_web(session, client), "hi", NOW)
    anon = correspondents.resolve(session, Sender(Channel.anon, clinic_slug="glow", visitor="anon:glow:abc"), NOW)
    transcripts.client_message(session, anon, "hello", NOW + timedelta(minutes=5))
    names = lambda found: [t.client.name if t.client else t.key for t in found]  # noqa: E731
    assert names(transcripts.conversations(session, glow.id, clients=True)) == ["Carla Moss", "Ana Diaz"]
    assert names(transcripts.conversations(session, glow.id, clients=True, search="ANA")) == ["Ana Diaz"]
    assert names(transcripts.conversations(session, glow.id, clients=True, search="555-0188")) == ["Carla Moss"]
    assert names(transcripts.conversations(session, glow.id, clients=False)) == ["anon:glow:abc"]


def test_alerts_name_their_conversation_and_message_and_whether_to_text(session, glow, ana):
    clinics.set_alert_phone(session, glow, "+1 212 555 0177")
    who = by_sms(session, ana)
    said = transcripts.client_message(session, who, "my lips are swelling", NOW)
    flag = conversations.alert(session, who, AlertKind.red_flag, "Red flag: my lips are swelling", at=NOW)
    unclear = conversations.alert(session, who, AlertKind.not_understood, "?", at=NOW)
    assert (flag.conversation_id, flag.message_id, flag.text_wanted) == (said.conversation_id, said.id, True)
    assert unclear.text_wanted is False  # for the console only
    assert [a.id for a in conversations.needing_attention(session, glow.id)] == [unclear.id, flag.id]


def test_out_of_opening_hours_only_red_flags_text_the_alert_phone(session):
    hours = 'opening_hours: {mon: "09:00-18:00", tue: "09:00-18:00", wed: "09:00-18:00", thu: "09:00-18:00", fri: "09:00-18:00"}\n'
    clinic = clinics.add(
        session, "open", "Open Clinic", "+12125550100", "America/New_York", None, hours, None, "+12125550177"
    )
    saturday = datetime(2026, 12, 5, 15, 0, tzinfo=timezone.utc)
    texted = {
        kind: conversations.record_alert(session, clinic, None, kind, "x", at=at).text_wanted
        for kind, at in (
            (AlertKind.human_request, NOW),
            (AlertKind.red_flag, saturday),
        )
    }
    assert texted == {AlertKind.human_request: True, AlertKind.red_flag: True}
    assert (
        conversations.record_alert(session, clinic, None, AlertKind.human_request, "x", at=saturday).text_wanted
        is False
    )


def test_the_alert_phone_is_a_mobile_and_not_the_clinics_own_texting_number(session, glow):
    with pytest.raises(InvalidValue, match="texts come from"):
        clinics.set_alert_phone(session, glow, "+1 (212) 555-0100")
    lumen = clinics.add(session, "lumen", "Lumen", "+442079460000", "Europe/London")
    with pytest.raises(InvalidValue, match="not a mobile"):
        clinics.set_alert_phone(session, lumen, "020 7946 0001")
    assert clinics.set_alert_phone(session, lumen, "07911 123456").alert_phone == "+447911123456"
    assert clinics.set_alert_phone(session, lumen, "").alert_phone is None


def test_take_over_reply_and_hand_back(session, glow, ana, sam):
    talk = transcripts.of_client(session, ana, NOW)
    joined = conversations.take_over(session, talk, sam, NOW, timedelta(hours=2))
    assert joined.kind is MessageKind.notice and "Sam from Glow Skin Studio has joined" in joined.body
    assert conversations.answering_person(talk, NOW + timedelta(hours=1))
    assert not conversations.answering_person(talk, NOW + timedelta(hours=2))
    assert conversations.take_over(session, talk, sam, NOW, timedelta(hours=2)) is None  # already: no second notice
    reply = conversations.staff_reply(session, talk, sam, "  Hi Ana  ", NOW)
    assert (reply.kind, reply.body, reply.staff_id, reply.channel) == (MessageKind.staff, "Hi Ana", sam.id, Channel.sms)
    gateway = Gateway(OutboxTransport())
    conversations.deliver(session, gateway, reply)
    [text] = session.scalars(select(SmsMessage)).all()
    assert (text.to_number, text.from_number, text.message_id, reply.delivery_status) == (
        ana.phone,
        "+12125550100",
        reply.id,
        "stored",
    )
    back = conversations.hand_back(session, talk, NOW)
    assert "assistant again" in back.body and talk.takeover_until is None
    assert conversations.hand_back(session, talk, NOW) is None


def test_take_overs_that_ran_out_are_handed_back_with_a_notice(session, glow, ana, sam):
    talk = transcripts.of_client(session, ana, NOW)
    conversations.take_over(session, talk, sam, NOW, timedelta(hours=24))
    assert conversations.expired_takeovers(session, NOW + timedelta(hours=23)) == []
    [(handed, notice)] = conversations.expired_takeovers(session, NOW + timedelta(hours=24))
    assert handed.id == talk.id and notice.kind is MessageKind.notice and talk.takeover_until is None


def test_replies_are_refused_to_visitors_and_opted_out_clients(session, glow, ana, sam):
    anon = correspondents.resolve(session, Sender(Channel.anon, clinic_slug="glow", visitor="anon:glow:x"), NOW)
    visitor_talk = transcripts.client_message(session, anon, "hello", NOW).conversation
    with pytest.raises(InvalidValue, match="Only a client's conversation"):
        conversations.staff_reply(session, visitor_talk, sam, "hi", NOW)
    with pytest.raises(InvalidValue):
        conversations.take_over(session, visitor_talk, sam, NOW)
    clients.set_opted_out(session, ana, True, NOW)
    talk = transcripts.of_client(session, ana, NOW)
    with pytest.raises(InvalidValue, match="opted out of texts"):
        conversations.staff_reply(session, talk, sam, "hi", NOW)
