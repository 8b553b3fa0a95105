"""A clinic's insights for a period, computed purely from the facts the store holds.

bot/services/insights.py gathers the facts (`Facts`: the period's messages, alerts,
unsent failed follow-ups and opt-outs); `compute` turns them into `Figures`, which the
console's Insights page and `aftercare insights` both show. No I/O; "now" is in the facts.

What the figures mean (README's "Insights" says it for the clinic):
- a client message is *answered alone* when the assistant answered it (an assistant
  message follows before the client's next one), no staff member wrote in the
  conversation within REPLY_WINDOW after it, no alert was raised about it (an escalation)
  and, if the assistant asked what was meant, the client's next message (within the
  window) was understood;
- a follow-up was *replied to* when the client wrote within REPLY_WINDOW after it;
- a question's topic is the reviewed intent when staff corrected it, else what the
  assistant read (its topics, or its `ask_` intent); its day is the recovery day then.
"""

from __future__ import annotations

import enum
import re
import statistics
from collections import Counter, defaultdict
from dataclasses import asdict, dataclass, field
from datetime import date, datetime, timedelta, tzinfo
from typing import Any, NamedTuple, Optional, Sequence

REPLY_WINDOW = timedelta(hours=24)
DAYS = 15  # recovery days 0 to 14 on the heat map
CLARIFY = "action_clarify"
TOPIC_PREFIX = "ask_"
DELIVERED = frozenset({"delivered", "read"})
UNDELIVERED = frozenset({"failed", "undelivered"})
TOP_NOT_UNDERSTOOD = 10
PERIODS = (7, 30, 90)  # what the console offers; the command takes any number of days

# Alert kinds by value, as bot/alerts.py stores them, in the order the page lists them;
# the first four are what clients escalate most. A failed follow-up is about the
# follow-up, not the client's message, so it is no escalation.
ESCALATION_LABELS = {
    "red_flag": "Red flag",
    "human_request": "Person requested",
    "photo": "Photo sent",
    "not_understood": "Not understood",
    "uncovered_topic": "Topic not covered",
    "outside_timeline": "Outside the recovery timeline",
    "other_language": "Another language",
    "during_takeover": "Written during a take-over",
    "opted_out_wrote": "Wrote after opting out",
    "bot_error": "Assistant error",
}
ALWAYS_SHOWN = ("red_flag", "human_request", "photo", "not_understood")


class Kind(str, enum.Enum):
    """Kinds of logged message, as stored (bot/store/conversation_models.MessageKind)."""

    client = "client"
    assistant = "assistant"
    followup = "followup"
    staff = "staff"
    notice = "notice"


class MessageFact(NamedTuple):
    """One logged message (a tuple: a busy quarter has tens of thousands)."""

    id: int
    conversation_id: int
    at: datetime
    kind: Kind
    intent: Optional[str] = None
    confidence: Optional[float] = None
    topics: tuple[str, ...] = ()
    action: Optional[str] = None
    recovery_hours: Optional[float] = None
    during_takeover: bool = False
    delivery_status: Optional[str] = None
    body: Optional[str] = None  # loaded only for messages the assistant asked about
    reviewed: bool = False
    reviewed_intent: Optional[str] = None  # None with `reviewed`: not a question


class AlertFact(NamedTuple):
    id: int
    kind: str
    created_at: datetime
    handled_at: Optional[datetime] = None
    message_id: Optional[int] = None


@dataclass(frozen=True)
class Period:
    """The last `days` days in the clinic's time zone, today included, up to `end` (now)."""

    days: int
    start: datetime
    end: datetime
    tz: tzinfo

    @classmethod
    def last(cls, days: int, now: datetime, tz: tzinfo) -> "Period":
        if days < 1:
            raise ValueError("a period is at least one day")
        first = now.astimezone(tz).date() - timedelta(days=days - 1)
        start = datetime(first.year, first.month, first.day, tzinfo=tz)
        return cls(days, start, now, tz)

    @property
    def first_day(self) -> date:
        return self.start.astimezone(self.tz).date()

    @property
    def last_day(self) -> date:
        return self.end.astimezone(self.tz).date()


@dataclass(frozen=True)
class Facts:
    clinic_slug: str
    clinic_name: str
    period: Period
    messages: Sequence[MessageFact]  # every logged message of the clinic in the period
    alerts: Sequence[AlertFact]  # alerts raised in the period
    unsent_failed_followups: int  # follow-ups due in the period that failed before any text left
    opt_outs: int  # clients who opted out in the period (and still are)


@dataclass(frozen=True)
class Escalation:
    kind: str
    label: str
    count: int
    handled: int
    median_minutes_to_handled: Optional[float]


@dataclass(frozen=True)
class FollowUps:
    sent: int
    delivered: int
    failed: int
    replied: int
    reply_share: Optional[float]


