"""Treatments: record, reschedule, cancel, or change one a booking system moved.

Every change brings the client's follow-ups in step in the same unit of work, and the
rule about when a treatment may be done is checked here and only here.
"""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Optional, Union

from sqlalchemy.orm import Session

from bot.messaging import followups
from bot.store import queries
from bot.store.errors import DuplicateTreatment, FutureTreatment, InvalidValue, UnknownTreatment
from bot.store.messaging_models import FollowUp
from bot.store.models import Client, Treatment, TreatmentStatus, parse_status

Status = Union[TreatmentStatus, str]


def check_time(status: TreatmentStatus, performed_at: datetime, now: datetime) -> None:
    """A done treatment has happened: it cannot lie after `now` (a planned one is booked)."""
    if status is TreatmentStatus.done and performed_at > now:
        raise FutureTreatment("a done treatment cannot be in the future (record it as booked)")


def _aware(performed_at: datetime) -> datetime:
    if not isinstance(performed_at, datetime) or performed_at.utcoffset() is None:
        raise InvalidValue("performed_at must be a timezone-aware datetime")
    return performed_at


def _area(area: Optional[str]) -> str:
    return (area or "").strip().lower()


def add(
    session: Session,
    client: Client,
    performed_at: datetime,
    area: str = "face",
    status: Status = TreatmentStatus.done,
    external_ref: Optional[str] = None,
    *,
    now: Optional[datetime] = None,
) -> Treatment:
    """Record a treatment and schedule its follow-ups. `now` defaults to the current time."""
    now = now or datetime.now(timezone.utc)
    status = parse_status(status)
    check_time(status, _aware(performed_at), now)
    duplicate = DuplicateTreatment(f"booking id {external_ref!r} is already recorded at {client.clinic.slug}")
    if external_ref and queries.treatment_by_ref(session, client.clinic_id, external_ref) is not None:
        raise duplicate
    treatment = Treatment(
        client=client, performed_at=performed_at, area=_area(area), status=status, external_ref=external_ref or None
    )
    queries.insert(session, treatment, duplicate)
    followups.sync_treatment(session, treatment, now)
    return treatment


def get(session: Session, treatment_id: int) -> Treatment:
    treatment = session.get(Treatment, treatment_id)
    if treatment is None:
        raise UnknownTreatment(f"no treatment with id {treatment_id}")
    return treatment


def change(
    session: Session,
    treatment: Treatment,
    *,
    now: datetime,
    performed_at: Optional[datetime] = None,
    status: Optional[Status] = None,
    area: Optional[str] = None,
) -> bool:
    """Move, complete, cancel or re-area a treatment (what a booking system's export says
    now); False when nothing changed. Its follow-ups follow."""
    changed = _apply(treatment, now, performed_at, status, area)
    if changed:
        followups.sync_treatment(session, treatment, now)
    return changed


def _apply(
    treatment: Treatment,
    now: datetime,
    performed_at: Optional[datetime] = None,
    status: Optional[Status] = None,
    area: Optional[str] = None,
) -> bool:
    new_time = treatment.performed_at if performed_at is None else _aware(performed_at)
    new_status = treatment.status if status is None else parse_status(status)
    check_time(new_status, new_time, now)
    wanted = {"performed_at": new_time, "status": new_status, "area": treatment.area if area is None else _area(area)}
    changed = False
    for name, value in wanted.items():
        if getattr(treatment, name) != value:
            setattr(treatment, name, value)
            changed = True
    return changed


def reschedule(session: Session, treatment: Treatment, performed_at: datetime, *, now: datetime) -> list[FollowUp]:
    """Move a treatment to another time; returns its follow-ups, moved with it."""
    if treatment.status is TreatmentStatus.cancelled:
        raise InvalidValue(f"treatment {treatment.id} is cancelled; record a new one instead")
    _apply(treatment, now, performed_at=performed_at)
    return followups.sync_treatment(session, treatment, now)


def complete_past(session: Session, now: datetime) -> int:
    """Booked treatments whose time has come are done: an appointment that was not
    cancelled has happened. Their follow-ups stay as they are (they were scheduled from
    the booked time, and done or booked counts the same for them). Returns how many."""
    return queries.complete_booked(session, now)


def cancel(session: Session, treatment: Treatment, *, now: datetime) -> list[FollowUp]:
    """Cancel a treatment; returns its follow-ups, those not sent yet now cancelled."""
    _apply(treatment, now, status=TreatmentStatus.cancelled)
    return followups.sync_treatment(session, treatment, now)
