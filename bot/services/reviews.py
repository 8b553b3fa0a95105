"""The review queue: client messages the assistant was unsure of, or that a person
handled instead, and staff's verdict on what each asked.

`queue` lists them (newest first, reviewed ones left out);
`review` keeps a verdict (an intent of domain.yml, or None: not a question) with who and
when. `aftercare nlu export` turns verdicts into training data (bot/services/nlu_export.py).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache
from typing import Optional

import yaml
from sqlalchemy import func, select
from sqlalchemy.orm import Session, joinedload

from bot.config import PROJECT_ROOT
from bot.insights.figures import ReviewReason, review_reasons
from bot.services import insights
from bot.store.conversation_models import LoggedMessage, MessageKind
from bot.store.errors import InvalidValue, NotFound
from bot.store.models import Clinic
from bot.store.review_models import MessageReview
from bot.store.staff_models import Staff

REVIEW_DAYS = 90
# Below this the assistant's reading is worth a look, though it answered (the fallback
# asks what was meant below 0.45: config.yml).
LOW_CONFIDENCE = 0.6
# Intents the classifier never predicts from a message's words.
NOT_OFFERED = frozenset({"other_language"})


@lru_cache(maxsize=1)
def intents() -> tuple[str, ...]:
    """The intents a verdict may name: domain.yml's, as the model is trained on them."""
    domain = yaml.safe_load((PROJECT_ROOT / "domain.yml").read_text(encoding="utf-8"))
    return tuple(name for name in domain["intents"] if name not in NOT_OFFERED)


@dataclass(frozen=True)
class Item:
    message: LoggedMessage
    reason: ReviewReason


def _reasons(session: Session, clinic: Clinic, now: datetime) -> dict[int, ReviewReason]:
    """Over the REVIEW_DAYS days up to the clinic's latest message (a quiet clinic still
    sees what it has not reviewed)."""
    latest = session.scalar(select(func.max(LoggedMessage.at)).where(LoggedMessage.clinic_id == clinic.id))
    if latest is None:
        return {}
    facts = insights.facts(session, clinic, REVIEW_DAYS, min(now, latest))
    return review_reasons(facts.messages, facts.alerts, LOW_CONFIDENCE)


def queue(session: Session, clinic: Clinic, now: datetime, limit: int = 50) -> list[Item]:
    reasons = _reasons(session, clinic, now)
    if not reasons:
        return []
    newest = sorted(reasons, reverse=True)[:limit]  # ids grow with time
    rows = session.scalars(
        select(LoggedMessage)
        .options(joinedload(LoggedMessage.conversation))
        .where(LoggedMessage.id.in_(newest), LoggedMessage.clinic_id == clinic.id)
        .order_by(LoggedMessage.at.desc(), LoggedMessage.id.desc())
    )
    return [Item(row, reasons[row.id]) for row in rows]


def pending(session: Session, clinic: Clinic, now: datetime) -> int:
    return len(_reasons(session, clinic, now))


def review(
    session: Session, clinic: Clinic, message_id: int, intent: Optional[str], staff: Staff, now: datetime
) -> MessageReview:
    """Keep `staff`'s verdict on a client message of `clinic`: `intent`, or None for "not
    a question". A second verdict replaces the first (and its who and when)."""
    if intent is not None and intent not in intents():
        raise InvalidValue(f"unknown intent {intent!r}")
    message = session.scalar(
        select(LoggedMessage).where(
            LoggedMessage.id == message_id,
            LoggedMessage.clinic_id == clinic.id,
            LoggedMessage.kind == MessageKind.client,
        )
    )
    if message is None:
        raise NotFound(f"no client message {message_id} in this clinic")
    verdict = session.scalar(select(MessageReview).where(MessageReview.message_id == message.id))
    if verdict is None:
        verdict = MessageReview(message_id=message.id, clinic_id=clinic.id)
        session.add(verdict)
    verdict.intent, verdict.reviewed_by_id, verdict.reviewed_at = intent, staff.id, now
    session.flush()
    return verdict


def recent(session: Session, clinic: Clinic, limit: int = 20) -> list[MessageReview]:
    """The latest verdicts of the clinic, newest first, with who gave them."""
    return list(
        session.scalars(
            select(MessageReview)
            .options(joinedload(MessageReview.message), joinedload(MessageReview.reviewed_by))
            .where(MessageReview.clinic_id == clinic.id)
            .order_by(MessageReview.reviewed_at.desc(), MessageReview.id.desc())
            .limit(limit)
        )
    )
