"""What a conversation leaves for the clinic's staff: alerts (the worker texts them)."""

from __future__ import annotations

from datetime import datetime
from typing import Iterable, Optional

from sqlalchemy.orm import Session

from bot.alerts import AlertKind
from bot.identity import Correspondent
from bot.store.errors import InvalidValue
from bot.store.models import Alert, Client, Clinic


def record_alert(
    session: Session,
    clinic: Clinic,
    client: Optional[Client],
    kind: AlertKind,
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


def alert(session: Session, who: Correspondent, kind: AlertKind, message: str) -> Optional[Alert]:
    """An alert about `who` for the staff of their clinic; None when no clinic is known."""
    if who.clinic_id is None:
        return None
    clinic = session.get(Clinic, who.clinic_id)
    client = session.get(Client, who.client_id) if who.client_id is not None else None
    return record_alert(session, clinic, client, kind, message)


def alerts(session: Session, who: Correspondent, raised: Iterable[tuple[AlertKind, str]]) -> None:
    for kind, message in raised:
        alert(session, who, kind, message)
