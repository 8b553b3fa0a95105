"""What both channels write to the message log (through bot/services/transcripts.py), and
what the assistant read in the message it just handled: the NLU intent and confidence,
the topics, and the action that answered, taken from the conversation's tracker in the
Rasa server the channel runs in (`app.ctx.agent`)."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Iterable, Optional, Sequence

from sqlalchemy.orm import Session

from bot.identity import Correspondent
from bot.services import conversations, transcripts
from bot.services.transcripts import Reading

log = logging.getLogger(__name__)

LISTEN = "action_listen"


def from_events(events: Iterable[Any]) -> Optional[Reading]:
    """The reading of the latest user message among tracker `events` (Rasa event objects)."""
    action = None
    for event in reversed(list(events)):
        kind = type(event).__name__
        if kind == "ActionExecuted" and action is None and getattr(event, "action_name", None) != LISTEN:
            action = getattr(event, "action_name", None)
        if kind == "UserUttered":
            parsed = getattr(event, "parse_data", None) or {}
            intent = parsed.get("intent") or {}
            topics = tuple(str(t["name"]) for t in parsed.get("topics") or [] if isinstance(t, dict) and t.get("name"))
            confidence = intent.get("confidence")
            return Reading(
                intent=intent.get("name") or None,
                confidence=float(confidence) if isinstance(confidence, (int, float)) else None,
                topics=topics,
                action=action,
            )
    return None


async def reading_of(app: Any, sender_id: str) -> Optional[Reading]:
    """None when the app has no Rasa agent (a test's stub assistant) or the tracker
    cannot be read: the log then keeps the message without a reading."""
    agent = getattr(getattr(app, "ctx", None), "agent", None)
    store = getattr(agent, "tracker_store", None)
    if store is None:
        return None
    try:
        tracker = await store.retrieve(sender_id)
    except Exception:  # the message is logged all the same
        log.exception("cannot read the tracker for the message log")
        return None
    return from_events(tracker.events) if tracker is not None else None


@dataclass(frozen=True)
class Inbound:
    """A client's new message: who sent it, its row in the message log, and whether a
    person has taken the conversation over (the assistant then keeps quiet)."""

    who: Correspondent
    message_id: Optional[int] = None
    held: bool = False


def received(
    session: Session, who: Correspondent, body: str, now: datetime, media: Sequence[tuple[str, Optional[str]]] = ()
) -> Inbound:
    logged = transcripts.client_message(session, who, body, now, media)
    if logged is None:
        return Inbound(who)
    return Inbound(who, logged.id, logged.during_takeover)


def answered(
    session: Session,
    who: Correspondent,
    message_id: Optional[int],
    replies: Sequence[str],
    reading: Optional[Reading],
    now: datetime,
) -> Optional[int]:
    """Log the assistant's reply to message `message_id` (and what it read in it); the
    reply's id in the log."""
    logged = transcripts.assistant_reply(session, who, replies, now, transcripts.by_id(session, message_id), reading)
    return logged.id if logged else None


def held(session: Session, who: Correspondent, body: str, red_flag: bool, now: datetime) -> None:
    conversations.held_for_staff(session, who, body, red_flag, now)
