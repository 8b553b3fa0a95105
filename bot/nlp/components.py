"""Rasa NLU component: the red-flag safety net inside the NLU pipeline.

Placed last in config.yml, after the classifier and the FallbackClassifier: a message
that names a red flag is routed to escalation whatever was predicted, and the
original prediction stays in the ranking.
"""

from __future__ import annotations

from typing import Any, Dict, List

from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.shared.nlu.training_data.message import Message

from bot.nlp.redflags import lexicon

RED_FLAG_INTENT = "report_red_flag"


@DefaultV1Recipe.register([DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER], is_trainable=False)
class RedFlagGuard(GraphComponent):
    @classmethod
    def create(
        cls,
        config: Dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
    ) -> "RedFlagGuard":
        return cls()

    def process(self, messages: List[Message]) -> List[Message]:
        for message in messages:
            text = message.get("text") or ""
            flags = lexicon().find(text)
            if not flags:
                continue
            ranking = [r for r in message.get("intent_ranking") or [] if r.get("name") != RED_FLAG_INTENT]
            message.set("intent", {"name": RED_FLAG_INTENT, "confidence": 1.0}, add_to_output=True)
            message.set(
                "intent_ranking",
                [{"name": RED_FLAG_INTENT, "confidence": 1.0}] + ranking,
                add_to_output=True,
            )
            entities = list(message.get("entities") or [])
            lowered = text.lower()
            for flag in flags:
                start = lowered.find(flag.text)
                entities.append(
                    {
                        "entity": "red_flag",
                        "value": flag.group,
                        "start": max(start, 0),
                        "end": max(start, 0) + len(flag.text),
                        "extractor": "RedFlagGuard",
                    }
                )
            message.set("entities", entities, add_to_output=True)
        return messages

    def process_training_data(self, training_data):  # nothing to learn
        return training_data
