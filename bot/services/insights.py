"""The one query behind a clinic's insights: the facts of a period, read from the store.

The console's Insights page and `aftercare insights` both call `figures`; the arithmetic
is bot/insights/figures.py's (pure). Each table is read once, narrowly, through the
indexes on (clinic_id, at) and (clinic_id, created_at): a year of a busy clinic stays
well under a second (bench/insights_bench.py).
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from typing import Optional

from sqlalchemy import String, and_, case, func, select, type_coerce
from sqlalchemy.orm import Session

from bot.insights.figures import CLARIFY, AlertFact, Facts, Figures, Kind, MessageFact, Period, compute
from bot.store.conversation_models import LoggedMessage, MessageKind
from bot.store.messaging_models import FollowUp, JobStatus
from bot.store.models import Alert, Client, Clinic
from bot.store.review_models import MessageReview

KINDS = {kind.value: kind for kind in Kind}


def _messages(session: Session, clinic_id: int, period: Period) -> list[MessageFact]:
    m = LoggedMessage
    # Core, not the ORM: plain rows, no identity map (a quarter is tens of thousands).
    rows = (
        session.connection()
        .execute(
            select(
                m.id,
                m.conversation_id,
                m.at,
                # Raw values: an enum per row would cost more than the rest of the row.
                type_coerce(m.kind, String()),
                m.intent,
                m.confidence,
                m.topics,
                m.action,
                m.recovery_hours,
                m.during_takeover,
                m.delivery_status,
                # Only the texts the assistant asked about are shown (the most frequent ones).
                case((m.action == CLARIFY, m.body), else_=None),
                MessageReview.id,
                MessageReview.intent,
            )
            .outerjoin(MessageReview, MessageReview.message_id == m.id)
            .where(
                m.clinic_id == clinic_id,
                m.at >= period.start,
                m.at <= period.end,
                m.kind != MessageKind.notice,  # said by the system: no figure counts them
            )
        )
        .all()
    )
    return [
        MessageFact(
            id=row[0],
            conversation_id=row[1],
            at=row[2],
            kind=KINDS[row[3]],
            intent=row[4],
            confidence=row[5],
            topics=tuple((row[6] or "").split()),
            action=row[7],
            recovery_hours=row[8],
            during_takeover=bool(row[9]),
            delivery_status=row[10],
            body=row[11],
            reviewed=row[12] is not None,
            reviewed_intent=row[13],
        )
        for row in rows
    ]


def _alerts(session: Session, clinic_id: int, period: Period) -> list[AlertFact]:
    rows = (
        session.connection()
        .execute(
            select(
                Alert.id, type_coerce(Alert.kind, String()), Alert.created_at, Alert.handled_at, Alert.message_id
            ).where(Alert.clinic_id == clinic_id, Alert.created_at >= period.start, Alert.created_at <= period.end)
        )
        .all()
    )
    return [AlertFact(*row) for row in rows]


def _unsent_failed(session: Session, clinic_id: int, period: Period) -> int:
    """Follow-ups due in the period that failed before a text left (no message logged)."""
    logged = select(LoggedMessage.id).where(LoggedMessage.followup_id == FollowUp.id).exists()
    return (
        session.scalar(
            select(func.count(FollowUp.id)).where(
                FollowUp.clinic_id == clinic_id,
                FollowUp.status == JobStatus.failed,
                FollowUp.due_at >= period.start,
                FollowUp.due_at <= period.end,
                ~logged,
            )
        )
        or 0
    )


def _opt_outs(session: Session, clinic_id: int, period: Period) -> int:
    return (
        session.scalar(
            select(func.count(Client.id)).where(
                and_(
                    Client.clinic_id == clinic_id,
                    Client.opted_out.is_(True),
                    Client.opted_out_at >= period.start,
                    Client.opted_out_at <= period.end,
                )
            )
        )
        or 0
    )


def period_end(clinic: Clinic, now: datetime, until: Optional[date]) -> datetime:
    """`now`, or the end of day `until` in the clinic's time zone when that is earlier."""
    if until is None:
        return now
    next_day = datetime.combine(until + timedelta(days=1), time(), tzinfo=clinic.tz)
    return min(now, next_day - timedelta(microseconds=1))


def facts(session: Session, clinic: Clinic, days: int, now: datetime, until: Optional[date] = None) -> Facts:
    period = Period.last(days, period_end(clinic, now, until), clinic.tz)
    return Facts(
        clinic_slug=clinic.slug,
        clinic_name=clinic.name,
        period=period,
        messages=_messages(session, clinic.id, period),
        alerts=_alerts(session, clinic.id, period),
        unsent_failed_followups=_unsent_failed(session, clinic.id, period),
        opt_outs=_opt_outs(session, clinic.id, period),
    )


def figures(session: Session, clinic: Clinic, days: int, now: datetime, until: Optional[date] = None) -> Figures:
    """The clinic's figures for the `days` days (its time zone) up to `now`, or to the
    end of day `until`."""
    return compute(facts(session, clinic, days, now, until))
