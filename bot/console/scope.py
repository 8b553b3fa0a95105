"""Whose request this is and which clinic it may see: every console page goes through here.

A staff member sees their own clinic, always. An operator sees the clinic they chose on
/clinics (kept in their session); until they choose, a page that needs a clinic sends
them there. Rows of another clinic are answered 404, exactly like rows that do not
exist, so ids of other clinics cannot be probed.
"""

from __future__ import annotations

from typing import Optional, Type, TypeVar

from sanic import Request
from sanic.exceptions import NotFound
from sqlalchemy import select

from bot.console.view import Redirect, db_of, now_of
from bot.services.audit import audit as record
from bot.store.models import Client, Clinic
from bot.store.staff_models import AuditAction, AuditEntry, Staff, StaffSession

Row = TypeVar("Row")

CHOOSE_CLINIC_ROUTE = "clinics.choose"


def current_staff(request: Request) -> Staff:
    """The signed-in staff member (every non-public view has one)."""
    staff = getattr(request.ctx, "staff", None)
    if staff is None:
        raise RuntimeError("no signed-in staff member: is this view public?")
    return staff


def current_session(request: Request) -> StaffSession:
    session = getattr(request.ctx, "session", None)
    if session is None:
        raise RuntimeError("no signed-in session: is this view public?")
    return session


def shown_clinic(request: Request) -> Optional[Clinic]:
    """The clinic the console shows, or None for an operator who has not chosen one."""
    staff = current_staff(request)
    if staff.is_operator:
        return current_session(request).clinic
    return staff.clinic


def current_clinic(request: Request) -> Clinic:
    """The clinic this request may see; an operator without one is sent to choose."""
    clinic = shown_clinic(request)
    if clinic is None:
        raise Redirect(request.app.url_for(CHOOSE_CLINIC_ROUTE))
    return clinic


def clinic_row(request: Request, model: Type[Row], row_id: int) -> Row:
    """The row `row_id` of `model` (any table with a clinic_id) if it belongs to the
    request's clinic; 404 otherwise, the same answer as for an id that does not exist."""
    clinic = current_clinic(request)
    row = (
        db_of(request)
        .execute(
            select(model).where(model.id == row_id, model.clinic_id == clinic.id)  # type: ignore[attr-defined]
        )
        .scalar_one_or_none()
    )
    if row is None:
        raise NotFound("Not found.")
    return row


def clinic_client(request: Request, client_id: int) -> Client:
    """A client of the request's clinic, or 404."""
    return clinic_row(request, Client, client_id)


def audit(request: Request, action: AuditAction, client_id: Optional[int] = None) -> AuditEntry:
    """Record that the signed-in staff member did `action` (to client `client_id`) in the
    clinic the console shows them."""
    staff = current_staff(request)
    clinic = shown_clinic(request)
    return record(
        db_of(request),
        staff,
        action,
        now=now_of(request),
        clinic_id=clinic.id if clinic else None,
        client_id=client_id,
    )
