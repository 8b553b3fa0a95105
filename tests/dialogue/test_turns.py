"""One turn at a time: pure functions of (context, message, now, state)."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from bot import protocols
from bot.dialogue import turns
from bot.dialogue.turns import ASK_WHEN, CLARIFY, State
from bot.identity import Correspondent
from bot.recovery.answers import ClinicCard

NEW_YORK = ZoneInfo("America/New_York")
PHONE = "(212) 555-0100"
CARD = ClinicCard("Glow Skin Studio", PHONE, NEW_YORK, "https://glow.example/book")
PROTOCOL = protocols.default()
NOW = datetime(2026, 11, 23, 14, 10, tzinfo=NEW_YORK)  # Monday 2:10 pm
SUNDAY_3PM = datetime(2026, 11, 22, 15, 0, tzinfo=NEW_YORK)


def context(treated_at=None, protocol=PROTOCOL) -> Correspondent:
    return Correspondent(
        card=CARD, protocol=protocol, clinic_id=1, client_id=2, first_name="Ana", treated_at=treated_at
    )


UNKNOWN = context()
KNOWN = context(treated_at=SUNDAY_3PM)


def alert_kinds(turn) -> list[str]:
    return [kind for kind, _ in turn.alerts]


# --- asking for the treatment time, confirming it --------------------------------------


def test_unknown_treatment_time_asks_when_and_remembers_the_question():
    turn = turns.answer_question(UNKNOWN, "ask_makeup", "can i wear makeup?", NOW, State())
    assert turn.replies == [ASK_WHEN]
    assert turn.state == State(
        treatment_time=None, candidate_time=None, pending_topic="ask_makeup", awaiting="treatment_time"
    )
    assert turn.alerts == []


def test_read_treatment_time_asks_to_confirm_naming_the_date():
    asked = State(pending_topic="ask_makeup", awaiting="treatment_time")
    turn = turns.read_treatment_time(UNKNOWN, "yesterday around 3", NOW, asked)
    [question] = turn.replies
    assert "yesterday at 3:00 pm" in question and "Sunday" in question and "Nov 22" in question
    assert turn.state.awaiting == "confirmation" and turn.state.pending_topic == "ask_makeup"
    assert datetime.fromisoformat(turn.state.candidate_time) == SUNDAY_3PM
    assert turn.state.treatment_time is None


def test_a_day_without_a_time_says_midday_is_assumed():
    turn = turns.read_treatment_time(UNKNOWN, "tuesday", NOW, State(pending_topic="ask_sun", awaiting="treatment_time"))
    [question] = turn.replies
    assert "Nov 17" in question and "Tuesday" in question and "midday" in question
    assert datetime.fromisoformat(turn.state.candidate_time) == datetime(2026, 11, 17, 12, 0, tzinfo=NEW_YORK)


def test_an_unreadable_date_asks_again_keeping_the_question():
    turn = turns.read_treatment_time(
        UNKNOWN, "purple elephant", NOW, State(pending_topic="ask_sun", awaiting="treatment_time")
    )
    assert ASK_WHEN in turn.replies[0]
    assert turn.state == State(None, None, "ask_sun", "treatment_time")


def test_affirm_answers_the_pending_question_for_the_confirmed_time():
    waiting = State(None, SUNDAY_3PM.isoformat(), "ask_makeup", "confirmation")
    turn = turns.affirm(UNKNOWN, NOW, waiting)
    assert turn.state == State(SUNDAY_3PM.isoformat(), None, None, None)
    answer = " ".join(turn.replies[1:])
    assert "23 hours" in answer and "yesterday at 3:00 pm" in answer
    assert "3:00 pm today" in answer  # 24 h after Sunday 3 pm
    assert PROTOCOL.topic("makeup").windows[0].guidance in answer
    assert turn.alerts == []


def test_affirm_without_a_pending_question_keeps_the_time_and_asks_what_next():
    turn = turns.affirm(UNKNOWN, NOW, State(None, SUNDAY_3PM.isoformat(), None, "confirmation"))
    assert turn.state.treatment_time == SUNDAY_3PM.isoformat()
    assert len(turn.replies) == 2 and "?" in turn.replies[-1]


def test_affirm_out_of_the_blue_changes_nothing():
    state = State(treatment_time=SUNDAY_3PM.isoformat())
    assert turns.affirm(UNKNOWN, NOW, state).state == state


def test_deny_asks_again():
    waiting = State(None, SUNDAY_3PM.isoformat(), "ask_makeup", "confirmation")
    turn = turns.deny(UNKNOWN, waiting)
    assert ASK_WHEN in turn.replies[0]
    assert turn.state == State(None, None, "ask_makeup", "treatment_time")
    other = State(treatment_time=SUNDAY_3PM.isoformat())
    assert turns.deny(UNKNOWN, other).state == other


def test_dont_know_gives_the_general_guidance_for_the_pending_topic():
    turn = turns.dont_know(UNKNOWN, State(None, None, "ask_skincare_restart", "treatment_time"))
    text = " ".join(turn.replies)
    skincare = PROTOCOL.topic("skincare_restart")
    assert skincare.windows[0].guidance in text and skincare.windows[2].summary in text
    assert "48 hours" in text and "4 days" in text
    assert "It has been" not in text
    assert turn.state == State()
    assert len(turns.dont_know(UNKNOWN, State()).replies) == 1


def test_clarify_while_waiting_for_the_time_reads_a_date():
    asked = State(pending_topic="ask_makeup", awaiting="treatment_time")
    turn = turns.clarify(UNKNOWN, "nlu_fallback", "sunday around 3", NOW, asked)
    assert turn.state.awaiting == "confirmation"
    assert datetime.fromisoformat(turn.state.candidate_time) == SUNDAY_3PM
    assert "Nov 22" in turn.replies[0]


def test_clarify_otherwise():
    assert turns.clarify(UNKNOWN, "nlu_fallback", "sunday around 3", NOW, State()).replies == [CLARIFY]
    asked = State(pending_topic="ask_makeup", awaiting="treatment_time")
    assert turns.clarify(UNKNOWN, "nlu_fallback", "hmm", NOW, asked).replies == [CLARIFY]
    scope = turns.clarify(UNKNOWN, "out_of_scope", "what's the weather", NOW, State())
    assert scope.replies != [CLARIFY] and "aftercare" in scope.replies[0]


def test_the_whole_exchange():
    state = State()
    turn = turns.answer_question(UNKNOWN, "ask_exercise", "can i go to the gym", NOW, state)
    turn = turns.read_treatment_time(UNKNOWN, "yesterday around 3", NOW, turn.state)
    turn = turns.affirm(UNKNOWN, NOW, turn.state)
    assert "Exercise is fine from 3:00 pm today" in " ".join(turn.replies)
    # Later questions use the confirmed time without asking again.
    later = turns.answer_question(UNKNOWN, "ask_makeup", "and makeup?", NOW + timedelta(hours=2), turn.state)
    assert "25 hours" in later.replies[0] and ASK_WHEN not in later.replies


# --- answers with a known time ----------------------------------------------------------


def test_the_stored_treatment_is_used_without_asking():
    turn = turns.answer_question(KNOWN, "ask_makeup", "can i wear makeup?", NOW, State())
    assert ASK_WHEN not in turn.replies and "3:00 pm today" in turn.replies[0]
    assert turn.state == State()


def test_the_store_wins_over_the_chat():
    stored = context(treated_at=SUNDAY_3PM - timedelta(days=2))
    assert turns.treated_at(stored, State(treatment_time=SUNDAY_3PM.isoformat())) == SUNDAY_3PM - timedelta(days=2)
    assert turns.treated_at(UNKNOWN, State(treatment_time=SUNDAY_3PM.isoformat())) == SUNDAY_3PM
    assert turns.treated_at(UNKNOWN, State()) is None


def test_two_topics_in_one_message_get_two_replies_and_one_lead():
    turn = turns.answer_question(KNOWN, "ask_makeup", "can i wear makeup and go to the gym?", NOW, State())
    assert len(turn.replies) == 2
    makeup, gym = turn.replies
    assert "It has been" in makeup and "It has been" not in gym
    assert PROTOCOL.topic("makeup").windows[0].guidance in makeup
    assert PROTOCOL.topic("exercise").windows[0].guidance in gym
    assert "3:00 pm today" in gym


def test_an_untimed_topic_needs_no_time():
    turn = turns.answer_question(UNKNOWN, "ask_moisturizer", "what moisturizer should i use", NOW, State())
    assert turn.replies == [PROTOCOL.topic("moisturizer").windows[0].guidance]
    assert turn.state.awaiting is None


@pytest.mark.parametrize(
    "intent, topic", [("ask_pre_treatment", "pre_treatment"), ("ask_about_treatment", "about_treatment")]
)
@pytest.mark.parametrize("ctx", [UNKNOWN, KNOWN], ids=["time-unknown", "time-known"])
def test_topics_without_a_timeline_are_answered_whatever_the_time(ctx, intent, topic):
    turn = turns.answer_question(ctx, intent, "tell me", NOW, State())
    assert turn.replies == [PROTOCOL.topic(topic).windows[0].guidance]


def test_contraindications_name_the_line_without_asking_the_time():
    turn = turns.answer_question(UNKNOWN, "ask_contraindications", "can i get it while breastfeeding", NOW, State())
    [reply] = turn.replies
    assert PROTOCOL.conditions["pregnancy"].line in reply and PHONE in reply and "confirm" in reply
    assert turn.state.awaiting is None


def test_a_refer_window_alerts_the_clinic():
    eight_days = context(treated_at=NOW - timedelta(days=8))
    turn = turns.answer_question(eight_days, "ask_peeling", "still peeling, is that normal?", NOW, State())
    assert PHONE in turn.replies[0]
    assert turn.alerts == [("outside_timeline", turn.alerts[0][1])]
    assert "peeling" in turn.alerts[0][1] and "still peeling, is that normal?" in turn.alerts[0][1]


def test_an_expected_window_does_not_alert():
    turn = turns.answer_question(
        context(treated_at=NOW - timedelta(days=3)), "ask_peeling", "peeling ok?", NOW, State()
    )
    assert turn.alerts == []


# --- topics the protocol does not cover -------------------------------------------------


def test_uncovered_topic_gives_no_guidance_and_alerts_the_clinic():
    text = "can i drink wine tonight"
    turn = turns.answer_question(KNOWN, "ask_uncovered_topic", text, NOW, State())
    [reply] = turn.replies
    assert "alcohol" in reply and "hasn't given guidance" in reply and PHONE in reply
    assert alert_kinds(turn) == ["uncovered_topic"]
    assert text in turn.alerts[0][1] and "alcohol" in turn.alerts[0][1]


def test_uncovered_topic_the_clinic_has_a_line_for_is_answered_from_it():
    override = (
        "topics:\n  alcohol:\n    windows:\n"
        "      - {until: 48h, guidance: No alcohol for the first 48 hours., sources: [clinic]}\n"
        "      - {from: 48h, summary: a drink is fine, guidance: Drink in moderation., sources: [clinic]}\n"
    )
    clinic = context(treated_at=SUNDAY_3PM, protocol=protocols.for_clinic(override, source="test clinic"))
    turn = turns.answer_question(clinic, "ask_uncovered_topic", "can i drink wine tonight", NOW, State())
    [reply] = turn.replies
    assert "No alcohol for the first 48 hours." in reply
    assert "A drink is fine from 3:00 pm tomorrow" in reply  # 48 h after Sunday 3 pm
    assert turn.alerts == []


def test_a_catalog_topic_missing_from_the_protocol_is_uncovered():
    turn = turns.answer_question(KNOWN, "ask_breakout", "i'm breaking out", NOW, State())
    assert "breakouts" in turn.replies[0] and alert_kinds(turn) == ["uncovered_topic"]


def test_not_a_question():
    turn = turns.answer_question(KNOWN, "greet", "hi", NOW, State(treatment_time="x"))
    assert turn.replies == [CLARIFY] and turn.state == State(treatment_time="x")


# --- red flags and people ----------------------------------------------------------------


def test_escalate_gives_the_phone_alerts_and_keeps_the_state():
    state = State(treatment_time=SUNDAY_3PM.isoformat(), pending_topic="ask_makeup", awaiting="treatment_time")
    turn = turns.escalate(UNKNOWN, "there's pus and it's hot", state)
    assert PHONE in turn.replies[0] and "911" in turn.replies[0]
    assert turn.alerts == [("red_flag", turn.alerts[0][1])]
    assert "there's pus and it's hot" in turn.alerts[0][1]
    assert turn.state == state
    assert turn.state.treatment_time == SUNDAY_3PM.isoformat()


def test_handover_alerts_human_request():
    turn = turns.handover(KNOWN, "can someone call me", State())
    assert PHONE in turn.replies[0]
    assert alert_kinds(turn) == ["human_request"] and "can someone call me" in turn.alerts[0][1]


# --- state --------------------------------------------------------------------------------


def test_state_from_slots_ignores_other_slots():
    slots = {"treatment_time": "2026-11-22T15:00:00-05:00", "awaiting": "confirmation", "requested_slot": "x"}
    assert turns.State.from_slots(slots) == State("2026-11-22T15:00:00-05:00", None, None, "confirmation")


def test_topic_of():
    assert turns.topic_of("ask_makeup") == "makeup"
    assert turns.topic_of("ask_uncovered_topic") == "uncovered_topic"
    assert turns.topic_of("greet") is None
