"""Small named reads and writes used by the CLI, the actions and the channels.

Each takes the caller's session and flushes, so ids exist and constraint errors surface
here as domain errors; the caller's session_scope decides when to commit.
"""
from __future__ import annotations

from datetime import datetime, timezone
from typing import Optional, TypeVar
from urllib.parse import urlparse

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from bot import protocols
from bot.phones import normalize_phone, region_of
from bot.messaging import followups
from bot.messaging.senders import normalize_sender
from bot.store.errors import (
    AmbiguousClient,
    Conflict,
    DuplicateClient,
    DuplicateClinic,
    DuplicateTreatment,
    FutureTreatment,
    InvalidValue,
    UnknownClient,
    UnknownClinic,
)
from bot.store.models import Alert, Client, Clinic, Treatment, TreatmentStatus, parse_status

Row = TypeVar("Row")


def _insert(session: Session, row: Row, conflict: Conflict) -> Row:
    """Add and flush in a savepoint: a lost race on a unique key becomes `conflict`,
    and the caller's transaction stays usable."""
    try:
        with session.begin_nested():
            session.add(row)
    except IntegrityError:
        raise conflict from None
    return row


def _check_url(url: Optional[str]) -> Optional[str]:
    if url is None:
        return None
    parsed = urlparse(url)
    if parsed.scheme not in ("http", "https") or not parsed.netloc:
        raise InvalidValue(f"booking URL {url!r} must start with http:// or https://")
    return url


# Clinics


def add_clinic(
    session: Session,
    slug: str,
    name: str,
    phone: str,
    timezone: str,
    booking_url: Optional[str] = None,
    protocol_yaml: Optional[str] = None,
    sms_number: Optional[str] = None,
) -> Clinic:
    """A new clinic; phones are normalized, the protocol override validated."""
    phone = normalize_phone(phone)
    if protocol_yaml is not None:
        protocols.for_clinic(protocol_yaml, source=f"clinic {slug}")  # raises ProtocolError
    clinic = Clinic(
        slug=slug,
        name=(name or "").strip(),
        phone=phone,
        timezone=timezone,
        booking_url=_check_url(booking_url),
        protocol_yaml=protocol_yaml,
        sms_number=normalize_sender(sms_number, region_of(phone)) if sms_number else None,
    )
    duplicate = DuplicateClinic(f"a clinic with slug {slug!r} already exists")
    if session.scalar(select(Clinic.id).where(Clinic.slug == slug)) is not None:
        raise duplicate
    return _insert(session, clinic, duplicate)


def clinic_by_slug(session: Session, slug: str) -> Clinic:
    clinic = session.scalar(select(Clinic).where(Clinic.slug == slug))
    if clinic is None:
        raise UnknownClinic(f"unknown clinic {slug!r}")
    return clinic


def all_clinics(session: Session) -> list[Clinic]:
    return list(session.scalars(select(Clinic).order_by(Clinic.slug)))


def client_counts(session: Session) -> dict[int, int]:
    """Clinic id -> number of clients, for clinics that have any."""
    rows = session.execute(select(Client.clinic_id, func.count()).group_by(Client.clinic_id))
    return {clinic_id: count for clinic_id, count in rows}


# Clients


def add_client(session: Session, clinic: Clinic, name: str, phone: str) -> Client:
    """A new client of `clinic`; a number without '+' is read in the clinic's country."""
    e164 = normalize_phone(phone, region_of(clinic.phone))
    duplicate = DuplicateClient(f"{e164} is already a client of {clinic.slug}")
    if find_client(session, clinic, e164) is not None:
        raise duplicate
    return _insert(session, Client(clinic=clinic, name=(name or "").strip(), phone=e164), duplicate)


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


def set_opt_out(session: Session, client: Client, opted_out: bool, at: datetime) -> Client:
    """STOP / START. A repeated STOP keeps the time of the first one."""
    if opted_out and not client.opted_out:
        client.opted_out, client.opted_out_at = True, at
    elif not opted_out:
        client.opted_out, client.opted_out_at = False, None
    session.flush()
    followups.sync(session, client, at)  # cancels pending follow-ups, or revives future ones
    return client


# Treatments


def add_treatment(
    session: Session,
    client: Client,
    performed_at: datetime,
    area: str = "face",
    status: str = "done",
    external_ref: Optional[str] = None,
    *,
    now: Optional[datetime] = None,
) -> Treatment:
    """Record a treatment. A `done` one may not lie after `now` (default: the current time)."""
    if not isinstance(performed_at, datetime) or performed_at.utcoffset() is None:
        raise InvalidValue("performed_at must be a timezone-aware datetime")
    status = parse_status(status)
    if status is TreatmentStatus.done and performed_at > (now or datetime.now(timezone.utc)):
        raise FutureTreatment("a done treatment cannot be in the future (record it as booked)")
    duplicate = DuplicateTreatment(f"booking id {external_ref!r} is already recorded at {client.clinic.slug}")
    if external_ref and treatment_by_ref(session, client.clinic_id, external_ref) is not None:
        raise duplicate
    treatment = Treatment(
        client=client,
        performed_at=performed_at,
        area=(area or "").strip().lower(),
        status=status,
        external_ref=external_ref or None,
    )
    _insert(session, treatment, duplicate)
    followups.sync_treatment(session, treatment, now or datetime.now(timezone.utc))
    return treatment


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


# Alerts


def record_alert(
    session: Session,
    clinic: Clinic,
    client: Optional[Client],
    kind: str,
    message: str,
    *,
    at: Optional[datetime] = None,
) -> Alert:
    """Something clinic staff should see (a red flag, a request for a person ...)."""
    if client is not None and client.clinic_id != clinic.id:
        raise InvalidValue(f"client {client.id} is not a client of {clinic.slug}")
    alert = Alert(clinic=clinic, client=client, kind=kind, message=message)
    if at is not None:
        alert.created_at = at
    session.add(alert)
    session.flush()
    return alert