@dataclass(frozen=True)
class TopicDays:
    topic: str  # the intent, e.g. ask_makeup
    label: str  # "makeup"
    by_day: tuple[int, ...]  # questions on recovery day 0 .. 14
    total: int


@dataclass(frozen=True)
class Repeated:
    text: str
    count: int


@dataclass(frozen=True)
class Figures:
    clinic: str
    clinic_name: str
    days: int
    first_day: date
    last_day: date
    conversations: int
    client_messages: int
    answered_alone: int
    answered_alone_share: Optional[float]
    escalations: tuple[Escalation, ...]
    escalations_total: int
    median_minutes_to_handled: Optional[float]
    followups: FollowUps
    opt_outs: int
    topics: tuple[TopicDays, ...]  # most asked first
    questions_outside_days: int  # questions with no recovery day 0-14 (none known, or later)
    clarified: int
    clarification_rate: Optional[float]
    not_understood: tuple[Repeated, ...] = field(default_factory=tuple)

    def as_json(self) -> dict[str, Any]:
        data = asdict(self)
        data["first_day"], data["last_day"] = self.first_day.isoformat(), self.last_day.isoformat()
        data["topics"] = [{**t, "by_day": list(t["by_day"])} for t in data["topics"]]
        data["escalations"] = list(data["escalations"])
        data["not_understood"] = list(data["not_understood"])
        return data


def share(part: int, whole: int) -> Optional[float]:
    """part / whole to 4 decimals; None when there is nothing to divide."""
    return round(part / whole, 4) if whole else None


def topic_label(intent: str) -> str:
    return intent[len(TOPIC_PREFIX) :].replace("_", " ") if intent.startswith(TOPIC_PREFIX) else intent


def normalized(text: str) -> str:
    """A message as repeats of it are counted: case, spacing and outer punctuation aside."""
    return re.sub(r"\s+", " ", text.lower()).strip(" \t\n.,!?;:\"'")


def _minutes(delta: timedelta) -> float:
    return delta.total_seconds() / 60


def _median(values: list[float]) -> Optional[float]:
    return round(statistics.median(values), 1) if values else None


def question_topics(message: MessageFact) -> tuple[str, ...]:
    """The topics a client's message asks: staff's verdict over the assistant's reading."""
    if message.reviewed:
        intent = message.reviewed_intent
        return (intent,) if intent and intent.startswith(TOPIC_PREFIX) else ()
    if message.topics:
        return tuple(dict.fromkeys(message.topics))
    if message.intent and message.intent.startswith(TOPIC_PREFIX):
        return (message.intent,)
    return ()


def _by_conversation(messages: Sequence[MessageFact]) -> dict[int, list[MessageFact]]:
    talks: dict[int, list[MessageFact]] = defaultdict(list)
    for message in sorted(messages, key=lambda m: (m.at, m.id)):
        talks[message.conversation_id].append(message)
    return talks


def _answered_alone(talk: list[MessageFact], escalated: set[int]) -> tuple[int, int]:
    """(client messages, of them answered alone) in one conversation, oldest first."""
    clients = [i for i, m in enumerate(talk) if m.kind is Kind.client]
    alone = 0
    for n, index in enumerate(clients):
        message = talk[index]
        following = clients[n + 1] if n + 1 < len(clients) else len(talk)
        answered = any(m.kind is Kind.assistant for m in talk[index + 1 : following])
        window_end = message.at + REPLY_WINDOW
        staff = any(m.kind is Kind.staff and m.at <= window_end for m in talk[index + 1 :])
        resolved = True
        if message.action == CLARIFY:
            after = talk[following] if following < len(talk) else None
            resolved = (
                after is not None
                and after.at <= window_end
                and not after.during_takeover
                and after.action is not None
                and after.action != CLARIFY
            )
        if answered and not message.during_takeover and not staff and message.id not in escalated and resolved:
            alone += 1
    return len(clients), alone


def _followups(talks: dict[int, list[MessageFact]], unsent_failed: int) -> FollowUps:
    sent = delivered = failed = replied = 0
    for talk in talks.values():
        for index, message in enumerate(talk):
            if message.kind is not Kind.followup:
                continue
            sent += 1
            delivered += message.delivery_status in DELIVERED
            failed += message.delivery_status in UNDELIVERED
            window_end = message.at + REPLY_WINDOW
            replied += any(m.kind is Kind.client and m.at <= window_end for m in talk[index + 1 :])
    return FollowUps(sent, delivered, failed + unsent_failed, replied, share(replied, sent))


