"""Operators choose which clinic the console shows them (staff members have one)."""

from __future__ import annotations

from sanic import Blueprint, Request
from sanic.exceptions import NotFound
from sanic.response import HTTPResponse
from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.console import scope
from bot.console.view import now_of, redirect, render, view
from bot.services import signin
from bot.store.errors import UnknownClinic
from bot.store.models import Clinic

bp = Blueprint("clinics")


def _operator_only(request: Request) -> None:
    if not scope.current_staff(request).is_operator:
        raise NotFound("Not found.")


@bp.get("/clinics", name="choose")
@view()
def choose(request: Request, db: Session) -> HTTPResponse:
    _operator_only(request)
    clinics = db.execute(select(Clinic).order_by(Clinic.name)).scalars().all()
    return render(request, "clinics.html", clinics=clinics)


@bp.post("/clinics", name="choose_submit")
@view()
def choose_submit(request: Request, db: Session) -> HTTPResponse:
    _operator_only(request)
    try:
        signin.choose_clinic(db, scope.current_session(request), request.form.get("clinic") or "", now_of(request))
    except UnknownClinic:
        raise NotFound("Not found.") from None
    return redirect(request.app.url_for("home.inbox"))
