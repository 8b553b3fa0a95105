"""One event from a booking source, applied as one booking (bot/services/bookings.py) and
noted in the clinic's event log, in the caller's unit of work.

Whatever the event holds is validated as an import row is (phone, time, status), and its
booking work runs in a savepoint: a refused event leaves no client or treatment behind,
only its entry in the log (ids, the outcome and a reason code, never a name or a number).
A race with a second delivery of the same appointment (a unique key taken meanwhile)
raises `Conflict`, and the caller runs the unit of work again, which then finds it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Callable, Optional

from sqlalchemy.orm import Session

from bot.booking_systems import acuity as acuity_api
from bot.booking_systems.service_filter import ServiceFilter
from bot.booking_systems.statuses import UnknownStatus, read_status
from bot.booking_systems.times import AmbiguousDate
from bot.booking_systems.webhook import BadEvent, Event
from bot.phones import InvalidPhone, normalize_phone, region_of
from bot.services import bookings
from bot.services.booking_sources import AcuityAccount
from bot.services.bookings import Booking, Outcome, Recorded
from bot.store import queries
from bot.store.booking_models import BookingEvent, EventOutcome, SourceKind
from bot.store.errors import Conflict, DuplicateEvent, FutureTreatment, StoreError
from bot.store.models import Clinic, TreatmentStatus
from bot.timeparse import InvalidTime


@dataclass(frozen=True)
class Applied:
    outcome: EventOutcome
    reason: Optional[str] = None  # a code for the log ("invalid_phone")
    message: str = ""  # for the sender, who sent the values it may quote
    treatment_id: Optional[int] = None


_OUTCOMES = {
    Outcome.added: EventOutcome.applied,
    Outcome.updated: EventOutcome.applied,
    Outcome.unchanged: EventOutcome.unchanged,
    Outcome.skipped: EventOutcome.skipped,
}


def _applied(recorded: Recorded, reason: Optional[str] = None, message: str = "") -> Applied:
    outcome = _OUTCOMES[recorded.outcome]
    return Applied(outcome, reason if outcome is EventOutcome.skipped else None, message, recorded.treatment_id)


def reason_code(error: Exception) -> str:
    for kind, code in (
        (InvalidPhone, "invalid_phone"),
        (AmbiguousDate, "ambiguous_date"),
        (InvalidTime, "invalid_time"),
        (FutureTreatment, "done_in_future"),
        (UnknownStatus, "unknown_status"),
        (BadEvent, "bad_event"),
        (acuity_api.Unreadable, "bad_appointment"),
    ):
        if isinstance(error, kind):
            return code
    return "invalid_value"


def _guarded(session: Session, work: Callable[[], Applied]) -> Applied:
    try:
        with session.begin_nested():
            return work()
    except Conflict:
        raise
    except (StoreError, ValueError) as error:
        message = " ".join(str(error).split())[:300]
        return Applied(EventOutcome.rejected, reason_code(error), message)


def _log(
    session: Session,
    clinic: Clinic,
    source: SourceKind,
    action: str,
    booking_ref: Optional[str],
    now: datetime,
    event_key: Optional[str] = None,
) -> BookingEvent:
    entry = BookingEvent(
        clinic_id=clinic.id,
        source=source,
        event_key=event_key,
        action=(action or "unknown")[:32],
        booking_ref=booking_ref,
        outcome=EventOutcome.failed,  # until it is known
        received_at=now,
    )
    return queries.insert(session, entry, DuplicateEvent("this event was received before; nothing was changed"))


def _settle(entry: BookingEvent, applied: Applied) -> Applied:
    entry.outcome, entry.reason = applied.outcome, applied.reason
    return applied


# Acuity Scheduling


def from_acuity(
    session: Session,
    clinic: Clinic,
    account: AcuityAccount,
    notification: acuity_api.Notification,
    appointment: Optional[acuity_api.Appointment],
    now: datetime,
) -> Applied:
    """Apply an appointment as Acuity's API tells it now (None: deleted at Acuity)."""
    entry = _log(session, clinic, SourceKind.acuity, notification.action, notification.appointment_id, now)
    return _settle(entry, _guarded(session, lambda: _acuity(session, clinic, account, notification, appointment, now)))


def _acuity(
    session: Session,
    clinic: Clinic,
    account: AcuityAccount,
    notification: acuity_api.Notification,
    appointment: Optional[acuity_api.Appointment],
    now: datetime,
) -> Applied:
    if appointment is None:
        return _applied(bookings.cancel(session, clinic, notification.appointment_id, now), "deleted")
    if not account.wants(appointment.type_id, appointment.type_name):
        # Not (or no longer, when its type was changed) a microneedling appointment.
        return _applied(bookings.cancel(session, clinic, appointment.id, now), "not_microneedling")
    if appointment.canceled:
        return _applied(bookings.cancel(session, clinic, appointment.id, now), "cancelled_not_on_file")
    if not appointment.phone.strip():
        return Applied(EventOutcome.rejected, "no_phone", "the appointment has no phone number to text")
    booking = Booking(
        clinic=clinic,
        name=appointment.name,
        phone=normalize_phone(appointment.phone, region_of(clinic.phone)),
        performed_at=appointment.end,
        status=TreatmentStatus.booked,
        booking_id=appointment.id,
    )
    return _applied(bookings.record(session, booking, now))


# The signed webhook


def from_webhook(session: Session, clinic: Clinic, event: Event, event_key: str, now: datetime) -> Applied:
    """Apply a webhook event once: DuplicateEvent when `event_key` (its event id, or its
    signature) was received before."""
    entry = _log(session, clinic, SourceKind.webhook, event.status, event.booking_id, now, event_key)
    return _settle(entry, _guarded(session, lambda: _webhook(session, clinic, event, now)))


def unreadable_webhook(session: Session, clinic: Clinic, event_key: str, error: BadEvent, now: datetime) -> Applied:
    """A signed event that is not of the documented shape: logged (and, like any event,
    refused if it comes again)."""
    entry = _log(session, clinic, SourceKind.webhook, "unreadable", None, now, event_key)
    return _settle(entry, Applied(EventOutcome.rejected, "bad_event", str(error)))


def _webhook(session: Session, clinic: Clinic, event: Event, now: datetime) -> Applied:
    status = read_status(event.status, default=TreatmentStatus.booked)
    if event.service is not None and not ServiceFilter().matches(event.service):
        return Applied(EventOutcome.skipped, "not_microneedling", f"service {event.service!r} is not microneedling")
    if status is TreatmentStatus.cancelled:
        return _applied(bookings.cancel(session, clinic, event.booking_id, now), "cancelled_not_on_file")
    missing = [what for what, value in (("name", event.name), ("phone", event.phone)) if not value]
    if missing:
        raise BadEvent(f"{' and '.join(missing)} required to record a booking")
    assert event.treatment_at is not None  # read_event requires start
    booking = Booking(
        clinic=clinic,
        name=event.name,
        phone=normalize_phone(event.phone, region_of(clinic.phone)),
        performed_at=event.treatment_at,
        status=status,
        area=event.area or "face",
        booking_id=event.booking_id,
    )
    return _applied(bookings.record(session, booking, now))


def failed(
    session: Session, clinic: Clinic, source: SourceKind, action: str, booking_ref: str, reason: str, now: datetime
) -> None:
    """An event that could not be applied now (the booking system's API did not answer)."""
    entry = _log(session, clinic, source, action, booking_ref, now)
    entry.reason = reason[:64]


def recent(session: Session, clinic: Clinic, limit: int = 50) -> list[BookingEvent]:
    return queries.booking_events(session, clinic.id, limit)
