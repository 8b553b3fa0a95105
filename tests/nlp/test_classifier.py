"""The intent classifier component on its own: trains, ranks, persists and loads."""

from __future__ import annotations

import pytest
from rasa.engine.graph import ExecutionContext, GraphSchema
from rasa.engine.storage.local_model_storage import LocalModelStorage
from rasa.engine.storage.resource import Resource
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

from bot.nlp.classifier import LinearIntentClassifier

EXAMPLES = {
    "ask_makeup": [
        "can i wear makeup",
        "foundation ok tmrw?",
        "when can i put concealer on",
        "mascara yet",
        "is powder alright",
        "can i do my brows",
        "bb cream ok?",
        "lipstick fine?",
    ],
    "ask_sun": [
        "can i go to the beach",
        "spf ok?",
        "when can i sunbathe",
        "is sunscreen fine",
        "going outside in the sun ok",
        "tanning bed?",
        "need a hat?",
        "can i sit in the garden in the sun",
    ],
    "greet": ["hi", "hello", "hey there", "good morning", "hiya", "yo", "morning!", "hey"],
}


def _training_data(extra=None):
    messages = [Message.build(text=t, intent=i) for i, texts in EXAMPLES.items() for t in texts]
    return TrainingData(messages + (extra or []))


@pytest.fixture
def storage(tmp_path):
    return LocalModelStorage(tmp_path)


def _context():
    return ExecutionContext(GraphSchema({}), "test")


def test_trains_ranks_and_survives_persistence(storage):
    resource = Resource("classifier")
    trained = LinearIntentClassifier.create({}, storage, resource, _context())
    trained.train(_training_data())
    loaded = LinearIntentClassifier.load({}, storage, resource, _context())
    for component in (trained, loaded):
        [message] = component.process([Message(data={"text": "can i put on foundation tomorrow"})])
        ranking = message.get("intent_ranking")
        assert message.get("intent")["name"] == "ask_makeup"
        assert {r["name"] for r in ranking} == set(EXAMPLES)
        assert ranking == sorted(ranking, key=lambda r: -r["confidence"])
        assert sum(r["confidence"] for r in ranking) == pytest.approx(1.0)


def test_typo_shares_character_ngrams_with_the_right_topic(storage):
    component = LinearIntentClassifier.create({}, storage, Resource("c"), _context())
    component.train(_training_data())
    [message] = component.process([Message(data={"text": "sunscream?"})])
    assert message.get("intent")["name"] == "ask_sun"


def test_an_intent_with_too_few_examples_is_left_out_not_fatal(storage):
    component = LinearIntentClassifier.create({}, storage, Resource("c"), _context())
    component.train(_training_data([Message.build(text="bye", intent="goodbye")]))
    [message] = component.process([Message(data={"text": "hello"})])
    assert "goodbye" not in {r["name"] for r in message.get("intent_ranking")}
    assert message.get("intent")["name"] == "greet"


def test_untrained_component_leaves_messages_alone(storage):
    component = LinearIntentClassifier.load({}, storage, Resource("never-trained"), _context())
    [message] = component.process([Message(data={"text": "hello"})])
    assert message.get("intent") is None


# --- the topics a message's questions ask -------------------------------------------------


@pytest.fixture
def trained(storage):
    component = LinearIntentClassifier.create({}, storage, Resource("c"), _context())
    component.train(_training_data())
    return component


def topics_of(component, text: str) -> list[str]:
    [message] = component.process([Message(data={"text": text})])
    return [topic["name"] for topic in message.get("topics")]


def test_each_question_clause_names_its_topic_in_the_order_asked(trained):
    assert topics_of(trained, "can i go to the beach and can i wear mascara") == ["ask_sun", "ask_makeup"]
    assert topics_of(trained, "mascara ok? n when can i sunbathe") == ["ask_makeup", "ask_sun"]


def test_a_single_question_or_a_statement_has_no_topics_list(trained):
    assert topics_of(trained, "can i wear mascara") == []
    assert topics_of(trained, "i wore mascara and sat in the sun") == []


def test_clauses_that_are_no_topic_are_left_out_and_a_topic_is_named_once(trained):
    assert topics_of(trained, "hey, can i wear mascara, is powder alright?") == ["ask_makeup"]


def test_at_most_max_topics(storage):
    component = LinearIntentClassifier.create({"max_topics": 1}, storage, Resource("c"), _context())
    component.train(_training_data())
    assert topics_of(component, "can i go to the beach and can i wear mascara") == ["ask_sun"]


def test_topics_carry_confidences(trained):
    [message] = trained.process([Message(data={"text": "can i go to the beach and can i wear mascara"})])
    assert all(0.5 <= topic["confidence"] <= 1 for topic in message.get("topics"))
    assert "topics" in message.output_properties
