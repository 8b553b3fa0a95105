"""Every topic a client can ask about is known everywhere it must be: the intent in the
domain, the rule that answers it, and the topic catalogue that names it. A topic missing
from the catalogue would silently become "your clinic has not given guidance"."""

from __future__ import annotations

from pathlib import Path

import yaml

from bot import protocols
from bot.dialogue import turns

ROOT = Path(__file__).resolve().parents[2]
ANSWER = "action_answer_topic"


def domain_intents() -> list[str]:
    return yaml.safe_load((ROOT / "domain.yml").read_text(encoding="utf-8"))["intents"]


def topic_intents() -> set[str]:
    return {intent for intent in domain_intents() if turns.topic_of(intent) is not None}


def answered_by_rules() -> set[str]:
    """Intents whose rule runs the answer action (an `or:` of intents, or one intent)."""
    found = set()
    for rule in yaml.safe_load((ROOT / "data" / "rules.yml").read_text(encoding="utf-8"))["rules"]:
        steps = rule["steps"]
        if {"action": ANSWER} not in steps:
            continue
        for step in steps:
            found.update(branch["intent"] for branch in step.get("or", []))
            if "intent" in step:
                found.add(step["intent"])
    return found


def uncatalogued(intents: list[str], catalogue) -> list[str]:
    """`ask_*` intents whose topic neither the catalogue nor the dialogue knows."""
    known = {*catalogue, turns.UNCOVERED}
    return sorted(i for i in intents if turns.topic_of(i) is not None and turns.topic_of(i) not in known)


def test_every_asked_topic_is_in_the_catalogue():
    assert uncatalogued(domain_intents(), protocols.catalog().labels) == []


def test_the_check_sees_a_topic_missing_from_the_catalogue():
    intents = ["ask_makeup", "ask_tattoos", "greet", "ask_uncovered_topic"]
    assert uncatalogued(intents, protocols.catalog().labels) == ["ask_tattoos"]


def test_every_asked_topic_has_the_answer_rule_and_nothing_else_does():
    assert answered_by_rules() == topic_intents()


def test_the_default_protocol_covers_only_catalogue_topics():
    assert set(protocols.default().topics) <= set(protocols.catalog().labels)
