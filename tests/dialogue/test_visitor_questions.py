"""Questions a website visitor asks before booking or on the way home: answered from the
protocol whether or not a treatment time is known, never asking for one."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest

from bot import protocols
from bot.dialogue import turns
from bot.dialogue.turns import ASK_WHEN, State
from bot.identity import Correspondent
from bot.recovery.answers import ClinicCard, fill

NEW_YORK = ZoneInfo("America/New_York")
PHONE = "(212) 555-0100"
BOOKING = "https://glow.example/book"
CARD = ClinicCard("Glow Skin Studio", PHONE, NEW_YORK, BOOKING)
NOW = datetime(2026, 11, 23, 14, 10, tzinfo=NEW_YORK)
TREATED = datetime(2026, 11, 22, 15, 0, tzinfo=NEW_YORK)
VISITOR_TOPICS = [
    "recovery",
    "treatment_pain",
    "cost",
    "booking",
    "about_treatment",
    "contraindications",
    "pre_treatment",
]


def context(treated_at=None, protocol=None) -> Correspondent:
    return Correspondent(
        card=CARD,
        protocol=protocol or protocols.default(),
        clinic_id=1,
        client_id=2,
        first_name="Ana",
        treated_at=treated_at,
    )


@pytest.mark.parametrize("topic", VISITOR_TOPICS)
@pytest.mark.parametrize("treated_at", [None, TREATED], ids=["visitor", "client"])
def test_a_visitor_topic_is_answered_from_the_protocol_without_asking_when(topic, treated_at):
    turn = turns.answer_question(context(treated_at), f"ask_{topic}", "a question", NOW, State())
    assert ASK_WHEN not in turn.replies and len(turn.replies) == 1
    [reply] = turn.replies
    if topic != "contraindications":
        assert reply == fill(protocols.default().topic(topic).windows[0].guidance, CARD)
    assert "It has been" not in reply  # the same answer at any point of recovery
    assert turn.state.awaiting is None and turn.alerts == []


@pytest.mark.parametrize("topic", ["cost", "booking"])
def test_cost_insurance_and_booking_go_to_the_clinic_with_no_price(topic):
    [reply] = turns.answer_question(context(), f"ask_{topic}", "is it covered by insurance", NOW, State()).replies
    assert BOOKING in reply and PHONE in reply
    assert not any(ch in reply for ch in "$£€")


def test_without_a_booking_link_the_clinic_phone_still_answers():
    card = ClinicCard("Glow Skin Studio", PHONE, NEW_YORK, None)
    no_link = Correspondent(card=card, protocol=protocols.default(), clinic_id=1, client_id=None, first_name=None)
    [reply] = turns.answer_question(no_link, "ask_booking", "how do i book", NOW, State()).replies
    assert PHONE in reply and "{booking_url}" not in reply


def test_who_should_not_have_it_lists_the_contraindications_and_clears_no_one():
    [reply] = turns.answer_question(
        context(), "ask_contraindications", "Who should not get microneedling?", NOW, State()
    ).replies
    for word in ("pregnancy", "Accutane", "active acne", "blood clotting", "cold sores", "diabetes", PHONE):
        assert word in reply, word
    [named] = turns.answer_question(
        context(), "ask_contraindications", "I'm breastfeeding, can I have it?", NOW, State()
    ).replies
    assert protocols.default().conditions["pregnancy"].line in named


@pytest.mark.parametrize(
    "intent, text, later",
    [
        ("ask_next_treatment", "How many sessions will I need?", "usual window"),
        ("ask_results", "How long do results last?", "long-lasting"),
    ],
)
def test_sessions_and_results_give_the_general_timeline_to_a_visitor_and_the_point_to_a_client(intent, text, later):
    visitor = turns.answer_question(context(), intent, text, NOW, State())
    [general] = visitor.replies
    assert ASK_WHEN not in general and visitor.state.pending_topic is None
    assert later in general and "tell me when your treatment was" in general
    [point] = turns.answer_question(context(TREATED), intent, text, NOW, State()).replies
    assert point.startswith("It has been 23 hours since your treatment yesterday at 3:00 pm.")


def test_a_clinic_overrides_a_visitor_answer_with_its_own_line():
    override = "topics:\n  cost:\n    windows:\n      - guidance: A session is 250 dollars at {clinic_name}.\n"
    clinic = context(protocol=protocols.for_clinic(override, source="test clinic"))
    [reply] = turns.answer_question(clinic, "ask_cost", "how much is it", NOW, State()).replies
    assert reply == "A session is 250 dollars at Glow Skin Studio."


def test_the_common_questions_extension_answers_an_uncovered_topic_once_included():
    text = "can i go in the sauna"
    plain = turns.answer_question(context(TREATED), "ask_uncovered_topic", text, NOW, State())
    assert "hasn't given guidance" in plain.replies[0]
    included = protocols.for_clinic("include: [common-questions]\n", source="test clinic")
    turn = turns.answer_question(context(TREATED, included), "ask_uncovered_topic", text, NOW, State())
    [reply] = turn.replies
    assert "No saunas, steam rooms, hot tubs" in reply
    assert "fine again from 3:00 pm on Wednesday" in reply  # 72 h after Sunday 3 pm
    assert turn.alerts == []
