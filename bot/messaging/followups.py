"""Follow-up rows in the database, kept in step with a client's treatments.

`sync(session, client, now)` is the one entry point, called by the domain services
(bot/services) after every change to a client's treatments or opt-out. It creates a row for
each step of the clinic's protocol and each treatment, and moves, cancels, skips or
revives the rows not sent yet. Rows already sent (or failed for good) are history and
never change. The worker asks `obstacle()` again just before sending, so a change that
raced with it still counts.
"""

from __future__ import annotations

from datetime import datetime
from typing import Optional

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.messaging import schedule
from bot.messaging.outcomes import Skip
from bot.recovery.protocol import FollowUpStep, Protocol
from bot.store.messaging_models import FollowUp, JobStatus
from bot.store.models import Client, Treatment, TreatmentStatus

PAST = "already past when scheduled"
NOT_IN_PROTOCOL = "no longer in the clinic's protocol"
REBOOKED = "a later treatment is booked"
SUPERSEDED = "a later treatment took over"
TREATMENT_CANCELLED = "treatment cancelled"
OPTED_OUT = "client opted out"


def step_of(protocol: Protocol, key: str) -> Optional[FollowUpStep]:
    return next((step for step in protocol.followups if step.key == key), None)


def obstacle(
    treatment: Treatment,
    client: Client,
    step: Optional[FollowUpStep],
    due: datetime,
    later_start: Optional[datetime],
) -> Optional[Skip]:
    """Why this follow-up must not go out; None when it may.
    `later_start` is when the client's next (not cancelled) treatment is, if any."""
    if step is None:
        return Skip(JobStatus.skipped, NOT_IN_PROTOCOL)
    if treatment.status is TreatmentStatus.cancelled:
        return Skip(JobStatus.cancelled, TREATMENT_CANCELLED)
    if client.opted_out:
        return Skip(JobStatus.cancelled, OPTED_OUT)
    if later_start is not None and step.skip_if_rebooked:
        return Skip(JobStatus.skipped, REBOOKED)
    if later_start is not None and due >= later_start:
        return Skip(JobStatus.skipped, SUPERSEDED)  # "one week on!" would be about the wrong treatment
    return None


def later_start(session: Session, treatment: Treatment) -> Optional[datetime]:
    """When the client's next treatment after `treatment` is (booked or done)."""
    return session.scalar(
        select(Treatment.performed_at)
        .where(
            Treatment.client_id == treatment.client_id,
            Treatment.status != TreatmentStatus.cancelled,
            Treatment.performed_at > treatment.performed_at,
        )
        .order_by(Treatment.performed_at)
        .limit(1)
    )


def _settle(row: FollowUp, due: datetime, new: bool, blocked: Optional[Skip], now: datetime) -> None:
    if row.sid is not None or row.status in (JobStatus.sent, JobStatus.failed):
        return  # history
    if blocked is not None:
        row.due_at = due
        row.status, row.reason = blocked.status, blocked.reason
    elif new or row.status != JobStatus.pending or row.due_at != due:
        # New, moved, or revived (the client opted back in, the treatment came back):
        # a message whose time has already gone is not sent late.
        row.due_at = due
        row.status, row.reason = (JobStatus.pending, None) if due > now else (JobStatus.skipped, PAST)
    # else: pending and unchanged; if its time has passed the worker is just behind


def sync(session: Session, client: Client, now: datetime) -> list[FollowUp]:
    """Bring every follow-up of `client` in line with their treatments; returns the rows."""
    clinic = client.clinic
    protocol = clinic.protocol
    treatments = list(
        session.scalars(
            select(Treatment).where(Treatment.client_id == client.id).order_by(Treatment.performed_at, Treatment.id)
        )
    )
    rows = {
        (row.treatment_id, row.step_key): row
        for row in session.scalars(select(FollowUp).where(FollowUp.client_id == client.id))
    }
    active = [t for t in treatments if t.status is not TreatmentStatus.cancelled]
    for treatment in treatments:
        next_start = next((t.performed_at for t in active if t.performed_at > treatment.performed_at), None)
        for step in protocol.followups:
            due = schedule.due_at(treatment.performed_at, step, clinic.tz, protocol.quiet_hours)
            row = rows.get((treatment.id, step.key))
            new = row is None
            if row is None:
                row = FollowUp(
                    clinic_id=clinic.id,
                    client_id=client.id,
                    treatment_id=treatment.id,
                    step_key=step.key,
                    due_at=due,
                    status=JobStatus.pending,
                    attempts=0,
                )
                session.add(row)
                rows[(treatment.id, step.key)] = row
            _settle(row, due, new, obstacle(treatment, client, step, due, next_start), now)
    keys = {step.key for step in protocol.followups}
    for (_, key), row in rows.items():
        if key not in keys and row.status == JobStatus.pending and row.sid is None:
            row.status, row.reason = JobStatus.skipped, NOT_IN_PROTOCOL
    session.flush()
    return list(rows.values())


def sync_treatment(session: Session, treatment: Treatment, now: datetime) -> list[FollowUp]:
    """After recording, rescheduling or cancelling `treatment`: its rows."""
    session.flush()  # the treatment's id and time must be visible to the queries below
    return [row for row in sync(session, treatment.client, now) if row.treatment_id == treatment.id]


def for_client(session: Session, client_id: Optional[int] = None) -> list[FollowUp]:
    """Follow-ups in due order, of one client or of everyone."""
    query = select(FollowUp).order_by(FollowUp.due_at, FollowUp.id)
    if client_id is not None:
        query = query.where(FollowUp.client_id == client_id)
    return list(session.scalars(query))
