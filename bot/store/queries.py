"""Small named reads, and the one way a row is inserted, for the services and the edges.

Each takes the caller's session; the caller's session_scope decides when to commit.
Rules about what may be written (and what must follow a write) live in bot/services.
"""

from __future__ import annotations

from datetime import datetime
from typing import Optional, Sequence, TypeVar

from sqlalchemy import func, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, selectinload

from bot.store.booking_models import BookingEvent, BookingSource, ImportMapping, SourceKind
from bot.store.errors import AmbiguousClient, Conflict, UnknownClient, UnknownClinic
from bot.store.models import Client, Clinic, Treatment, TreatmentStatus

Row = TypeVar("Row")


def insert(session: Session, row: Row, conflict: Conflict) -> Row:
    """Add and flush in a savepoint, so ids exist and a lost race on a unique key becomes
    `conflict` while the caller's transaction stays usable."""
    try:
        with session.begin_nested():
            session.add(row)
    except IntegrityError:
        raise conflict from None
    return row


# Clinics


def clinic_by_slug(session: Session, slug: str) -> Clinic:
    clinic = session.scalar(select(Clinic).where(Clinic.slug == slug))
    if clinic is None:
        raise UnknownClinic(f"unknown clinic {slug!r}")
    return clinic


def slug_taken(session: Session, slug: str) -> bool:
    return session.scalar(select(Clinic.id).where(Clinic.slug == slug)) is not None


def clinic_by_number(session: Session, number: str) -> Optional[Clinic]:
    """The clinic whose Twilio number (or Messaging Service, or phone) this is."""
    return session.scalar(select(Clinic).where(or_(Clinic.sms_number == number, Clinic.phone == number)).limit(1))


def all_clinics(session: Session) -> list[Clinic]:
    return list(session.scalars(select(Clinic).order_by(Clinic.slug)))


def only_clinic(session: Session) -> Optional[Clinic]:
    """The clinic, when the database holds exactly one."""
    clinics = list(session.scalars(select(Clinic).limit(2)))
    return clinics[0] if len(clinics) == 1 else None


def client_counts(session: Session) -> dict[int, int]:
    """Clinic id -> number of clients, for clinics that have any."""
    rows = session.execute(select(Client.clinic_id, func.count()).group_by(Client.clinic_id))
    return {clinic_id: count for clinic_id, count in rows}  # noqa: C416 (rows are Row objects, not pairs)


# Clients


def find_client(session: Session, clinic: Clinic, e164: str) -> Optional[Client]:
    return session.scalar(select(Client).where(Client.clinic_id == clinic.id, Client.phone == e164))


def clients_by_phone(session: Session, e164: str) -> list[Client]:
    """Every client with this number, one per clinic they belong to."""
    return list(session.scalars(select(Client).where(Client.phone == e164).order_by(Client.id)))


def client_by_phone(session: Session, e164: str, clinic: Optional[Clinic] = None) -> Client:
    """The one client with this number (in `clinic` when given)."""
    if clinic is not None:
        client = find_client(session, clinic, e164)
        if client is None:
            raise UnknownClient(f"no client with phone {e164} at {clinic.slug}")
        return client
    clients = clients_by_phone(session, e164)
    if not clients:
        raise UnknownClient(f"no client with phone {e164}")
    if len(clients) > 1:
        slugs = ", ".join(sorted(c.clinic.slug for c in clients))
        raise AmbiguousClient(f"{e164} is a client of several clinics ({slugs}); name the clinic")
    return clients[0]


def search_clients(session: Session, clinic_id: int, name: str, numbers: Sequence[str], limit: int) -> list[Client]:
    """Clients of one clinic whose name holds `name` (any case) or whose number holds one of
    `numbers` (digits), by name; every client when both are empty."""
    query = select(Client).where(Client.clinic_id == clinic_id)
    matches = [Client.phone.contains(digits, autoescape=True) for digits in numbers if digits]
    if name:
        matches.append(func.lower(Client.name).contains(name.lower(), autoescape=True))
    if matches:
        query = query.where(or_(*matches))
    query = query.options(selectinload(Client.treatments))  # the list shows each one's latest
    return list(session.scalars(query.order_by(func.lower(Client.name), Client.id).limit(limit)))


# Treatments


def treatment_by_ref(session: Session, clinic_id: int, external_ref: str) -> Optional[Treatment]:
    return session.scalar(
        select(Treatment).where(Treatment.clinic_id == clinic_id, Treatment.external_ref == external_ref)
    )


def treatment_at(session: Session, client: Client, performed_at: datetime) -> Optional[Treatment]:
    return session.scalar(
        select(Treatment).where(Treatment.client_id == client.id, Treatment.performed_at == performed_at)
    )


def latest_done_treatment(session: Session, client: Client, now: datetime) -> Optional[Treatment]:
    """The treatment the client is recovering from: the last one done at or before `now`."""
    return session.scalar(
        select(Treatment)
        .where(
            Treatment.client_id == client.id,
            Treatment.status == TreatmentStatus.done,
            Treatment.performed_at <= now,
        )
        .order_by(Treatment.performed_at.desc(), Treatment.id.desc())
        .limit(1)
    )


def complete_booked(session: Session, now: datetime) -> int:
    """Mark done every booked treatment at or before `now`; how many were."""
    result = session.execute(
        update(Treatment)
        .where(Treatment.status == TreatmentStatus.booked, Treatment.performed_at <= now)
        .values(status=TreatmentStatus.done)
        .execution_options(synchronize_session="fetch")
    )
    return int(result.rowcount or 0)


# Booking sources, their events, saved import mappings


def booking_source(session: Session, clinic_id: int, kind: SourceKind) -> Optional[BookingSource]:
    return session.scalar(select(BookingSource).where(BookingSource.clinic_id == clinic_id, BookingSource.kind == kind))


def booking_sources(session: Session, clinic_id: int) -> list[BookingSource]:
    return list(session.scalars(select(BookingSource).where(BookingSource.clinic_id == clinic_id)))


def booking_events(session: Session, clinic_id: int, limit: int) -> list[BookingEvent]:
    """The clinic's latest booking events, newest first."""
    query = (
        select(BookingEvent)
        .where(BookingEvent.clinic_id == clinic_id)
        .order_by(BookingEvent.received_at.desc(), BookingEvent.id.desc())
        .limit(limit)
    )
    return list(session.scalars(query))


def import_mapping(session: Session, clinic_id: int, name: str) -> Optional[ImportMapping]:
    return session.scalar(select(ImportMapping).where(ImportMapping.clinic_id == clinic_id, ImportMapping.name == name))


def import_mappings(session: Session, clinic_id: int) -> list[ImportMapping]:
    return list(
        session.scalars(select(ImportMapping).where(ImportMapping.clinic_id == clinic_id).order_by(ImportMapping.name))
    )
