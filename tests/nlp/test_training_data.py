"""The training data as Rasa sees it: valid, every TOPICS intent present, and held-out
sets that really are held out (no message also in the training data)."""

from __future__ import annotations

import os
import re
import string
import subprocess
import sys
from collections import Counter
from pathlib import Path

import pytest
import yaml

from bot.nlp.language_guard import OTHER_LANGUAGE_INTENT

ROOT = Path(__file__).resolve().parents[2]
HELD_OUT = sorted((ROOT / "tests" / "nlu").glob("*.yml"))
# The interface (TOPICS): these names are reported by `aftercare ask --json`.
TOPIC_INTENTS = {
    "ask_makeup",
    "ask_sun",
    "ask_washing",
    "ask_skincare_restart",
    "ask_moisturizer",
    "ask_medication",
    "ask_exercise",
    "ask_redness_swelling",
    "ask_peeling",
    "ask_itching",
    "ask_bruising",
    "ask_breakout",
    "ask_pain",
    "ask_results",
    "ask_next_treatment",
    "ask_pre_treatment",
    "ask_contraindications",
    "ask_about_treatment",
    "ask_uncovered_topic",
    "report_red_flag",
    "request_human",
    "inform_treatment_time",
    "greet",
    "goodbye",
    "thank",
    "affirm",
    "deny",
    "bot_challenge",
    "out_of_scope",
}


def examples(paths) -> list[tuple[str, str]]:
    found = []
    for path in paths:
        for block in yaml.safe_load(path.read_text()).get("nlu", []):
            if "intent" in block:
                found += [
                    (block["intent"], line.strip()[2:].strip())
                    for line in block["examples"].splitlines()
                    if line.strip().startswith("- ")
                ]
    return found


def normalized(text: str) -> str:
    """A message as the classifier tells it apart: its words and emoji, whatever the case,
    apostrophes and punctuation ("Who am I talking to?" is "who am i talking to")."""
    text = text.lower().replace("'", "").replace("\u2019", "")
    return " ".join(re.findall(rf"\w+|[^\w\s{re.escape(string.punctuation)}]", text))


TRAINING = examples(sorted((ROOT / "data" / "nlu").glob("*.yml")))


def test_every_topic_intent_is_in_the_domain_and_well_trained():
    domain = set(yaml.safe_load((ROOT / "domain.yml").read_text())["intents"])
    assert domain >= TOPIC_INTENTS
    counts = Counter(intent for intent, _ in TRAINING)
    # other_language is set by the language guard (config.yml), never learned
    assert set(counts) == domain - {OTHER_LANGUAGE_INTENT}
    thin = {intent: n for intent, n in counts.items() if n < 100}
    assert not thin, f"intents with fewer than 100 examples: {thin}"


def test_no_message_is_labelled_with_two_intents():
    labels: dict[str, set[str]] = {}
    for intent, text in TRAINING:
        labels.setdefault(normalized(text), set()).add(intent)
    assert {text: found for text, found in labels.items() if len(found) > 1} == {}


@pytest.mark.parametrize("path", HELD_OUT, ids=lambda p: p.name)
def test_held_out_messages_are_not_in_the_training_data(path):
    # The same words in another order ("yes that's right", "that's right yes") are the same message.
    def words(text: str) -> tuple[str, ...]:
        return tuple(sorted(normalized(text).split()))

    trained = {words(text) for _, text in TRAINING}
    held_out = examples([path])
    assert len(held_out) >= 400
    assert {intent for intent, _ in held_out} >= TOPIC_INTENTS
    assert [text for _, text in held_out if words(text) in trained] == []


def test_the_held_out_check_ignores_case_and_punctuation_not_emoji():
    assert normalized("Who am I talking to?") == normalized("who am i talking to")
    assert normalized("I'd have to check") == normalized("id have to check")
    assert normalized("bye 👋") != normalized("Bye!")  # an emoji is part of the message


def test_rasa_data_validate_is_clean():
    rasa = str(Path(sys.executable).with_name("rasa"))
    env = dict(os.environ, ACTION_SERVER_URL="http://127.0.0.1:9/webhook", TF_CPP_MIN_LOG_LEVEL="2")
    result = subprocess.run(
        [rasa, "data", "validate", "--fail-on-warnings"], cwd=ROOT, env=env, capture_output=True, text=True, timeout=600
    )
    assert result.returncode == 0, (result.stdout + result.stderr)[-3000:]
