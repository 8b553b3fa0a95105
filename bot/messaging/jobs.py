"""The two kinds of job the worker sends, and what differs between them: which table,
whom the text goes to and from, what it says, and when it must not go at all."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Optional, Protocol, TypeVar

from sqlalchemy import exists, literal, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session, joinedload

from bot import links
from bot.alerts import AlertKind
from bot.config import Settings
from bot.messaging import followups, schedule, texts
from bot.messaging.gateway import Outgoing
from bot.messaging.outcomes import Postpone, Prepared, Send, Skip
from bot.services import clients, conversations, transcripts
from bot.store.messaging_models import AlertDelivery, FollowUp, JobStatus
from bot.store.models import Alert, UTCDateTime

# A follow-up this late (the worker was down) is skipped rather than sent out of context.
MAX_LATENESS = timedelta(hours=24)
TOO_LATE = "more than 24 hours late"

Job = TypeVar("Job", FollowUp, AlertDelivery)


class JobKind(Protocol[Job]):
    """What the worker needs to know about one kind of job; the rest (claiming, leases,
    sending, retries) is the same for every kind."""

    model: type[Job]  # its table, with the Dispatch columns
    purpose: str  # kept in the SMS log

    def load(self, session: Session, job_id: int) -> Job:
        """The row with what `prepare` reads, in one query."""

    def prepare(self, session: Session, row: Job, now: datetime) -> Prepared:
        """Send (the text, written once), Skip (it must never go) or Postpone (not now)."""

    def skip(self, row: Job, skip: Skip) -> None:
        """Mark the row as never to be sent, with the reason."""

    def unsubscribed(self, session: Session, row: Job, now: datetime) -> None:
        """Twilio refused the text because its recipient opted out (21610)."""

    def sent(self, session: Session, row: Job, now: datetime) -> Optional[int]:
        """The text went out: log it; the message-log id its SMS rows carry, if any."""

    def failed(self, session: Session, row: Job, now: datetime) -> None:
        """The text will never go out (a permanent error, or too many attempts)."""


class FollowUpJobs:
    model = FollowUp
    purpose = "followup"

    def __init__(self, settings: Settings) -> None:
        self.settings = settings

    def load(self, session: Session, job_id: int) -> FollowUp:
        related = (FollowUp.client, FollowUp.clinic, FollowUp.treatment)
        return session.get(FollowUp, job_id, options=[joinedload(r) for r in related])

    def prepare(self, session: Session, row: FollowUp, now: datetime) -> Prepared:
        client, clinic, treatment = row.client, row.clinic, row.treatment
        step = followups.step_of(clinic.protocol, row.step_key)
        blocked = followups.obstacle(treatment, client, step, row.due_at, followups.later_start(session, treatment))
        if blocked is not None:
            return blocked
        assert step is not None  # obstacle() skips a step the protocol no longer has
        if now - row.due_at > MAX_LATENESS:
            return Skip(JobStatus.skipped, TOO_LATE)
        # Due times avoid quiet hours, but a late worker or a retry's backoff may not.
        quiet = clinic.protocol.quiet_hours
        if quiet.contains(now.astimezone(clinic.tz).time()):
            return Postpone(schedule.after_quiet_hours(now, quiet, clinic.tz))
        if row.body is None:  # written once: a retry sends the very same text
            link = links.chat_link(self.settings, client, now) if texts.needs_chat_link(step) else ""
            row.body = texts.followup_body(step, clinic, client, link)
        return Send(Outgoing(client.phone, clinic.sms_from, row.body, self.purpose, clinic.id))

    def skip(self, row: FollowUp, skip: Skip) -> None:
        row.status, row.reason = skip.status, skip.reason

    def unsubscribed(self, session: Session, row: FollowUp, now: datetime) -> None:
        """Twilio says the client has opted out (21610): record it, which cancels the rest."""
        clients.set_opted_out(session, row.client, True, now)

    def sent(self, session: Session, row: FollowUp, now: datetime) -> Optional[int]:
        return transcripts.followup(session, row, now).id

    def failed(self, session: Session, row: FollowUp, now: datetime) -> None:
        """The staff see it in the console: the client did not get this follow-up."""
        message = f"The follow-up '{row.step_key}' could not be texted: {row.error or 'failed'}"
        conversations.record_alert(session, row.clinic, row.client, AlertKind.followup_failed, message, at=now)


class AlertJobs:
    """Staff alerts texted to the clinic's alert phone. Actions and channels only insert
    Alert rows (deciding, in bot/services/conversations.py, whether each is to be texted);
    `enqueue` gives each such unhandled alert its one delivery row."""

    model = AlertDelivery
    purpose = "alert"

    def load(self, session: Session, job_id: int) -> AlertDelivery:
        return session.get(
            AlertDelivery, job_id, options=[joinedload(AlertDelivery.alert), joinedload(AlertDelivery.clinic)]
        )

    def enqueue(self, session: Session, now: datetime) -> None:
        stamp = literal(now, UTCDateTime())  # due at once, on this worker's clock
        waiting = select(Alert.id, Alert.clinic_id, literal(JobStatus.pending.value), stamp, literal(0), stamp).where(
            Alert.handled_at.is_(None),
            Alert.text_wanted.is_(True),
            ~exists().where(AlertDelivery.alert_id == Alert.id),
        )
        dialect = postgresql if session.get_bind().dialect.name == "postgresql" else sqlite
        columns = ["alert_id", "clinic_id", "status", "due_at", "attempts", "created_at"]
        # Two workers may enqueue the same alert at once: the unique alert_id keeps one.
        statement = dialect.insert(AlertDelivery).from_select(columns, waiting)
        session.execute(statement.on_conflict_do_nothing(index_elements=["alert_id"]))

    def prepare(self, session: Session, row: AlertDelivery, now: datetime) -> Prepared:
        alert, clinic = row.alert, row.clinic
        if alert.handled_at is not None:
            return Skip(JobStatus.skipped, "handled before it was texted")
        if not clinic.alert_phone:
            return Skip(JobStatus.skipped, "the clinic has no alert phone")
        if row.body is None:
            row.body = texts.alert_body(alert)
        return Send(Outgoing(clinic.alert_phone, clinic.sms_from, row.body, self.purpose, clinic.id))

    def skip(self, row: AlertDelivery, skip: Skip) -> None:
        row.status, row.error = skip.status, skip.reason  # the table has no reason column

    def unsubscribed(self, session: Session, row: AlertDelivery, now: datetime) -> None:
        pass  # the alert phone said STOP: nothing of the client's to change

    def sent(self, session: Session, row: AlertDelivery, now: datetime) -> Optional[int]:
        return None  # a text to the staff is no part of the client's conversation

    def failed(self, session: Session, row: AlertDelivery, now: datetime) -> None:
        pass  # the console shows the failed text on the alert
