"""Clients and their treatments: the list and its search, a client's page, adding a
client, recording, moving and cancelling a treatment, texting or revoking the client's
personal chat link.

Every change goes through the domain service the CLI uses (bot/services), so the rules
and the error messages are the same; a refused change is shown next to its field with
what the person typed, and runs in a savepoint, so it leaves nothing behind. Every page
and change is audited, and every id in a URL is looked up in the staff member's clinic
only (404 otherwise).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Optional

from sanic import Blueprint, Request
from sanic.exceptions import NotFound, URLBuildError
from sanic.response import HTTPResponse
from sqlalchemy.orm import Session

from bot.console import clock, scope
from bot.console.view import console_of, now_of, redirect, render, view
from bot.messaging.gateway import Gateway
from bot.phones import InvalidPhone, display_phone, normalize_phone, region_of
from bot.services import chat_links, clients, treatments
from bot.store.errors import DuplicateClient, FutureTreatment, InvalidValue, StoreError
from bot.store.models import Client, Treatment, TreatmentStatus
from bot.store.staff_models import AuditAction
from bot.timeparse import InvalidTime, parse_local_time

bp = Blueprint("clients")

# Where a client's conversation is shown (bot/console/conversation.py).
CONVERSATION_ROUTE = "conversation.for_client"

NOTICES = {
    "added": "Client added. Record their treatment below.",
    "recorded": "Treatment recorded; its follow-ups are scheduled.",
    "moved": "Treatment moved; its follow-ups moved with it.",
    "cancelled": "Treatment cancelled; its follow-ups not sent yet will not be sent.",
    "link_sent": "Chat link texted to the client.",
    "revoked": "Every chat link sent so far has stopped working. A link sent from now on works.",
}
STATUSES = (TreatmentStatus.done.value, TreatmentStatus.booked.value)


@dataclass
class Form:
    """What a person typed into one form, and what was wrong with it."""

    values: dict[str, str] = field(default_factory=dict)
    errors: dict[str, str] = field(default_factory=dict)

    @classmethod
    def read(cls, request: Request, *names: str) -> "Form":
        return cls({name: request.form.get(name) or "" for name in names})

    def refuse(self, name: str, message: str) -> "Form":
        self.errors[name] = sentence(message)
        return self


def sentence(message: str) -> str:
    """A service's one-line message, as a sentence in the page."""
    message = " ".join(str(message).split())
    return message[:1].upper() + message[1:] if message else message


# The list


@bp.get("/clients", name="index")
@view()
def index(request: Request, db: Session) -> HTTPResponse:
    clinic = scope.current_clinic(request)
    query = " ".join((request.args.get("q") or "").split())[:200]
    found = clients.search(db, clinic, query)
    scope.audit(request, AuditAction.clients_listed)
    rows = [_row(client) for client in found]
    return render(request, "clients.html", query=query, rows=rows, limited=len(found) >= clients.SEARCH_LIMIT)


def _row(client: Client) -> dict:
    latest = client.treatments[-1] if client.treatments else None
    return {
        "client": client,
        "phone": display_phone(client.phone),
        "latest": _treatment(latest, client) if latest else None,
    }


# Adding a client


@bp.get("/clients/new", name="new")
@view()
def new(request: Request, db: Session) -> HTTPResponse:
    scope.current_clinic(request)
    return render(request, "client_new.html", form=Form({"name": "", "phone": ""}))


@bp.post("/clients/new", name="create")
@view()
def create(request: Request, db: Session) -> HTTPResponse:
    clinic = scope.current_clinic(request)
    form = Form.read(request, "name", "phone")
    if not form.values["name"].strip():
        # Said with the phone's error too, so an empty form shows both at once.
        form.refuse("name", "name is empty")
        try:
            normalize_phone(form.values["phone"], region_of(clinic.phone))
        except InvalidPhone as exc:
            form.refuse("phone", str(exc))
    else:
        try:
            with db.begin_nested():
                added = clients.add(db, clinic, form.values["name"], form.values["phone"])
        except (InvalidPhone, DuplicateClient) as exc:
            form.refuse("phone", str(exc))
        except InvalidValue as exc:
            form.refuse("name" if str(exc).startswith("name") else "phone", str(exc))
    if form.errors:
        return render(request, "client_new.html", status=422, form=form)
    scope.audit(request, AuditAction.client_added, client_id=added.id)
    return redirect(_client_url(request, added, "added"))


# A client's page


@bp.get("/clients/<client_id:int>", name="show")
@view()
def show(request: Request, db: Session, client_id: int) -> HTTPResponse:
    client = scope.clinic_client(request, client_id)
    scope.audit(request, AuditAction.client_viewed, client_id=client.id)
    return _client_page(request, client, notice=NOTICES.get(request.args.get("notice") or ""))


def _client_page(
    request: Request,
    client: Client,
    status: int = 200,
    notice: Optional[str] = None,
    record: Optional[Form] = None,
    moving: Optional[tuple[int, Form]] = None,
    link_error: Optional[str] = None,
) -> HTTPResponse:
    clinic = client.clinic
    now = now_of(request)
    return render(
        request,
        "client.html",
        status=status,
        client=client,
        phone=display_phone(client.phone),
        opted_out_at=clock.shown(client.opted_out_at, clinic) if client.opted_out_at else None,
        revoked_at=clock.shown(client.links_valid_after, clinic) if client.links_valid_after else None,
        treatments=[_treatment(t, client, moving) for t in reversed(client.treatments)],
        record=record or Form({"at": clock.field_value(now, clinic), "area": "face", "status": "done"}),
        statuses=STATUSES,
        notice=notice,
        link_error=link_error,
        link_days=console_of(request).settings.link_ttl_days,
        conversation_url=_conversation_url(request, client),
        timezone=clinic.timezone,
    )


