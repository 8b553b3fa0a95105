"""`aftercare ask` end to end: the trained model, the actions and the database, as a
clinic previews them. Asserts facts of the answer (the intent, the recovery hour, the
local time named), never the exact wording the model produces today."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from bot import protocols
from bot.recovery.answers import clock_text

ROOT = Path(__file__).resolve().parents[2]
AFTERCARE = str(Path(sys.executable).with_name("aftercare"))
NEW_YORK = ZoneInfo("America/New_York")
PHONE = "+12125550123"
TREATED = datetime(2026, 11, 20, 14, 30, tzinfo=NEW_YORK)
BOOKING = "https://glow.example/book"


def run(env, *args, stdin=None):
    return subprocess.run(
        [AFTERCARE, *args], env=env, cwd=ROOT, capture_output=True, text=True, input=stdin, timeout=600
    )


@pytest.fixture(scope="module")
def env(tmp_path_factory):
    import os

    tmp = tmp_path_factory.mktemp("ask")
    env = dict(
        os.environ, DATABASE_URL=f"sqlite:///{tmp / 'ask.db'}", TF_CPP_MIN_LOG_LEVEL="2", AFTERCARE_DATA_DIR=str(tmp)
    )
    for args in (
        [
            "clinic",
            "add",
            "--slug",
            "glow",
            "--name",
            "Glow Skin Studio",
            "--timezone",
            "America/New_York",
            "--phone",
            "+12125550100",
            "--booking-url",
            BOOKING,
        ],
        ["client", "add", "--clinic", "glow", "--name", "Ana Diaz", "--phone", "+1 212 555 0123"],
        ["treatment", "add", "--phone", PHONE, "--at", "2026-11-20 14:30"],
    ):
        result = run(env, *args)
        assert result.returncode == 0, result.stderr
    return env


def at(hours: float) -> str:
    return (TREATED + timedelta(hours=hours)).strftime("%Y-%m-%d %H:%M")


LIPS_STORY = (
    "Had my first microneedling session two days ago. The first night was fine, a bit red. Yesterday I woke up "
    "and my whole face had swelled so much my lips had all but vanished. I could barely recognize myself in the "
    "mirror. Is this normal?"
)
RED_STORY = (
    "I got home from the clinic about an hour ago. My face is bright red, like really bright red, and it feels "
    "tight. I expected some redness but not this much. Is this normal?"
)
# Messages of several topics, sensations and stories: (hours after the treatment, text).
CASES = {
    "hot like a sunburn": (5, "face feels hot like a sunburn"),
    "hot to touch and tight": (5, "skin is hot to touch and tight"),
    "hot and tight, ok?": (5, "my face is hot and tight is that ok"),
    "spreading with a fever": (5, "hot, red spreading and a fever"),
    "still hot on day 5": (120, "still hot and swollen"),
    "still hot at 5 hours": (5, "still hot and swollen"),
    "two topics at 6 h": (6, "makeup ok now? n when can i go to the gym"),
    "two topics at 30 h": (30, "makeup ok now? n when can i go to the gym"),
    "mascara and exercise": (6, "can i wear mascara today and when can i exercise"),
    "three topics at 6 h": (
        6,
        "can i put sunscreen on and when can i wear foundation and is it ok to work out tonight",
    ),
    "three topics at 30 h": (
        30,
        "can i put sunscreen on and when can i wear foundation and is it ok to work out tonight",
    ),
    "lips all but vanished": (50, "my face swelled so much my lips have all but vanished"),
    "lips are gone": (50, "my lips are gone"),
    "lips story": (50, LIPS_STORY),
    "red story": (1, RED_STORY),
}
# What a website visitor asks, before booking or on the way home: (hours after the
# treatment, or None for an anonymous visitor, text).
VISITOR = {
    "results last": (None, "How long do results last?"),
    "insurance": (None, "Is microneedling covered by insurance?"),
    "cost": (None, "How much does a microneedling session cost?"),
    "booking": (None, "How can I book an appointment with you?"),
    "painful": (None, "How painful is microneedling?"),
    "downtime": (None, "How much downtime should I expect after microneedling?"),
    "first week": (None, "What should I expect during the first week after microneedling?"),
    "sessions": (None, "How many sessions of microneedling will I need, and how far apart?"),
    "who not": (None, "Who shouldn't have microneedling?"),
    "client downtime": (5, "How much downtime should I expect after microneedling?"),
}


@pytest.fixture(scope="module")
def batch(env, tmp_path_factory):
    """One model load for many questions; each line an independent conversation."""
    lines = [
        {"phone": PHONE, "at": at(6), "text": "can i wear makeup?"},
        {"phone": PHONE, "at": at(30), "text": "can i wear makeup?"},
        {"phone": None, "at": None, "text": "can i wear makeup?"},
        {"phone": "+19175550199", "at": None, "text": "can i wear makeup?"},
        {"phone": PHONE, "at": at(3), "text": "can i put foundation on? also i think there's pus coming out"},
        {"phone": PHONE, "at": at(200), "text": "my face is still peeling, is that normal?"},
        {"phone": PHONE, "at": at(60), "text": "is it normal that my skin is peeling"},
        {"phone": PHONE, "at": at(5), "text": "can i have a glass of wine tonight"},
        {"phone": PHONE, "at": at(5), "text": "x" * 10_000},
        {"phone": PHONE, "at": at(5), "text": "😭😭😭"},
        {"phone": "not a phone", "at": None, "text": "hi"},
    ] + [{"phone": PHONE, "at": at(hours), "text": text} for hours, text in CASES.values()]
    lines += [
        {"phone": PHONE if hours is not None else None, "at": at(hours) if hours is not None else None, "text": text}
        for hours, text in VISITOR.values()
    ]
    path = tmp_path_factory.mktemp("batch") / "in.jsonl"
    path.write_text("\n".join(json.dumps(line) for line in lines) + "\n")
    started = time.monotonic()
    result = run(env, "ask", "--batch", str(path))
    elapsed = time.monotonic() - started
    out = [json.loads(line) for line in result.stdout.splitlines()]
    assert len(out) == len(lines), result.stderr[-2000:]
    return out, elapsed, result


def test_makeup_at_6_hours_is_not_yet_and_names_the_opening_time(batch):
    first = batch[0][0]
    assert first["intent"] == "ask_makeup"
    assert first["recovery_hours"] == pytest.approx(6, abs=0.01)
    text = " ".join(first["replies"]).lower()
    opening = clock_text(TREATED + timedelta(hours=24))  # 2:30 pm, the next day
    assert opening in text and "tomorrow" in text
    assert "no makeup" in text or "not yet" in text


def test_makeup_at_30_hours_is_fine(batch):
    second = batch[0][1]
    assert second["intent"] == "ask_makeup"
    assert second["recovery_hours"] == pytest.approx(30, abs=0.01)
    text = " ".join(second["replies"]).lower()
    assert "makeup is fine" in text and "no makeup yet" not in text


@pytest.mark.parametrize("index", [2, 3])
def test_unknown_sender_is_asked_when_the_treatment_was(batch, index):
    answer = batch[0][index]
    assert answer["recovery_hours"] is None
    assert "when was your treatment" in " ".join(answer["replies"]).lower()


def test_red_flag_inside_another_question_escalates_with_the_clinic_phone(batch):
    answer = batch[0][4]
    assert answer["intent"] == "report_red_flag"
    assert "(212) 555-0100" in " ".join(answer["replies"])


def test_is_this_normal_follows_the_expected_timeline(batch):
    late, expected = batch[0][5], batch[0][6]
    assert "(212) 555-0100" in " ".join(late["replies"])  # day 8: refer to the clinic
    assert "(212) 555-0100" not in " ".join(expected["replies"])  # day 2: expected


def test_uncovered_topic_is_passed_on_not_invented(batch):
    text = " ".join(batch[0][7]["replies"]).lower()
    assert "hasn't given guidance" in text and "alcohol" in text


def test_bad_input_gets_an_answer_or_a_clear_error(batch):
    out, _elapsed, result = batch
    assert out[8]["replies"] and out[9]["replies"]
    assert "error" in out[10] and "line 11" in out[10]["error"]
    assert result.returncode == 1


def test_single_question_prints_json(env):
    result = run(env, "ask", "--phone", PHONE, "--at", at(6), "--json", "is it ok to go to the gym tomorrow")
    assert result.returncode == 0, result.stderr[-2000:]
    answer = json.loads(result.stdout)
    assert set(answer) == {"intent", "confidence", "recovery_hours", "replies"}
    assert answer["intent"] == "ask_exercise" and 0 < answer["confidence"] <= 1


def test_bad_phone_is_a_one_line_error(env):
    result = run(env, "ask", "--phone", "12", "hello")
    assert result.returncode == 2
    assert result.stderr.strip().startswith("error:") and len(result.stderr.strip().splitlines()) == 1


def test_every_reported_intent_is_a_topic_name_even_when_the_assistant_asks_to_clarify(batch):
    import yaml

    names = set(yaml.safe_load((ROOT / "domain.yml").read_text())["intents"])
    reported = [answer["intent"] for answer in batch[0] if "intent" in answer]
    assert reported and all(name in names for name in reported), reported


def test_a_clarified_message_reports_the_models_best_guess():
    from bot.preview import reported_intent

    parsed = {
        "intent": {"name": "nlu_fallback", "confidence": 0.45},
        "intent_ranking": [
            {"name": "nlu_fallback", "confidence": 0.45},
            {"name": "ask_sun", "confidence": 0.31},
            {"name": "ask_makeup", "confidence": 0.29},
        ],
    }
    assert reported_intent(parsed) == {"name": "ask_sun", "confidence": 0.31}
    sure = {"intent": {"name": "ask_makeup", "confidence": 0.9}, "intent_ranking": []}
    assert reported_intent(sure) == {"name": "ask_makeup", "confidence": 0.9}


# --- several topics, sensations against their window, stories ---------------------------


def case(batch, name: str) -> dict:
    return batch[0][11 + list(CASES).index(name)]


def guidance(topic: str, hours: float) -> str:
    return protocols.default().topic(topic).window_at(hours).guidance


def said(answer: dict) -> str:
    return " ".join(answer["replies"])


ESCALATION = "Please contact Glow Skin Studio now at (212) 555-0100"
CLARIFYING = "not sure I understood"


@pytest.mark.parametrize(
    "name", ["hot like a sunburn", "hot to touch and tight", "hot and tight, ok?", "still hot at 5 hours"]
)
def test_normal_sensations_inside_their_window_are_answered_as_expected(batch, name):
    answer = case(batch, name)
    text = said(answer)
    assert guidance("redness_swelling", 5) in text  # "... for the first day or two the skin may feel warm and tight"
    assert "(212) 555-0100" not in text and CLARIFYING not in text


@pytest.mark.parametrize("name", ["spreading with a fever", "still hot on day 5"])
def test_a_real_sign_or_a_sensation_past_its_window_escalates(batch, name):
    text = said(case(batch, name))
    assert ESCALATION in text and "911" in text


def test_heat_on_day_5_says_how_long_it_was_expected(batch):
    assert said(case(batch, "still hot on day 5")).startswith(
        "Warmth is expected for the first 48 hours after treatment, and it has been 5 days."
    )


@pytest.mark.parametrize(
    "name, hours", [("two topics at 6 h", 6), ("two topics at 30 h", 30), ("mascara and exercise", 6)]
)
def test_each_topic_of_a_two_topic_message_is_answered_for_the_hour_in_order(batch, name, hours):
    answer = case(batch, name)
    makeup, exercise = answer["replies"]
    assert guidance("makeup", hours) in makeup and guidance("exercise", hours) in exercise
    assert answer["recovery_hours"] == pytest.approx(hours, abs=0.01)
    if hours < 24:
        opening = clock_text(TREATED + timedelta(hours=24))
        assert (
            f"Makeup is fine from {opening} tomorrow" in makeup
            and f"Exercise is fine from {opening} tomorrow" in exercise
        )


@pytest.mark.parametrize("name, hours", [("three topics at 6 h", 6), ("three topics at 30 h", 30)])
def test_each_topic_of_a_three_topic_message_is_answered_for_the_hour_in_order(batch, name, hours):
    sun, makeup, exercise = case(batch, name)["replies"]
    assert guidance("sun", hours) in sun
    assert guidance("makeup", hours) in makeup
    assert guidance("exercise", hours) in exercise


@pytest.mark.parametrize("name", ["lips all but vanished", "lips are gone", "lips story"])
def test_lips_swollen_out_of_sight_escalate_in_any_words_and_at_any_length(batch, name):
    answer = case(batch, name)
    assert answer["intent"] == "report_red_flag"
    assert ESCALATION in said(answer) and "Redness and mild swelling are expected" not in said(answer)


def test_a_story_that_ends_in_a_question_gets_that_question_answered(batch):
    answer = case(batch, "red story")
    text = said(answer)
    assert answer["replies"][0].startswith("It has been 1 hour since your treatment")
    assert guidance("redness_swelling", 1) in answer["replies"][0]
    assert "(212) 555-0100" not in text and "isn't right for everyone" not in text  # not the contraindications answer


# --- website visitors -------------------------------------------------------------------


def visitor(batch, name: str) -> dict:
    return batch[0][11 + len(CASES) + list(VISITOR).index(name)]


def general(topic: str) -> str:
    """A visitor topic's one answer, with the clinic's details filled in."""
    return (
        guidance(topic, 0)
        .replace("{clinic_name}", "Glow Skin Studio")
        .replace("{clinic_phone}", "(212) 555-0100")
        .replace("{booking_url}", BOOKING)
    )


@pytest.mark.parametrize("name", [n for n, (hours, _text) in VISITOR.items() if hours is None])
def test_a_visitor_is_answered_without_being_asked_when_the_treatment_was(batch, name):
    answer = visitor(batch, name)
    assert answer["recovery_hours"] is None
    assert "when was your treatment" not in said(answer).lower() and CLARIFYING not in said(answer)


def test_how_long_results_last_says_how_long_not_only_when(batch):
    answer = visitor(batch, "results last")
    assert answer["intent"] == "ask_results"
    assert "long-lasting" in said(answer) and "refresher treatment a year" in said(answer)


@pytest.mark.parametrize("name, intent", [("insurance", "ask_cost"), ("cost", "ask_cost"), ("booking", "ask_booking")])
def test_cost_insurance_and_booking_go_to_the_clinics_booking_link_and_phone(batch, name, intent):
    answer = visitor(batch, name)
    assert answer["intent"] == intent
    assert said(answer) == general(intent[4:])
    assert BOOKING in said(answer) and "(212) 555-0100" in said(answer)
    assert not any(symbol in said(answer) for symbol in "$£€")  # no price is invented


def test_how_painful_is_answered_with_pain_and_numbing_not_the_description(batch):
    answer = visitor(batch, "painful")
    assert answer["intent"] == "ask_treatment_pain"
    assert said(answer) == general("treatment_pain") and "numbing cream" in said(answer)


@pytest.mark.parametrize("name", ["downtime", "first week"])
def test_downtime_and_the_first_week_get_the_recovery_timeline(batch, name):
    answer = visitor(batch, name)
    assert answer["intent"] == "ask_recovery"
    assert said(answer) == general("recovery") and "day 7" in said(answer)


def test_sessions_give_their_number_and_interval(batch):
    answer = visitor(batch, "sessions")
    assert answer["intent"] == "ask_next_treatment"
    assert "4-6 weeks" in said(answer) and "3-5" in said(answer)


def test_who_should_not_have_it_lists_the_contraindications(batch):
    answer = visitor(batch, "who not")
    assert answer["intent"] == "ask_contraindications"
    assert "pregnancy" in said(answer) and "Accutane" in said(answer) and "(212) 555-0100" in said(answer)


def test_a_client_asking_a_visitor_question_gets_the_same_answer(batch):
    client = visitor(batch, "client downtime")
    assert client["recovery_hours"] == pytest.approx(5, abs=0.01)
    assert said(client) == said(visitor(batch, "downtime"))
