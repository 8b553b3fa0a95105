"""`aftercare nlu export`: staff's verdicts from the review queue as NLU training data.

Gathers every verdict naming an intent (since a date), the names the store knows and the
training data already in data/nlu, and hands them to bot/nlp/reviewed.py, which scrubs
and de-duplicates. The command writes the file; a maintainer reads it and commits it,
and `make train` trains on it with the rest of data/.
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Optional

import phonenumbers
from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.nlp import reviewed
from bot.store.conversation_models import LoggedMessage
from bot.store.models import Client, Clinic
from bot.store.review_models import MessageReview
from bot.store.staff_models import Staff

DEFAULT_FILE = "reviewed.yml"


def _region(phone: str) -> str:
    try:
        return phonenumbers.region_code_for_number(phonenumbers.parse(phone)) or "US"
    except phonenumbers.NumberParseException:
        return "US"


def corrections(session: Session, since: Optional[datetime] = None) -> list[tuple[str, str, str]]:
    """(intent, message text, the clinic's country) of every verdict naming an intent,
    oldest first."""
    query = (
        select(MessageReview.intent, LoggedMessage.body, Clinic.phone)
        .join(LoggedMessage, LoggedMessage.id == MessageReview.message_id)
        .join(Clinic, Clinic.id == MessageReview.clinic_id)
        .where(MessageReview.intent.is_not(None))
        .order_by(MessageReview.reviewed_at, MessageReview.id)
    )
    if since is not None:
        query = query.where(MessageReview.reviewed_at >= since)
    return [(intent, body, _region(phone)) for intent, body, phone in session.execute(query)]


def known_names(session: Session) -> list[str]:
    clients = session.scalars(select(Client.name)).all()
    staff = session.scalars(select(Staff.name).where(Staff.name.is_not(None))).all()
    return [*clients, *staff]


def build(session: Session, data_dir: Path, out: Path, since: Optional[datetime] = None) -> reviewed.Built:
    """The export file's new text: what `out` holds, and the verdicts since `since`,
    without what the other files of `data_dir` hold."""
    training_files = sorted(p for p in data_dir.glob("*.yml") if p.resolve() != out.resolve())
    training = reviewed.examples_in(training_files)
    vocabulary = {word for _, text in training for word in reviewed.normalized(text).split()}
    names = reviewed.Names.of(known_names(session), vocabulary)
    new = [(intent, reviewed.scrub(text, names, region)) for intent, text, region in corrections(session, since)]
    kept = reviewed.examples_in([out]) if out.exists() else []
    return reviewed.build(new, kept, training)
