"""One turn at a time: pure functions of (context, message, now, state)."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from bot import protocols
from bot.alerts import AlertKind
from bot.dialogue import turns
from bot.dialogue.turns import ASK_WHEN, CLARIFY, Reading, State
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
    unclear = turns.clarify(UNKNOWN, "nlu_fallback", "sunday around 3", NOW, State())
    assert unclear.replies == [CLARIFY]
    assert unclear.alerts == [(AlertKind.not_understood, "The assistant did not understand: sunday around 3")]
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
    asked = Reading.of(["ask_makeup", "ask_exercise"])
    turn = turns.answer_question(KNOWN, "ask_makeup", "can i wear makeup and go to the gym?", NOW, State(), asked)
    assert len(turn.replies) == 2
    makeup, gym = turn.replies
    assert "It has been" in makeup and "It has been" not in gym
    assert PROTOCOL.topic("makeup").windows[0].guidance in makeup
    assert PROTOCOL.topic("exercise").windows[0].guidance in gym
    assert "3:00 pm today" in gym


def test_three_topics_are_answered_in_the_order_asked_whatever_the_intent():
    asked = Reading.of(["ask_sun", "ask_washing", "ask_exercise"])
    turn = turns.answer_question(KNOWN, "ask_exercise", "sunscreen, washing and the gym?", NOW, State(), asked)
    sun, washing, gym = turn.replies
    assert PROTOCOL.topic("sun").windows[0].guidance in sun and "It has been" in sun
    assert PROTOCOL.topic("washing").windows[0].guidance in washing
    assert PROTOCOL.topic("exercise").windows[0].guidance in gym


def test_at_most_three_topics_and_each_once():
    asked = Reading.of(["ask_sun", "ask_sun", "ask_makeup", "ask_washing", "ask_exercise"])
    turn = turns.answer_question(KNOWN, "ask_sun", "lots of questions", NOW, State(), asked)
    assert len(turn.replies) == turns.MAX_TOPICS == 3
    assert PROTOCOL.topic("sun").windows[0].guidance in turn.replies[0]
    assert PROTOCOL.topic("washing").windows[0].guidance in turn.replies[2]


def test_an_unsure_message_with_confident_question_clauses_is_answered_not_clarified():
    asked = Reading.of(["ask_makeup", "ask_exercise"])
    turn = turns.clarify(KNOWN, "nlu_fallback", "makeup ok now? n when can i go to the gym", NOW, State(), asked)
    assert CLARIFY not in turn.replies and len(turn.replies) == 2
    assert PROTOCOL.topic("exercise").windows[0].guidance in turn.replies[1]


def test_without_topics_or_sensations_an_unsure_message_is_clarified():
    assert turns.clarify(KNOWN, "nlu_fallback", "hmm ok", NOW, State(), Reading()).replies == [CLARIFY]
    # a sensation the protocol does not know is no topic
    unknown = Reading.of([], ["numbness"])
    assert turns.clarify(KNOWN, "nlu_fallback", "numb", NOW, State(), unknown).replies == [CLARIFY]


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


# --- sensations against their expected window ------------------------------------------


def after(hours: float) -> Correspondent:
    return context(treated_at=NOW - timedelta(hours=hours))


def feel(*sensations: str) -> Reading:
    return Reading.of([], sensations)


WARMTH = PROTOCOL.sensations["warmth"]
REDNESS = PROTOCOL.sensations["redness"]


def test_warmth_inside_its_window_is_answered_as_expected():
    turn = turns.clarify(after(5), "nlu_fallback", "face feels hot like a sunburn", NOW, State(), feel("warmth"))
    [reply] = turn.replies
    assert PROTOCOL.topic("redness_swelling").windows[0].guidance in reply
    assert "warm" in reply and PHONE not in reply and turn.alerts == []


@pytest.mark.parametrize("hours, escalates", [(WARMTH.until - 0.1, False), (WARMTH.until, True), (120, True)])
def test_warmth_escalates_from_the_end_of_its_window(hours, escalates):
    turn = turns.answer_question(
        after(hours), "ask_redness_swelling", "still hot and swollen", NOW, State(), feel("warmth", "swelling")
    )
    text = " ".join(turn.replies)
    assert (PHONE in text and "911" in text) is escalates
    assert alert_kinds(turn) == (["red_flag"] if escalates else [])
    if escalates:
        [reply] = turn.replies
        assert reply.startswith("Warmth is expected for the first 48 hours after treatment, and it has been ")
        assert "warmth" in turn.alerts[0][1] and "still hot and swollen" in turn.alerts[0][1]


@pytest.mark.parametrize("hours, refers", [(REDNESS.until - 0.1, False), (REDNESS.until, True)])
def test_redness_is_referred_from_the_end_of_its_window(hours, refers):
    turn = turns.answer_question(after(hours), "ask_redness_swelling", "still red", NOW, State(), feel("redness"))
    [reply] = turn.replies
    assert (PHONE in reply) is refers and "911" not in reply
    assert alert_kinds(turn) == (["outside_timeline"] if refers else [])


def test_soreness_past_its_window_is_referred_though_the_pain_topic_has_no_end():
    turn = turns.answer_question(after(100), "ask_pain", "still sore", NOW, State(), feel("soreness"))
    [reply] = turn.replies
    assert reply.startswith("Soreness is expected for the first 4 days after treatment, and it has been 4 days")
    assert PHONE in reply and "911" not in reply and alert_kinds(turn) == ["outside_timeline"]
    inside = turns.answer_question(after(95), "ask_pain", "still sore", NOW, State(), feel("soreness"))
    [reply] = inside.replies
    assert "Some soreness, tenderness or mild stinging is normal" in reply and inside.alerts == []


def test_a_sensation_whose_topic_already_refers_gets_the_topics_answer_once():
    turn = turns.answer_question(after(24 * 8), "ask_peeling", "still tight and flaky", NOW, State(), feel("tightness"))
    [reply] = turn.replies
    assert "Peeling should have stopped" in reply and alert_kinds(turn) == ["outside_timeline"]


def test_a_question_with_a_sensation_answers_both_in_order():
    turn = turns.answer_question(
        after(5),
        "ask_makeup",
        "my face is hot, can i wear makeup?",
        NOW,
        State(),
        Reading.of(["ask_makeup"], ["warmth"]),
    )
    makeup, warmth = turn.replies
    assert PROTOCOL.topic("makeup").windows[0].guidance in makeup
    assert PROTOCOL.topic("redness_swelling").windows[0].guidance in warmth
    late = turns.answer_question(
        after(60),
        "ask_makeup",
        "my face is hot, can i wear makeup?",
        NOW,
        State(),
        Reading.of(["ask_makeup"], ["warmth"]),
    )
    assert len(late.replies) == 1 and PHONE in late.replies[0] and alert_kinds(late) == ["red_flag"]


def test_a_clinic_sets_the_window_of_a_sensation():
    override = "sensations:\n  warmth: {topic: redness_swelling, until: 72h, beyond: refer}\n"
    clinic = context(treated_at=NOW - timedelta(hours=60), protocol=protocols.for_clinic(override, source="clinic"))
    assert turns.answer_question(clinic, "ask_redness_swelling", "hot", NOW, State(), feel("warmth")).alerts == []
    later = context(treated_at=NOW - timedelta(hours=72), protocol=clinic.protocol)
    turn = turns.answer_question(later, "ask_redness_swelling", "hot", NOW, State(), feel("warmth"))
    assert alert_kinds(turn) == ["outside_timeline"] and "911" not in turn.replies[0]


def test_sensations_wait_with_the_question_for_the_treatment_time():
    turn = turns.clarify(UNKNOWN, "nlu_fallback", "my face is still hot", NOW, State(), feel("warmth"))
    assert turn.replies == [ASK_WHEN]
    assert turn.state.pending_topic == "ask_redness_swelling" and turn.state.pending_sensations == "warmth"
    turn = turns.read_treatment_time(UNKNOWN, "3 days ago", NOW, turn.state)
    assert turn.state.pending_sensations == "warmth" and turn.state.awaiting == "confirmation"
    turn = turns.affirm(UNKNOWN, NOW, turn.state)
    assert PHONE in turn.replies[-1] and alert_kinds(turn) == ["red_flag"]
    assert turn.state.pending_sensations is None


def test_several_waiting_topics_are_all_answered_or_given_generally():
    asked = Reading.of(["ask_makeup", "ask_exercise"])
    turn = turns.answer_question(UNKNOWN, "ask_makeup", "makeup and gym?", NOW, State(), asked)
    assert turn.state.pending_topic == "ask_makeup ask_exercise"
    confirmed = turns.affirm(
        UNKNOWN, NOW, State(None, SUNDAY_3PM.isoformat(), turn.state.pending_topic, "confirmation")
    )
    assert len(confirmed.replies) == 3  # "Thanks, noted." and both answers
    general = turns.dont_know(UNKNOWN, turn.state)
    assert len(general.replies) == 3
    assert PROTOCOL.topic("exercise").windows[0].guidance in general.replies[2]


def test_before_the_treatment_a_sensation_is_not_judged():
    ahead = context(treated_at=NOW + timedelta(hours=5))
    turn = turns.answer_question(ahead, "ask_redness_swelling", "face is hot", NOW, State(), feel("warmth"))
    assert turn.alerts == [] and PHONE not in turn.replies[0]


def test_a_message_that_only_tells_is_answered_in_the_order_told():
    told = feel("warmth", "tightness")
    turn = turns.answer_question(after(5), "ask_peeling", "skin is hot and tight", NOW, State(), told)
    warmth, tightness = turn.replies
    assert PROTOCOL.topic("redness_swelling").windows[0].guidance in warmth and "It has been" in warmth
    assert PROTOCOL.topic("peeling").windows[0].guidance in tightness
    # a question asked keeps its place before what is told
    asked = Reading.of(["ask_makeup"], ["tightness"])
    makeup, tight = turns.answer_question(after(5), "ask_peeling", "tight, makeup ok?", NOW, State(), asked).replies
    assert PROTOCOL.topic("makeup").windows[0].guidance in makeup
