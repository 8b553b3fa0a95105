"""Rasa SDK actions: gather identity, slots and the message, call bot.dialogue.turns, utter."""

from __future__ import annotations

from dataclasses import asdict
from datetime import datetime
from typing import Any, Dict, List, Optional, Text

from rasa_sdk import Action, Tracker
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions import runtime
from bot.dialogue import turns
from bot.dialogue.turns import Reading, State, Turn
from bot.identity import Correspondent


class TurnAction(Action):
    """Runs one function of bot.dialogue.turns and sends what it returns."""

    action_name = ""

    def name(self) -> Text:
        return self.action_name

    def turn(self, context: Correspondent, tracker: Tracker, now: datetime, state: State) -> Turn:
        raise NotImplementedError

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[Text, Any]
    ) -> List[Dict[Text, Any]]:
        now = runtime.now_of(tracker)
        context = await runtime.correspondent(tracker, now)
        state = State.from_slots(tracker.current_slot_values())
        result = self.turn(context, tracker, now, state)
        await runtime.record_alerts(context, result.alerts)
        for text in result.replies:
            dispatcher.utter_message(text=text)
        before, after = asdict(state), asdict(result.state)
        return [SlotSet(name, value) for name, value in after.items() if before[name] != value]


def _text(tracker: Tracker) -> str:
    return (tracker.latest_message or {}).get("text") or ""


def _intent(tracker: Tracker) -> str:
    return ((tracker.latest_message or {}).get("intent") or {}).get("name") or ""


def _reading(tracker: Tracker) -> Reading:
    """The topics the message's questions ask and the sensations it describes (bot/nlp)."""
    latest = tracker.latest_message or {}
    topics = [str(t["name"]) for t in latest.get("topics") or [] if isinstance(t, dict) and t.get("name")]
    sensations = [str(e["value"]) for e in latest.get("entities") or [] if e.get("entity") == "sensation"]
    return Reading.of(topics, sensations)


def _language(tracker: Tracker) -> Optional[str]:
    """The message's language as the NLU pipeline read it (bot.nlp.language_guard)."""
    return (tracker.latest_message or {}).get("language")


class ActionAnswerTopic(TurnAction):
    action_name = "action_answer_topic"

    def turn(self, context, tracker, now, state):
        return turns.answer_question(context, _intent(tracker), _text(tracker), now, state, _reading(tracker))


class ActionEscalate(TurnAction):
    action_name = "action_escalate"

    def turn(self, context, tracker, now, state):
        return turns.escalate(context, _text(tracker), state, _language(tracker))


class ActionOtherLanguage(TurnAction):
    action_name = "action_other_language"

    def turn(self, context, tracker, now, state):
        return turns.other_language(context, _language(tracker), _text(tracker), state)


class ActionHandover(TurnAction):
    action_name = "action_handover"

    def turn(self, context, tracker, now, state):
        return turns.handover(context, _text(tracker), state, now)


class ActionReadTreatmentTime(TurnAction):
    action_name = "action_read_treatment_time"

    def turn(self, context, tracker, now, state):
        return turns.read_treatment_time(context, _text(tracker), now, state)


class ActionAffirm(TurnAction):
    action_name = "action_affirm"

    def turn(self, context, tracker, now, state):
        return turns.affirm(context, now, state)


class ActionDeny(TurnAction):
    action_name = "action_deny"

    def turn(self, context, tracker, now, state):
        return turns.deny(context, state)


class ActionDontKnow(TurnAction):
    action_name = "action_dont_know"

    def turn(self, context, tracker, now, state):
        return turns.dont_know(context, state)


class ActionClarify(TurnAction):
    action_name = "action_clarify"

    def turn(self, context, tracker, now, state):
        return turns.clarify(context, _intent(tracker), _text(tracker), now, state, _reading(tracker))