def _treatment(treatment: Treatment, client: Client, moving: Optional[tuple[int, Form]] = None) -> dict:
    clinic = client.clinic
    form = moving[1] if moving and moving[0] == treatment.id else None
    return {
        "id": treatment.id,
        "when": clock.shown(treatment.performed_at, clinic),
        "iso": clock.iso(treatment.performed_at),
        "area": treatment.area,
        "status": treatment.status.value,
        "booking_id": treatment.external_ref,
        "cancelled": treatment.status is TreatmentStatus.cancelled,
        "move": form or Form({"at": clock.field_value(treatment.performed_at, clinic)}),
    }


def _conversation_url(request: Request, client: Client) -> Optional[str]:
    try:
        return request.app.url_for(CONVERSATION_ROUTE, client_id=client.id)
    except URLBuildError:  # the page is not part of this console (yet)
        return None


def _client_url(request: Request, client: Client, notice: str, anchor: str = "") -> str:
    return request.app.url_for("clients.show", client_id=client.id) + f"?notice={notice}" + anchor


# Treatments


def _client_treatment(request: Request, client_id: int, treatment_id: int) -> tuple[Client, Treatment]:
    """The treatment `treatment_id` of the clinic's client `client_id`, or 404."""
    client = scope.clinic_client(request, client_id)
    treatment = scope.clinic_row(request, Treatment, treatment_id)
    if treatment.client_id != client.id:
        raise NotFound("Not found.")
    return client, treatment


@bp.post("/clients/<client_id:int>/treatments", name="record")
@view()
def record(request: Request, db: Session, client_id: int) -> HTTPResponse:
    client = scope.clinic_client(request, client_id)
    form = Form.read(request, "at", "area", "status")
    form.values["status"] = form.values["status"] or "done"
    if not form.values["at"].strip():
        form.refuse("at", "Enter when the treatment ended (or is booked).")
    else:
        try:
            with db.begin_nested():
                at = _time(form.values["at"], client)
                treatments.add(
                    db, client, at, form.values["area"] or "face", form.values["status"], now=now_of(request)
                )
        except (InvalidTime, FutureTreatment) as exc:
            form.refuse("at", str(exc))
        except InvalidValue as exc:
            form.refuse("area" if str(exc).startswith("area") else "status", str(exc))
    if form.errors:
        return _client_page(request, client, status=422, record=form)
    scope.audit(request, AuditAction.treatment_recorded, client_id=client.id)
    return redirect(_client_url(request, client, "recorded", "#treatments-heading"))


@bp.post("/clients/<client_id:int>/treatments/<treatment_id:int>/reschedule", name="reschedule")
@view()
def reschedule(request: Request, db: Session, client_id: int, treatment_id: int) -> HTTPResponse:
    client, treatment = _client_treatment(request, client_id, treatment_id)
    form = Form.read(request, "at")
    if not form.values["at"].strip():
        form.refuse("at", "Enter the new date and time.")
    else:
        try:
            with db.begin_nested():
                treatments.reschedule(db, treatment, _time(form.values["at"], client), now=now_of(request))
        except (InvalidTime, StoreError) as exc:
            form.refuse("at", str(exc))
    if form.errors:
        db.refresh(treatment)  # what the page shows is what is stored
        return _client_page(request, client, status=422, moving=(treatment.id, form))
    scope.audit(request, AuditAction.treatment_rescheduled, client_id=client.id)
    return redirect(_client_url(request, client, "moved", "#treatments-heading"))


@bp.post("/clients/<client_id:int>/treatments/<treatment_id:int>/cancel", name="cancel")
@view()
def cancel(request: Request, db: Session, client_id: int, treatment_id: int) -> HTTPResponse:
    client, treatment = _client_treatment(request, client_id, treatment_id)
    with db.begin_nested():
        treatments.cancel(db, treatment, now=now_of(request))
    scope.audit(request, AuditAction.treatment_cancelled, client_id=client.id)
    return redirect(_client_url(request, client, "cancelled", "#treatments-heading"))


def _time(text: str, client: Client) -> datetime:
    return parse_local_time(text, client.clinic.tz)


# The personal chat link


@bp.post("/clients/<client_id:int>/chat-link", name="send_link")
@view()
def send_link(request: Request, db: Session, client_id: int) -> HTTPResponse:
    client = scope.clinic_client(request, client_id)
    settings = console_of(request).settings
    try:
        with db.begin_nested():
            chat_links.send(db, settings, Gateway.from_settings(settings), client, now_of(request))
    except StoreError as exc:
        return _client_page(request, client, status=422, link_error=sentence(str(exc)))
    scope.audit(request, AuditAction.chat_link_sent, client_id=client.id)
    return redirect(_client_url(request, client, "link_sent", "#link-heading"))


@bp.post("/clients/<client_id:int>/chat-link/revoke", name="revoke_links")
@view()
def revoke_links(request: Request, db: Session, client_id: int) -> HTTPResponse:
    client = scope.clinic_client(request, client_id)
    chat_links.revoke(db, client, now_of(request))
    scope.audit(request, AuditAction.chat_links_revoked, client_id=client.id)
    return redirect(_client_url(request, client, "revoked", "#link-heading"))
