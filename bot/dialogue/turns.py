"""What the assistant says for one turn: pure functions of (context, message, now, state).

Each returns a Turn: the replies, the conversation state to keep, and alerts for the
clinic's staff. The actions only gather the inputs (who is writing: a Correspondent),
call one of these, and send.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any, Iterable, Literal, Mapping, Optional, Sequence

from bot import languages, protocols
from bot.alerts import AlertKind
from bot.identity import Correspondent
from bot.nlp.dates import parse_treatment_time
from bot.recovery import answers
from bot.recovery.answers import Reply
from bot.recovery.clock import elapsed_hours
from bot.recovery.protocol import Sensation, Topic

ASK_WHEN = (
    'When was your treatment? For example "yesterday around 3" or "Tuesday at 10am". '
    "If you're not sure, just say so and I'll give you general guidance."
)
CLARIFY = "Sorry, I'm not sure I understood. Is this about makeup, sun, skincare, or how your skin is healing?"
ANYTHING_ELSE = "Anything else about your recovery?"
# Topics answered alike at any point of recovery (what microneedling is, cost, booking ...):
# the catalog's `treatment_time: never`. Others are answered from the client's point of recovery.
_NO_TIME_NEEDED = protocols.catalog().answered_without_time
# The one asked-about topic that is not in the catalogue: a question on a topic the default
# protocol lacks (the catalogue's keywords then name which).
UNCOVERED = "uncovered_topic"
MAX_TOPICS = 3  # answered in one reply; more would bury the answers


Awaiting = Literal["treatment_time", "confirmation"]  # what the last question asked for


@dataclass(frozen=True)
class State:
    """What the conversation remembers between turns (Rasa slots)."""

    treatment_time: Optional[str] = None  # ISO, confirmed by the client in the chat
    candidate_time: Optional[str] = None  # ISO, read from the client's words, to confirm
    pending_topic: Optional[str] = None  # the intents waiting for a treatment time, space-separated
    awaiting: Optional[Awaiting] = None
    pending_sensations: Optional[str] = None  # what the waiting message described, space-separated

    @classmethod
    def from_slots(cls, slots: Mapping[str, Any]) -> "State":
        return cls(**{name: slots.get(name) for name in cls.__dataclass_fields__})


@dataclass(frozen=True)
class Reading:
    """What the language side read from a message besides its intent."""

    topics: tuple[str, ...] = ()  # intents of the topics its questions ask, in the order asked
    sensations: tuple[str, ...] = ()  # sensations the client describes having now, in text order

    @classmethod
    def of(cls, topics: Sequence[str] = (), sensations: Sequence[str] = ()) -> "Reading":
        return cls(tuple(topics), tuple(sensations))


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


def _unique(names: Iterable[Optional[str]]) -> list[str]:
    return list(dict.fromkeys(name for name in names if name))


def _sensations(context: Correspondent, reading: Reading) -> list[Sensation]:
    return [
        context.protocol.sensations[name] for name in _unique(reading.sensations) if name in context.protocol.sensations
    ]


def _asked(context: Correspondent, intent: str, reading: Reading) -> list[str]:
    """The topics to answer, in order: those the message's questions ask (else its intent's),
    then those of the sensations it describes ("my face is hot, can i wear makeup?")."""
    asked = _unique(topic_of(name) for name in reading.topics)
    described = _unique(s.topic for s in _sensations(context, reading))
    if not asked:
        # a message that only tells: its sensations in the order told, when its intent is one of them
        whole = topic_of(intent)
        asked = [] if whole in described else _unique([whole])
    return _unique(asked + described)[:MAX_TOPICS]


def _needs_time(context: Correspondent, names: list[str], reading: Reading) -> bool:
    """Sensations are judged by the hour; so is any topic whose guidance changes with it."""
    if _sensations(context, reading):
        return True
    for name in names:
        topic = context.protocol.topic(name)  # None for "uncovered_topic"
        if topic is not None and topic.timed and protocols.catalog().treatment_time(name) == "ask":
            return True
    return False


def _alerts_for(replies: list[Reply], text: str) -> list[tuple[AlertKind, str]]:
    alerts = []
    for reply in replies:
        if not reply.covered:
            alerts.append((AlertKind.uncovered_topic, f"Question the protocol does not cover ({reply.topic}): {text}"))
        elif reply.refer:
            alerts.append((AlertKind.outside_timeline, f"Outside the expected timeline ({reply.topic}): {text}"))
    return alerts


def answer_question(
    context: Correspondent, intent: str, text: str, now: datetime, state: State, reading: Reading = Reading()
) -> Turn:
    """Answer each topic asked (up to three, in the order asked) for the client's hour, and
    judge the sensations described against their expected windows: one that has lasted
    longer escalates or is referred to the clinic, as the protocol says."""
    names = _asked(context, intent, reading)
    if not names:
        return Turn([CLARIFY], state)
    when = treated_at(context, state)
    if when is None and _needs_time(context, names, reading):
        intents = " ".join("ask_" + name for name in names)
        sensations = " ".join(_unique(reading.sensations)) or None
        return Turn([ASK_WHEN], State(state.treatment_time, None, intents, "treatment_time", sensations))
    cleared = State(state.treatment_time)
    hours = elapsed_hours(when, now) if when is not None else None
    lasting = (
        [] if hours is None or hours < 0 else [s for s in _sensations(context, reading) if not s.expected_at(hours)]
    )
    urgent = [s for s in lasting if s.beyond == "escalate"]
    if urgent and hours is not None:
        reply = answers.beyond_expected(context.protocol, urgent[0], hours, context.card)
        words = ", ".join(s.label for s in urgent)
        return Turn(
            [reply.text], cleared, [(AlertKind.red_flag, f"Red flag: {words} past the expected window: {text}")]
        )
    referred = {s.topic: s for s in lasting}
    replies = []
    for index, name in enumerate(names):
        topic = context.protocol.topic(name)
        sensation = referred.get(name)
        window = topic.window_at(hours) if topic is not None and hours is not None else None
        if sensation is not None and hours is not None and window is not None and not window.refer:
            replies.append(answers.beyond_expected(context.protocol, sensation, hours, context.card))
        else:
            replies.append(_reply_for(context, name, text, now, state, lead=index == 0))
    return Turn([r.text for r in replies], cleared, _alerts_for(replies, text))


def read_treatment_time(context: Correspondent, text: str, now: datetime, state: State) -> Turn:
    reading = parse_treatment_time(text, now, context.card.tz)
    if reading is None:
        return Turn(
            ["Sorry, I couldn't tell the date from that. " + ASK_WHEN],
            replace(state, candidate_time=None, awaiting="treatment_time"),
        )
    local_now = now.astimezone(context.card.tz)
    if reading.time_guessed:
        said = f"{answers.day_text(reading.at, local_now)} ({reading.at.strftime('%A, %b')} {reading.at.day})"
        question = f"Just to check: your treatment was {said}? I'll count from midday unless you tell me the time."
    else:
        said = answers.when_text(reading.at, local_now)
        question = f"Just to check: your treatment was {said} ({reading.at.strftime('%A, %b')} {reading.at.day})?"
    return Turn([question], replace(state, candidate_time=reading.at.isoformat(), awaiting="confirmation"))


def affirm(context: Correspondent, now: datetime, state: State) -> Turn:
    if state.awaiting != "confirmation" or not state.candidate_time:
        return Turn(["Great! " + ANYTHING_ELSE], state)
    confirmed = State(state.candidate_time)
    replies = ["Thanks, noted."]
    alerts: list[tuple[AlertKind, str]] = []
    if state.pending_topic:
        waiting = Reading.of((state.pending_topic or "").split(), (state.pending_sensations or "").split())
        turn = answer_question(context, "", "", now, confirmed, waiting)
        replies, alerts = replies + turn.replies, turn.alerts
    else:
        replies.append("What would you like to know about your recovery?")
    return Turn(replies, confirmed, alerts)


def deny(context: Correspondent, state: State) -> Turn:
    if state.awaiting == "confirmation":
        return Turn(["Sorry about that. " + ASK_WHEN], replace(state, candidate_time=None, awaiting="treatment_time"))
    return Turn(["Okay! " + ANYTHING_ELSE], state)


def dont_know(context: Correspondent, state: State) -> Turn:
    cleared = State(state.treatment_time)
    topics = [context.protocol.topic(topic_of(name) or "") for name in (state.pending_topic or "").split()]
    general = [answers.answer_general(context.protocol, topic, context.card).text for topic in topics if topic]
    if not general:
        return Turn(["No problem. " + ANYTHING_ELSE], cleared)
    return Turn(["No problem, here is the general guidance."] + general, cleared)


def clarify(
    context: Correspondent, intent: str, text: str, now: datetime, state: State, reading: Reading = Reading()
) -> Turn:
    """A message the model is unsure of as a whole, or out of scope: maybe the date we asked
    for; else the topics its questions ask or the sensations it describes, if any."""
    if state.awaiting == "treatment_time":
        when = parse_treatment_time(text, now, context.card.tz)
        if when is not None:
            return read_treatment_time(context, text, now, state)
    if _asked(context, "", reading):
        return answer_question(context, "", text, now, state, reading)
    if intent == "out_of_scope":
        return Turn(
            [
                "Sorry, I can only help with your microneedling aftercare. You can ask about makeup, sun, "
                "washing, skincare, exercise or how your skin is healing."
            ],
            state,
        )
    # The staff see it in the console (it is never texted): a question may be hiding here.
    return Turn([CLARIFY], state, [(AlertKind.not_understood, f"The assistant did not understand: {text}")])


def escalate(context: Correspondent, text: str, state: State, language: Optional[str] = None) -> Turn:
    """'Contact the clinic now', in the client's language when the protocol has it."""
    reply = answers.escalation(context.protocol, context.card, language)
    said = f" (in {languages.name(language)})" if language and language != languages.ENGLISH else ""
    return Turn([reply.text], state, [(AlertKind.red_flag, f"Red flag reported{said}: {text}")])


def other_language(context: Correspondent, language: Optional[str], text: str, state: State) -> Turn:
    """A message in a language the assistant does not answer in: the team will reply."""
    replies = answers.other_language(context.protocol, context.card, language)
    alert = f"Wrote in {languages.name(language)}, which the assistant does not answer in: {text}"
    return Turn([reply.text for reply in replies], state, [(AlertKind.other_language, alert)])


def handover(context: Correspondent, text: str, state: State, now: Optional[datetime] = None) -> Turn:
    reply = answers.handover(context.protocol, context.card, now)
    return Turn([reply.text], state, [(AlertKind.human_request, f"Client asks for a person: {text}")])
