"""Rasa NLU component: the language of each message, and a way out for the languages the
assistant does not serve.

Sets `language` in the parse data (an ISO 639-1 code, or None when the message is too short
to tell; bot.nlp.language) and, for a language outside `served` (config.yml), the intent
`other_language`, which a rule answers with the clinic's phone in that language and in
English. The classifier's ranking stays; the red-flag guard, placed after this one, still
escalates a red flag whatever the language.
"""

from __future__ import annotations

from typing import Any, Dict, List

from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.shared.nlu.training_data.message import Message

from bot.languages import ENGLISH
from bot.nlp.language import NAME_LABELS, identifier

LANGUAGE = "language"  # the parse data key
OTHER_LANGUAGE_INTENT = "other_language"


def divert(message: Message, intent: str) -> None:
    """Make `intent` the message's intent, keeping the classifier's ranking after it."""
    ranking = [r for r in message.get("intent_ranking") or [] if r.get("name") != intent]
    message.set("intent", {"name": intent, "confidence": 1.0}, add_to_output=True)
    message.set("intent_ranking", [{"name": intent, "confidence": 1.0}] + ranking, add_to_output=True)


@DefaultV1Recipe.register([DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER], is_trainable=False)
class LanguageGuard(GraphComponent):
    @staticmethod
    def get_default_config() -> Dict[str, Any]:
        return {"served": [ENGLISH]}

    def __init__(self, served: List[str]) -> None:
        self.served = set(served)

    @classmethod
    def create(
        cls,
        config: Dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
    ) -> "LanguageGuard":
        # lingua loads its models at the first message; a server should not make a client wait.
        identifier().warm()
        return cls(config["served"])

    def process(self, messages: List[Message]) -> List[Message]:
        for message in messages:
            names = [(e["start"], e["end"]) for e in message.get("entities") or [] if e.get("entity") in NAME_LABELS]
            language = identifier().identify(message.get("text") or "", names)
            message.set(LANGUAGE, language, add_to_output=True)
            if language is not None and language not in self.served:
                divert(message, OTHER_LANGUAGE_INTENT)
        return messages

    def process_training_data(self, training_data):  # nothing to learn
        return training_data
