"""Turns for a client who writes in another language: pure, like the rest of turns.py."""

from __future__ import annotations

from zoneinfo import ZoneInfo

from bot import protocols
from bot.dialogue import turns
from bot.dialogue.turns import State
from bot.identity import Correspondent
from bot.recovery.answers import ClinicCard

PHONE = "(212) 555-0100"
CARD = ClinicCard("Glow Skin Studio", PHONE, ZoneInfo("America/New_York"))
LONDON = ClinicCard("Bright Skin", "020 7183 8750", ZoneInfo("Europe/London"), emergency_number="999")
CONTEXT = Correspondent(card=CARD, protocol=protocols.default(), clinic_id=1, client_id=2, first_name="Ana")


def test_another_language_gets_its_text_then_english_with_the_phone_911_and_an_alert():
    state = State(treatment_time="2026-11-20T14:30:00-05:00")
    turn = turns.other_language(CONTEXT, "es", "¿Puedo usar maquillaje hoy?", state)
    spanish, english = turn.replies
    assert "inglés" in spanish and PHONE in spanish and "911" in spanish
    assert "only answer in English" in english and PHONE in english and "call 911" in english
    assert "reply" in english
    assert turn.state == state
    [(kind, message)] = turn.alerts
    assert kind == "other_language" and "Spanish" in message and "¿Puedo usar maquillaje hoy?" in message


def test_a_language_without_a_text_gets_english_alone():
    turn = turns.other_language(CONTEXT, "ru", "можно ли мне завтра умываться?", State())
    assert len(turn.replies) == 1 and "only answer in English" in turn.replies[0]
    assert "Russian" in turn.alerts[0][1]


def test_the_emergency_number_is_the_clinics_countrys():
    london = Correspondent(card=LONDON, protocol=protocols.default())
    turn = turns.other_language(london, "es", "tengo una pregunta sobre mi tratamiento", State())
    assert all("999" in reply and "911" not in reply for reply in turn.replies)
    assert "999" in turns.escalate(london, "my lips are swelling", State()).replies[0]


def test_a_spanish_red_flag_escalates_in_spanish_and_the_alert_says_so():
    turn = turns.escalate(CONTEXT, "se me hincharon los labios y me cuesta respirar", State(), "es")
    [reply] = turn.replies
    assert "comuníquese ahora" in reply and PHONE in reply and "llame al 911" in reply
    [(kind, message)] = turn.alerts
    assert kind == "red_flag" and "Spanish" in message


def test_an_english_red_flag_escalates_in_english():
    turn = turns.escalate(CONTEXT, "there's pus", State(), "en")
    assert turn.replies[0].startswith("Please contact Glow Skin Studio now") and "Spanish" not in turn.alerts[0][1]
