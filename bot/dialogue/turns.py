"""What the assistant says for one turn: pure functions of (context, message, now, state).

Each returns a Turn: the replies, the conversation state to keep, and alerts for the
clinic's staff. The actions only gather the inputs (who is writing: a Correspondent),
call one of these, and send.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Literal, Mapping, Optional

from bot import protocols
from bot.alerts import AlertKind
from bot.identity import Correspondent
from bot.nlp.dates import parse_treatment_time
from bot.recovery import answers
from bot.recovery.answers import Reply
from bot.recovery.protocol import Topic

ASK_WHEN = (
    'When was your treatment? For example "yesterday around 3" or "Tuesday at 10am". '
    "If you're not sure, just say so and I'll give you general guidance."
)
CLARIFY = "Sorry, I'm not sure I understood. Is this about makeup, sun, skincare, or how your skin is healing?"
ANYTHING_ELSE = "Anything else about your recovery?"
# Topics answered from the client's point of recovery: they need a treatment time.
_NO_TIME_NEEDED = {"pre_treatment", "contraindications", "about_treatment"}
# The one asked-about topic that is not in the catalogue: a question on a topic the default
# protocol lacks (the catalogue's keywords then name which).
UNCOVERED = "uncovered_topic"
_MAX_EXTRA_TOPICS = 2


Awaiting = Literal["treatment_time", "confirmation"]  # what the last question asked for


@dataclass(frozen=True)
class State:
    """What the conversation remembers between turns (Rasa slots)."""

    treatment_time: Optional[str] = None  # ISO, confirmed by the client in the chat
    candidate_time: Optional[str] = None  # ISO, read from the client's words, to confirm
    pending_topic: Optional[str] = None  # the question waiting for a treatment time
    awaiting: Optional[Awaiting] = None

    @classmethod
    def from_slots(cls, slots: Mapping[str, Any]) -> "State":
        return cls(**{name: slots.get(name) for name in cls.__dataclass_fields__})


@dataclass
class Turn:
    replies: list[str]
    state: State
    alerts: list[tuple[AlertKind, str]] = field(default_factory=list)


def topic_of(intent: str) -> Optional[str]:
    return intent[4:] if intent.startswith("ask_") else None


def treated_at(context: Correspondent, state: State) -> Optional[datetime]:
    if context.treated_at is not None:
        return context.treated_at
    if state.treatment_time:
        return datetime.fromisoformat(state.treatment_time)
    return None


def _reply_for(
    context: Correspondent, topic_name: str, text: str, now: datetime, state: State, lead: bool = True
) -> Reply:
    protocol, card = context.protocol, context.card
    if topic_name == "contraindications":
        return answers.answer_conditions(protocol, text, card)
    if topic_name == UNCOVERED:
        return _uncovered(context, text, now, state)
    topic = protocol.topic(topic_name)
    if topic is None:
        label = protocols.catalog().labels.get(topic_name, topic_name.replace("_", " "))
        return answers.answer_uncovered(protocol, label, card)
    if topic_name in _NO_TIME_NEEDED:
        return answers.answer_general(protocol, topic, card)
    return _answer(context, topic, now, state, lead)


def _answer(context: Correspondent, topic: Topic, now: datetime, state: State, lead: bool = True) -> Reply:
    """For the client's point of recovery when the treatment time is known, else general."""
    when = treated_at(context, state)
    if when is None:
        return answers.answer_general(context.protocol, topic, context.card)
    return answers.answer_topic(context.protocol, topic, when, now, context.card, lead=lead)


def _uncovered(context: Correspondent, text: str, now: datetime, state: State) -> Reply:
    """A topic the default protocol lacks: the clinic's own line if it has one, else say so."""
    catalog = protocols.catalog()
    named = answers.topics_in(
        text, [t for t in catalog.labels if t not in protocols.default().topics], dict(catalog.keywords)
    )
    for name in named:
        topic = context.protocol.topic(name)
        if topic is not None:
            return _answer(context, topic, now, state)
    label = catalog.labels[named[0]] if named else "that"
    return answers.answer_uncovered(context.protocol, label, context.card)


def _extra_topics(context: Correspondent, primary: str, text: str) -> list[str]:
    """Other covered topics a message asks about too ("makeup and the gym tomorrow?")."""
    catalog = protocols.catalog()
    candidates = [t for t in context.protocol.topics if t != primary and t not in _NO_TIME_NEEDED]
    return answers.topics_in(text, candidates, dict(catalog.keywords))[:_MAX_EXTRA_TOPICS]


