"""Clients who write in another language, through the trained model as `aftercare ask`
runs it (one model load for all): Spanish red flags escalate in Spanish, with 911 for the
breathing one; other Spanish messages get the short reply in Spanish and in English, with
the clinic's phone, and staff an alert; short English texts are never taken for another
language."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from sqlalchemy import create_engine, text

from tests.e2e.test_ask import PHONE, TREATED, env, run  # noqa: F401  (env: the clinic, Ana, her treatment)

AT_30H = (TREATED + timedelta(hours=30)).strftime("%Y-%m-%d %H:%M")
CLINIC_PHONE = "(212) 555-0100"

BREATHING = "se me hincharon los labios y me cuesta respirar"
MAKEUP = "¿Puedo usar maquillaje hoy?"
REDNESS = "mi cara está muy roja, ¿es normal?"
PUS = "tengo pus y fiebre"
LONG = (
    "hola buenas tardes, me hice el microneedling ayer en la tarde y quería preguntarles si ya puedo "
    "ponerme mi crema de noche y si puedo ir al gimnasio mañana temprano, porque tengo clase, y otra cosa, "
    "hoy en la mañana noté que tengo como una costra amarilla en la barbilla, gracias"
)
SHORT_ENGLISH = [
    "ok",
    "ty",
    "k thx",
    "makeup tmrw?",
    "😭😭😭",
    "👍",
    "cerave?",
    "La Roche Posay",
    "101.5",
    "tues 2pm",
    "lol ok",
    "yes pls",
    "nope",
    "still red",
    "Sol de Janeiro ok?",
    "gracias!",
]


@pytest.fixture(scope="module")
def answers(env, tmp_path_factory):  # noqa: F811
    texts = [BREATHING, MAKEUP, REDNESS, PUS, LONG] + SHORT_ENGLISH
    path = tmp_path_factory.mktemp("languages") / "in.jsonl"
    path.write_text("".join(json.dumps({"phone": PHONE, "at": AT_30H, "text": t}) + "\n" for t in texts))
    result = run(env, "ask", "--batch", str(path))
    out = [json.loads(line) for line in result.stdout.splitlines()]
    assert len(out) == len(texts), result.stderr[-2000:]
    return dict(zip(texts, out, strict=True))


def alerts(environment: dict) -> list[tuple[str, str]]:
    engine = create_engine(environment["DATABASE_URL"])
    with engine.connect() as connection:
        return [tuple(row) for row in connection.execute(text("select kind, message from alerts order by id"))]


def test_swollen_lips_and_breathing_at_30_hours_escalate_in_spanish_with_911(answers):
    answer = answers[BREATHING]
    assert answer["intent"] == "report_red_flag" and answer["recovery_hours"] == pytest.approx(30, abs=0.01)
    [reply] = answer["replies"]
    assert "comuníquese ahora" in reply and "llame al 911" in reply and CLINIC_PHONE in reply


@pytest.mark.parametrize("message", [PUS, LONG])
def test_spanish_red_flags_escalate_in_spanish_even_inside_a_long_message(answers, message):
    answer = answers[message]
    assert answer["intent"] == "report_red_flag"
    assert "comuníquese ahora" in answer["replies"][0] and CLINIC_PHONE in answer["replies"][0]


@pytest.mark.parametrize("message", [MAKEUP, REDNESS])
def test_a_spanish_question_gets_the_short_reply_in_spanish_and_english(answers, message):
    answer = answers[message]
    assert answer["intent"] == "other_language"
    spanish, english = answer["replies"]
    assert "solo puedo responder en inglés" in spanish and CLINIC_PHONE in spanish and "911" in spanish
    assert "only answer in English" in english and "If this is urgent, call 911" in english
    assert CLINIC_PHONE in english and "will reply" in english


def test_staff_are_alerted_and_told_the_language(env, answers):  # noqa: F811
    found = alerts(env)
    for message in (MAKEUP, REDNESS):
        assert any(kind == "other_language" and "Spanish" in note and message in note for kind, note in found)
    for message in (BREATHING, PUS, LONG):
        assert any(kind == "red_flag" and "Spanish" in note and message in note for kind, note in found)


@pytest.mark.parametrize("message", SHORT_ENGLISH)
def test_short_english_texts_are_never_taken_for_another_language(answers, message):
    answer = answers[message]
    assert answer["intent"] != "other_language"
    assert not any("inglés" in reply or "only answer in English" in reply for reply in answer["replies"])
