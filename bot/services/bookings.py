"""One booking from a booking system (a row of its export, an Acuity appointment, a signed
webhook event): the client and the treatment recorded, or brought up to date.

Recording the same booking twice changes nothing: a treatment is the same one when its
booking id matches (then its time, status and area follow the booking) or, without a
booking id, when the client already has a treatment at that exact time.

An appointment whose time has passed and was not cancelled has happened: it is recorded
as done, whatever word the booking system still shows ("confirmed"). A cancelled booking
that was never on file records nothing (no client is created for an appointment that
will not happen).
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import datetime
from typing import Optional

from sqlalchemy.orm import Session

from bot.services import clients, treatments
from bot.store import queries
from bot.store.errors import InvalidValue
from bot.store.models import Clinic, TreatmentStatus


class Outcome(str, enum.Enum):
    """What became of a booking's treatment."""

    added = "added"
    updated = "updated"
    unchanged = "unchanged"
    skipped = "skipped"  # nothing to record: another service, or cancelled and never on file
    rejected = "rejected"


@dataclass(frozen=True)
class Booking:
    clinic: Clinic
    name: str
    phone: str  # E.164
    performed_at: datetime
    status: TreatmentStatus = TreatmentStatus.done
    area: str = "face"
    booking_id: Optional[str] = None


@dataclass(frozen=True)
class Recorded:
    outcome: Outcome
    new_client: bool
    treatment_id: Optional[int] = None


def status_at(status: TreatmentStatus, performed_at: datetime, now: datetime) -> TreatmentStatus:
    """A booked appointment whose time has come has happened."""
    if status is TreatmentStatus.booked and performed_at <= now:
        return TreatmentStatus.done
    return status


def record(session: Session, booking: Booking, now: datetime) -> Recorded:
    status = status_at(booking.status, booking.performed_at, now)
    client = queries.find_client(session, booking.clinic, booking.phone)
    existing = None
    if booking.booking_id:
        existing = queries.treatment_by_ref(session, booking.clinic.id, booking.booking_id)
    elif client is not None:
        existing = queries.treatment_at(session, client, booking.performed_at)
    if existing is None and status is TreatmentStatus.cancelled:
        return Recorded(Outcome.skipped, new_client=False)
    new_client = client is None
    if client is None:
        client = clients.add(session, booking.clinic, booking.name, booking.phone)
    if existing is None:
        added = treatments.add(session, client, booking.performed_at, booking.area, status, booking.booking_id, now=now)
        return Recorded(Outcome.added, new_client, added.id)
    if existing.client_id != client.id:
        raise InvalidValue(f"booking_id {booking.booking_id!r} is already recorded for another client")
    changed = treatments.change(
        session, existing, now=now, performed_at=booking.performed_at, status=status, area=booking.area
    )
    return Recorded(Outcome.updated if changed else Outcome.unchanged, new_client, existing.id)


def cancel(session: Session, clinic: Clinic, booking_id: str, now: datetime) -> Recorded:
    """The booking system cancelled or withdrew this booking (deleted, or no longer a
    microneedling appointment): its treatment, if on file, is cancelled with its follow-ups."""
    existing = queries.treatment_by_ref(session, clinic.id, booking_id)
    if existing is None:
        return Recorded(Outcome.skipped, new_client=False)
    changed = treatments.change(session, existing, now=now, status=TreatmentStatus.cancelled)
    return Recorded(Outcome.updated if changed else Outcome.unchanged, False, existing.id)
