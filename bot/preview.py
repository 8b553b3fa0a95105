"""The trained assistant in one process, for previews (`aftercare ask`) and tests.

The Rasa agent calls our actions through an in-process executor instead of HTTP, so
a preview needs no servers; it answers exactly as the deployed assistant would.
"""

from __future__ import annotations

import logging
import os
import sys
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any, Optional

from rasa.core.agent import Agent
from rasa.core.channels.channel import CollectingOutputChannel, UserMessage
from rasa.core.tracker_store import InMemoryTrackerStore
from rasa.utils.endpoints import EndpointConfig
from rasa_sdk.executor import ActionExecutor

from bot.config import PROJECT_ROOT

FALLBACK_INTENT = "nlu_fallback"  # Rasa's FallbackClassifier


class InProcessActions(EndpointConfig):
    """An action endpoint that runs the actions package in this process."""

    def __init__(self, package: str = "actions"):
        super().__init__(url="in-process://actions")
        self.executor = ActionExecutor()
        self.executor.register_package(package)

    async def request(self, method: str = "post", subpath: Optional[str] = None, **kwargs: Any) -> Any:
        return await self.executor.run(kwargs["json"])


@dataclass
class Answer:
    intent: Optional[str]
    confidence: Optional[float]
    replies: list[str]


def reported_intent(parsed: dict) -> dict:
    """The topic a message was about, named as in the intent list.

    When the model was unsure, the assistant asks a clarifying question (Rasa's
    `nlu_fallback`); the report still names the model's best guess, with its low
    confidence, because `nlu_fallback` is not a topic.
    """
    intent = parsed.get("intent") or {}
    if intent.get("name") != FALLBACK_INTENT:
        return intent
    guesses = [r for r in parsed.get("intent_ranking") or [] if r.get("name") != FALLBACK_INTENT]
    return guesses[0] if guesses else intent


class Preview:
    def __init__(self, agent: Agent):
        self.agent = agent

    @classmethod
    def load(cls, model_path: Path) -> "Preview":
        # Rasa's logs go to stderr and only from warnings up: stdout is the answer.
        logging.basicConfig(stream=sys.stderr, level=logging.WARNING)
        from rasa.utils.log_utils import configure_structlog

        configure_structlog(logging.WARNING)
        # The spaCy pipeline is found by a path relative to the project (config.yml).
        os.chdir(PROJECT_ROOT)
        agent = Agent.load(str(model_path), action_endpoint=InProcessActions())
        return cls(agent)

    def forget(self) -> None:
        """Every preview message starts a fresh conversation."""
        store = self.agent.tracker_store
        if isinstance(store, InMemoryTrackerStore):
            store.store.clear()

    async def ask(self, sender_id: str, text: str, now: datetime) -> Answer:
        output = CollectingOutputChannel()
        message = UserMessage(text, output, sender_id, input_channel="preview", metadata={"now": now.isoformat()})
        await self.agent.handle_message(message)
        tracker = await self.agent.tracker_store.retrieve(sender_id)
        parsed = tracker.latest_message.parse_data if tracker else {}
        intent = reported_intent(parsed or {})
        replies = [m.get("text") for m in output.messages if m.get("text")]
        return Answer(intent.get("name"), intent.get("confidence"), replies)