def _escalations(alerts: Sequence[AlertFact], end: datetime) -> tuple[tuple[Escalation, ...], Optional[float]]:
    by_kind: dict[str, list[AlertFact]] = defaultdict(list)
    for alert in alerts:
        if alert.kind in ESCALATION_LABELS:
            by_kind[alert.kind].append(alert)
    rows = []
    every: list[float] = []
    for kind, label in ESCALATION_LABELS.items():
        found = by_kind.get(kind, [])
        if not found and kind not in ALWAYS_SHOWN:
            continue
        waits = [_minutes(a.handled_at - a.created_at) for a in found if a.handled_at and a.handled_at <= end]
        every += waits
        rows.append(Escalation(kind, label, len(found), len(waits), _median(waits)))
    return tuple(rows), _median(every)


def _topics(clients: list[MessageFact]) -> tuple[tuple[TopicDays, ...], int]:
    counts: dict[str, list[int]] = defaultdict(lambda: [0] * DAYS)
    outside = 0
    for message in clients:
        asked = question_topics(message)
        if not asked:
            continue
        hours = message.recovery_hours
        day = int(hours // 24) if hours is not None and hours >= 0 else None
        for topic in asked:
            if day is None or day >= DAYS:
                outside += 1
                continue
            counts[topic][day] += 1
    rows = [TopicDays(t, topic_label(t), tuple(days), sum(days)) for t, days in counts.items()]
    rows.sort(key=lambda row: (-row.total, row.topic))
    return tuple(rows), outside


def _not_understood(clarified: list[MessageFact]) -> tuple[Repeated, ...]:
    counts: Counter[str] = Counter()
    shown: dict[str, str] = {}
    for message in clarified:
        key = normalized(message.body or "")
        if not key:
            continue
        counts[key] += 1
        shown.setdefault(key, " ".join((message.body or "").split()))
    ranked = sorted(counts.items(), key=lambda item: (-item[1], item[0]))[:TOP_NOT_UNDERSTOOD]
    return tuple(Repeated(shown[key], count) for key, count in ranked)


class ReviewReason(str, enum.Enum):
    """Why a client's message is in the review queue."""

    clarified = "clarified"  # the assistant asked what was meant
    unsure = "unsure"  # it answered with low confidence
    staff = "staff"  # a person handled it: a staff reply, a take-over or an alert


def escalated_messages(alerts: Sequence[AlertFact]) -> set[int]:
    return {a.message_id for a in alerts if a.message_id is not None and a.kind in ESCALATION_LABELS}


def review_reasons(
    messages: Sequence[MessageFact], alerts: Sequence[AlertFact], low_confidence: float
) -> dict[int, ReviewReason]:
    """The client messages (by id) worth a staff member's verdict, and why; reviewed
    ones are left out."""
    escalated = escalated_messages(alerts)
    reasons: dict[int, ReviewReason] = {}
    for talk in _by_conversation(messages).values():
        for index, message in enumerate(talk):
            if message.kind is not Kind.client or message.reviewed:
                continue
            window_end = message.at + REPLY_WINDOW
            if message.action == CLARIFY:
                reasons[message.id] = ReviewReason.clarified
            elif message.confidence is not None and message.confidence < low_confidence:
                reasons[message.id] = ReviewReason.unsure
            elif (
                message.during_takeover
                or message.id in escalated
                or any(m.kind is Kind.staff and m.at <= window_end for m in talk[index + 1 :])
            ):
                reasons[message.id] = ReviewReason.staff
    return reasons


def compute(facts: Facts) -> Figures:
    period = facts.period
    messages = sorted((m for m in facts.messages if period.start <= m.at <= period.end), key=lambda m: (m.at, m.id))
    alerts = [a for a in facts.alerts if period.start <= a.created_at <= period.end]
    talks = _by_conversation(messages)
    escalated = escalated_messages(alerts)
    total = alone = 0
    for talk in talks.values():
        written, handled = _answered_alone(talk, escalated)
        total, alone = total + written, alone + handled
    clients = [m for m in messages if m.kind is Kind.client]
    clarified = [m for m in clients if m.action == CLARIFY]
    escalations, median_all = _escalations(alerts, period.end)
    topics, outside = _topics(clients)
    return Figures(
        clinic=facts.clinic_slug,
        clinic_name=facts.clinic_name,
        days=period.days,
        first_day=period.first_day,
        last_day=period.last_day,
        conversations=len({m.conversation_id for m in clients}),
        client_messages=total,
        answered_alone=alone,
        answered_alone_share=share(alone, total),
        escalations=escalations,
        escalations_total=sum(e.count for e in escalations),
        median_minutes_to_handled=median_all,
        followups=_followups(talks, facts.unsent_failed_followups),
        opt_outs=facts.opt_outs,
        topics=topics,
        questions_outside_days=outside,
        clarified=len(clarified),
        clarification_rate=share(len(clarified), len(clients)),
        not_understood=_not_understood(clarified),
    )
