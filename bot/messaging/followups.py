"""Follow-up rows in the database, kept in step with a client's treatments.

`sync(session, client, now)` is the one entry point: called when a treatment is recorded,
rescheduled or cancelled, and when the client opts out or back in. It creates a row for
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
from bot.recovery.protocol import FollowUpStep, Protocol
from bot.store.messaging_models import CANCELLED, FAILED, PENDING, SENT, SKIPPED, FollowUp
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
) -> Optional[tuple[str, str]]:
    """Why this follow-up must not go out, as (status, reason); None when it may.
    `later_start` is when the client's next (not cancelled) treatment is, if any."""
    if step is None:
        return SKIPPED, NOT_IN_PROTOCOL
    if treatment.status is TreatmentStatus.cancelled:
        return CANCELLED, TREATMENT_CANCELLED
    if client.opted_out:
        return CANCELLED, OPTED_OUT
    if later_start is not None and step.skip_if_rebooked:
        return SKIPPED, REBOOKED
    if later_start is not None and due >= later_start:
        return SKIPPED, SUPERSEDED  # "one week on!" would be about the wrong treatment
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


def _settle(row: FollowUp, due: datetime, new: bool, blocked: Optional[tuple[str, str]], now: datetime) -> None:
    if row.sid is not None or row.status in (SENT, FAILED):
        return  # history
    if blocked is not None:
        row.due_at = due
        row.status, row.reason = blocked
    elif new or row.status != PENDING or row.due_at != due:
        # New, moved, or revived (the client opted back in, the treatment came back):
        # a message whose time has already gone is not sent late.
        row.due_at = due
        row.status, row.reason = (PENDING, None) if due > now else (SKIPPED, PAST)
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
            if new:
                row = FollowUp(
                    clinic_id=clinic.id,
                    client_id=client.id,
                    treatment_id=treatment.id,
                    step_key=step.key,
                    due_at=due,
                    status=PENDING,
                    attempts=0,
                )
                session.add(row)
                rows[(treatment.id, step.key)] = row
            _settle(row, due, new, obstacle(treatment, client, step, due, next_start), now)
    keys = {step.key for step in protocol.followups}
    for (_, key), row in rows.items():
        if key not in keys and row.status == PENDING and row.sid is None:
            row.status, row.reason = SKIPPED, NOT_IN_PROTOCOL
    session.flush()
    return list(rows.values())


def sync_treatment(session: Session, treatment: Treatment, now: datetime) -> list[FollowUp]:
    """After recording, rescheduling or cancelling `treatment`."""
    session.flush()  # the treatment's id and time must be visible to the queries below
    return sync(session, treatment.client, now)


def for_client(session: Session, client_id: Optional[int] = None) -> list[FollowUp]:
    """Follow-ups in due order, of one client or of everyone."""
    query = select(FollowUp).order_by(FollowUp.due_at, FollowUp.id)
    if client_id is not None:
        query = query.where(FollowUp.client_id == client_id)
    return list(session.scalars(query))