def _alerts_for(replies: list[Reply], text: str) -> list[tuple[AlertKind, str]]:
    alerts = []
    for reply in replies:
        if not reply.covered:
            alerts.append((AlertKind.uncovered_topic, f"Question the protocol does not cover ({reply.topic}): {text}"))
        elif reply.refer:
            alerts.append((AlertKind.outside_timeline, f"Outside the expected timeline ({reply.topic}): {text}"))
    return alerts


def answer_question(context: Correspondent, intent: str, text: str, now: datetime, state: State) -> Turn:
    topic_name = topic_of(intent)
    if topic_name is None:
        return Turn([CLARIFY], state)
    topic = context.protocol.topic(topic_name)  # None for "uncovered_topic"
    needs_time = (
        topic is not None and topic.timed and topic_name not in _NO_TIME_NEEDED and treated_at(context, state) is None
    )
    if needs_time:
        return Turn([ASK_WHEN], State(state.treatment_time, None, intent, "treatment_time"))
    topics = [topic_name] + (_extra_topics(context, topic_name, text) if topic_name != UNCOVERED else [])
    replies = [_reply_for(context, name, text, now, state, lead=index == 0) for index, name in enumerate(topics)]
    cleared = State(state.treatment_time, None, None, None)
    return Turn([r.text for r in replies], cleared, _alerts_for(replies, text))


def read_treatment_time(context: Correspondent, text: str, now: datetime, state: State) -> Turn:
    reading = parse_treatment_time(text, now, context.card.tz)
    if reading is None:
        return Turn(
            ["Sorry, I couldn't tell the date from that. " + ASK_WHEN],
            State(state.treatment_time, None, state.pending_topic, "treatment_time"),
        )
    local_now = now.astimezone(context.card.tz)
    if reading.time_guessed:
        said = f"{answers.day_text(reading.at, local_now)} ({reading.at.strftime('%A, %b')} {reading.at.day})"
        question = f"Just to check: your treatment was {said}? I'll count from midday unless you tell me the time."
    else:
        said = answers.when_text(reading.at, local_now)
        question = f"Just to check: your treatment was {said} ({reading.at.strftime('%A, %b')} {reading.at.day})?"
    return Turn([question], State(state.treatment_time, reading.at.isoformat(), state.pending_topic, "confirmation"))


def affirm(context: Correspondent, now: datetime, state: State) -> Turn:
    if state.awaiting != "confirmation" or not state.candidate_time:
        return Turn(["Great! " + ANYTHING_ELSE], state)
    confirmed = State(state.candidate_time, None, None, None)
    replies = ["Thanks, noted."]
    alerts: list[tuple[AlertKind, str]] = []
    if state.pending_topic:
        turn = answer_question(context, state.pending_topic, "", now, confirmed)
        replies, alerts = replies + turn.replies, turn.alerts
    else:
        replies.append("What would you like to know about your recovery?")
    return Turn(replies, confirmed, alerts)


def deny(context: Correspondent, state: State) -> Turn:
    if state.awaiting == "confirmation":
        return Turn(
            ["Sorry about that. " + ASK_WHEN],
            State(state.treatment_time, None, state.pending_topic, "treatment_time"),
        )
    return Turn(["Okay! " + ANYTHING_ELSE], state)


def dont_know(context: Correspondent, state: State) -> Turn:
    cleared = State(state.treatment_time, None, None, None)
    topic = context.protocol.topic(topic_of(state.pending_topic or "") or "")
    if topic is None:
        return Turn(["No problem. " + ANYTHING_ELSE], cleared)
    general = answers.answer_general(context.protocol, topic, context.card)
    return Turn(["No problem, here is the general guidance.", general.text], cleared)


def clarify(context: Correspondent, intent: str, text: str, now: datetime, state: State) -> Turn:
    """A message the model is unsure of, or out of scope: maybe the date we asked for."""
    if state.awaiting == "treatment_time":
        reading = parse_treatment_time(text, now, context.card.tz)
        if reading is not None:
            return read_treatment_time(context, text, now, state)
    if intent == "out_of_scope":
        return Turn(
            [
                "Sorry, I can only help with your microneedling aftercare. You can ask about makeup, sun, "
                "washing, skincare, exercise or how your skin is healing."
            ],
            state,
        )
    return Turn([CLARIFY], state)


def escalate(context: Correspondent, text: str, state: State) -> Turn:
    reply = answers.escalation(context.protocol, context.card)
    return Turn([reply.text], state, [(AlertKind.red_flag, f"Red flag reported: {text}")])


def handover(context: Correspondent, text: str, state: State) -> Turn:
    reply = answers.handover(context.protocol, context.card)
    return Turn([reply.text], state, [(AlertKind.human_request, f"Client asks for a person: {text}")])
