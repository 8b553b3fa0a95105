"""Rasa NLU component: the red-flag safety net inside the NLU pipeline.

Placed last in config.yml, after the classifier, the FallbackClassifier and the language
guard: a message that names a red flag is routed to escalation whatever was predicted or
whatever its language, and the original prediction stays in the ranking. The English
lexicon reads every message; the Spanish one (red flags only) every message not clearly
English, since "tengo fiebre" is too short for the language identifier. A message whose
language was not told, or was misread, but names Spanish red flags English has no word
for, is taken as Spanish, so that the escalation is said in Spanish.

Sensations (warmth, tightness, redness, swelling, soreness) are expected for a while
after a treatment, so the hour decides whether they are a warning sign, and only the
dialogue knows the hour. They are passed on as `sensation` entities. When the model
reads a red flag into a message whose only signs are sensations ("face feels hot like a
sunburn"), that reading is set aside for the model's next one, and the dialogue
escalates if the sensation is past its expected window; a model reading at
`model_flag_stands_at` or above stands, since the model may see what the lexicon does not.
"""

from __future__ import annotations

from typing import Any, Dict, List, Optional

from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.shared.nlu.training_data.message import Message

from bot.languages import ENGLISH
from bot.nlp import redflags_es
from bot.nlp.language_guard import LANGUAGE
from bot.nlp.redflags import RedFlag, lexicon

RED_FLAG_INTENT = "report_red_flag"
# Red-flag lexicons of other languages, run on every message not clearly English.
OTHER_LEXICONS = {"es": redflags_es.lexicon}
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
        # Built now, not at the first message: a client's text should not wait for them.
        for build in (lexicon, *OTHER_LEXICONS.values()):
            build()
        return cls(config)

    def process(self, messages: List[Message]) -> List[Message]:
        for message in messages:
            text = message.get("text") or ""
            language = message.get(LANGUAGE)
            reading = lexicon().read(text)
            others = other_flags(text, language, reading.flags)
            flags = reading.flags + [flag for _, flag in others]
            if not flags and not reading.sensations:
                continue
            if others and language not in (ENGLISH, others[0][0]):
                message.set(LANGUAGE, others[0][0], add_to_output=True)
            entities = list(message.get("entities") or [])
            entities += [_entity(RED_FLAG_ENTITY, f.group, f.start, f.end) for f in flags]
            entities += [_entity(SENSATION_ENTITY, s.name, s.start, s.end) for s in reading.sensations]
            message.set("entities", entities, add_to_output=True)
            ranking = [r for r in message.get("intent_ranking") or [] if r.get("name") != RED_FLAG_INTENT]
            if flags:
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


def other_flags(text: str, language: Optional[str], english: List[RedFlag]) -> List[tuple[str, RedFlag]]:
    """(language, flag) for the red flags other lexicons find where English found none;
    none in a message clearly English."""
    if language == ENGLISH:
        return []
    taken = {i for flag in english for i in range(flag.start, flag.end)}
    return [
        (code, flag)
        for code, build in OTHER_LEXICONS.items()
        for flag in build().find(text)
        if not taken.intersection(range(flag.start, flag.end))
    ]


def _entity(kind: str, value: str, start: int, end: int) -> Dict[str, Any]:
    return {"entity": kind, "value": value, "start": start, "end": end, "extractor": "RedFlagGuard"}


def names_red_flag(text: str) -> bool:
    """Does `text` name a red flag in any language we read (without the model: what a
    client writes while a person has taken over still raises one)?"""
    english = lexicon().find(text)
    return bool(english) or bool(other_flags(text, None, english))
