"""One booking from a booking system (a row of its export; a webhook would be another
source): the client and the treatment recorded, or brought up to date.

Recording the same booking twice changes nothing: a treatment is the same one when its
booking id matches (then its time, status and area follow the booking) or, without a
booking id, when the client already has a treatment at that exact time.
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


def record(session: Session, booking: Booking, now: datetime) -> Recorded:
    client = queries.find_client(session, booking.clinic, booking.phone)
    new_client = client is None
    if client is None:
        client = clients.add(session, booking.clinic, booking.name, booking.phone)
    existing = (
        queries.treatment_by_ref(session, booking.clinic.id, booking.booking_id)
        if booking.booking_id
        else queries.treatment_at(session, client, booking.performed_at)
    )
    if existing is None:
        treatments.add(session, client, booking.performed_at, booking.area, booking.status, booking.booking_id, now=now)
        return Recorded(Outcome.added, new_client)
    if existing.client_id != client.id:
        raise InvalidValue(f"booking_id {booking.booking_id!r} is already recorded for another client")
    changed = treatments.change(
        session, existing, now=now, performed_at=booking.performed_at, status=booking.status, area=booking.area
    )
    return Recorded(Outcome.updated if changed else Outcome.unchanged, new_client)
