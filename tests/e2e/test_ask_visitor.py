"""What a website visitor asks, through the trained model (`aftercare ask --batch`, one model
load): how long results last, cost and insurance, booking, pain, downtime, sessions, and a
topic of the opt-in common-questions extension for a clinic that includes it."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

ROOT = Path(__file__).resolve().parents[2]
AFTERCARE = str(Path(sys.executable).with_name("aftercare"))
NEW_YORK = ZoneInfo("America/New_York")
CLIENT = "+12125550123"
TREATED = datetime(2026, 11, 20, 14, 30, tzinfo=NEW_YORK)
PHONE = "(212) 555-0100"
BOOKING = "https://glow.example/book"

QUESTIONS = {
    "results_last": (None, "How long do results last?"),
    "insurance": (None, "Is microneedling covered by insurance?"),
    "cost": (None, "How much does a microneedling session cost?"),
    "booking": (None, "How can I book an appointment with you?"),
    "painful": (None, "How painful is microneedling?"),
    "downtime": (None, "How much downtime should I expect after microneedling?"),
    "sessions": (None, "How many sessions of microneedling will I need, and how far apart?"),
    "who_not": (None, "Who shouldn't have microneedling?"),
    "client_downtime": (5, "How much downtime should I expect after microneedling?"),
    "client_sauna": (30, "can i go in the sauna tonight"),
}


def run(env, *args):
    return subprocess.run([AFTERCARE, *args], env=env, cwd=ROOT, capture_output=True, text=True, timeout=600)


@pytest.fixture(scope="module")
def answers(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("visitor")
    env = dict(
        os.environ, DATABASE_URL=f"sqlite:///{tmp / 'ask.db'}", TF_CPP_MIN_LOG_LEVEL="2", AFTERCARE_DATA_DIR=str(tmp)
    )
    protocol = tmp / "glow.yml"
    protocol.write_text("include: [common-questions]\n")
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
            "--protocol",
            str(protocol),
        ],
        ["client", "add", "--clinic", "glow", "--name", "Ana Diaz", "--phone", CLIENT],
        ["treatment", "add", "--phone", CLIENT, "--at", "2026-11-20 14:30"],
    ):
        result = run(env, *args)
        assert result.returncode == 0, result.stderr
    lines = []
    for hours, text in QUESTIONS.values():
        at = (TREATED + timedelta(hours=hours)).strftime("%Y-%m-%d %H:%M") if hours is not None else None
        lines.append({"phone": CLIENT if hours is not None else None, "at": at, "text": text})
    path = tmp / "in.jsonl"
    path.write_text("\n".join(json.dumps(line) for line in lines) + "\n")
    result = run(env, "ask", "--batch", str(path))
    out = [json.loads(line) for line in result.stdout.splitlines()]
    assert len(out) == len(lines), result.stderr[-2000:]
    return {key: {**answer, "text": " ".join(answer["replies"])} for key, answer in zip(QUESTIONS, out, strict=True)}


def test_how_long_results_last_is_answered_with_how_long_too(answers):
    answer = answers["results_last"]
    assert answer["intent"] == "ask_results"
    assert "long-lasting" in answer["text"] and "refresher" in answer["text"]
    assert "when was your treatment" not in answer["text"].lower()


@pytest.mark.parametrize("key", ["insurance", "cost", "booking"])
def test_cost_insurance_and_booking_go_to_the_clinics_booking_link_and_phone(answers, key):
    answer = answers[key]
    assert answer["intent"] == ("ask_booking" if key == "booking" else "ask_cost")
    assert BOOKING in answer["text"] and PHONE in answer["text"]
    assert not any(symbol in answer["text"] for symbol in "$£€")  # no price is invented


def test_how_painful_is_answered_with_numbing_not_the_description(answers):
    answer = answers["painful"]
    assert answer["intent"] == "ask_treatment_pain"
    assert "numbing cream" in answer["text"] and "collagen and elastin" not in answer["text"]


def test_downtime_is_answered_with_the_recovery_timeline(answers):
    answer = answers["downtime"]
    assert answer["intent"] == "ask_recovery"
    assert "Downtime is short" in answer["text"] and "24 hours" in answer["text"]


def test_sessions_give_number_and_interval_without_asking_when_the_treatment_was(answers):
    answer = answers["sessions"]
    assert answer["intent"] == "ask_next_treatment"
    assert "4-6 weeks" in answer["text"] and "3-5" in answer["text"]
    assert "when was your treatment" not in answer["text"].lower()


def test_who_should_not_have_it_lists_the_contraindications(answers):
    answer = answers["who_not"]
    assert answer["intent"] == "ask_contraindications"
    assert "pregnancy" in answer["text"] and "Accutane" in answer["text"] and PHONE in answer["text"]


def test_a_client_asking_a_visitor_question_gets_the_same_answer(answers):
    assert answers["client_downtime"]["recovery_hours"] == pytest.approx(5, abs=0.01)
    assert answers["client_downtime"]["text"] == answers["downtime"]["text"]


def test_a_clinic_that_includes_the_extension_answers_the_sauna_for_the_hour(answers):
    answer = answers["client_sauna"]
    assert answer["intent"] == "ask_uncovered_topic"
    assert "No saunas, steam rooms, hot tubs" in answer["text"]
    assert "2:30 pm on Monday" in answer["text"]  # 72 hours after Friday 2:30 pm
    assert "hasn't given guidance" not in answer["text"]
