"""Rasa NLU component: the red-flag safety net inside the NLU pipeline.

Placed last in config.yml, after the classifier and the FallbackClassifier: a message
that names a red flag is routed to escalation whatever was predicted, and the
original prediction stays in the ranking.

Sensations (warmth, tightness, redness, swelling, soreness) are expected for a while
after a treatment, so the hour decides whether they are a warning sign, and only the
dialogue knows the hour. They are passed on as `sensation` entities. When the model
reads a red flag into a message whose only signs are sensations ("face feels hot like a
sunburn"), that reading is set aside for the model's next one, and the dialogue
escalates if the sensation is past its expected window; a model reading at
`model_flag_stands_at` or above stands, since the model may see what the lexicon does not.
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
FALLBACK_INTENT = "nlu_fallback"  # Rasa's FallbackClassifier
RED_FLAG_ENTITY = "red_flag"
SENSATION_ENTITY = "sensation"


@DefaultV1Recipe.register([DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER], is_trainable=False)
class RedFlagGuard(GraphComponent):
    @staticmethod
    def get_default_config() -> Dict[str, Any]:
        # fallback_threshold: as the FallbackClassifier's, for the reading that replaces
        # a set-aside red flag.
        return {"model_flag_stands_at": 0.9, "fallback_threshold": 0.45}

    def __init__(self, config: Dict[str, Any]) -> None:
        self.config = {**self.get_default_config(), **config}

    @classmethod
    def create(
        cls,
        config: Dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
    ) -> "RedFlagGuard":
        return cls(config)

    def process(self, messages: List[Message]) -> List[Message]:
        for message in messages:
            reading = lexicon().read(message.get("text") or "")
            if not reading.flags and not reading.sensations:
                continue
            entities = list(message.get("entities") or [])
            entities += [_entity(RED_FLAG_ENTITY, f.group, f.start, f.end) for f in reading.flags]
            entities += [_entity(SENSATION_ENTITY, s.name, s.start, s.end) for s in reading.sensations]
            message.set("entities", entities, add_to_output=True)
            ranking = [r for r in message.get("intent_ranking") or [] if r.get("name") != RED_FLAG_INTENT]
            if reading.flags:
                message.set("intent", {"name": RED_FLAG_INTENT, "confidence": 1.0}, add_to_output=True)
                message.set(
                    "intent_ranking", [{"name": RED_FLAG_INTENT, "confidence": 1.0}] + ranking, add_to_output=True
                )
            elif self._sets_aside(message.get("intent") or {}):
                self._next_reading(message, ranking)
        return messages

    def _sets_aside(self, intent: Dict[str, Any]) -> bool:
        return (
            intent.get("name") == RED_FLAG_INTENT
            and (intent.get("confidence") or 0.0) < self.config["model_flag_stands_at"]
        )

    def _next_reading(self, message: Message, ranking: List[Dict[str, Any]]) -> None:
        """The model's best reading after the red flag, or unsure when that is too weak."""
        threshold = self.config["fallback_threshold"]
        ranking = [r for r in ranking if r.get("name") != FALLBACK_INTENT]
        if ranking and (ranking[0].get("confidence") or 0.0) >= threshold:
            message.set("intent", ranking[0], add_to_output=True)
        else:
            unsure = {"name": FALLBACK_INTENT, "confidence": threshold}
            message.set("intent", unsure, add_to_output=True)
            ranking = [unsure] + ranking
        message.set("intent_ranking", ranking, add_to_output=True)

    def process_training_data(self, training_data):  # nothing to learn
        return training_data


def _entity(kind: str, value: str, start: int, end: int) -> Dict[str, Any]:
    return {"entity": kind, "value": value, "start": start, "end": end, "extractor": "RedFlagGuard"}
