"""The audit log: who did what, when, in which clinic, to which client.

Every staff action that reads or changes a client's data calls `audit`; the console's
`bot.console.scope.audit(request, action, client_id=...)` fills in who and which clinic.
"""

from __future__ import annotations

from datetime import datetime
from typing import Optional

from sqlalchemy import select
from sqlalchemy.orm import Session, joinedload

from bot.store.staff_models import AuditAction, AuditEntry, Staff


def audit(
    db: Session,
    staff: Optional[Staff],
    action: AuditAction,
    *,
    now: datetime,
    clinic_id: Optional[int] = None,
    client_id: Optional[int] = None,
    about: Optional[Staff] = None,
) -> AuditEntry:
    """Record `action` by `staff` (None: the admin command line). `clinic_id` defaults to
    the staff member's clinic, else the clinic of the account acted on."""
    if clinic_id is None:
        clinic_id = (staff.clinic_id if staff else None) or (about.clinic_id if about else None)
    entry = AuditEntry(
        at=now,
        staff_id=staff.id if staff else None,
        clinic_id=clinic_id,
        client_id=client_id,
        about_staff_id=about.id if about else None,
        action=action,
    )
    db.add(entry)
    db.flush()
    return entry


def recent(db: Session, clinic_id: Optional[int] = None, limit: int = 50) -> list[AuditEntry]:
    """The newest entries first; one clinic's, or everyone's."""
    query = (
        select(AuditEntry)
        .options(joinedload(AuditEntry.staff), joinedload(AuditEntry.about_staff), joinedload(AuditEntry.clinic))
        .order_by(AuditEntry.at.desc(), AuditEntry.id.desc())
        .limit(limit)
    )
    if clinic_id is not None:
        query = query.where(AuditEntry.clinic_id == clinic_id)
    return list(db.execute(query).scalars())
