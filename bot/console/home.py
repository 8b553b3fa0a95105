"""The signed-in home page: the clinic's inbox. Needs-attention items on top, then the
clients' conversations and the anonymous visitors', newest activity first; searchable
by name or phone. The lists refresh themselves (htmx polls `/inbox/live`, which
answers 204 while nothing changed)."""

from __future__ import annotations

import hashlib
from datetime import datetime
from typing import Optional

from sanic import Blueprint, Request
from sanic.exceptions import NotFound
from sanic.response import HTTPResponse, empty
from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.console import present, scope
from bot.console.view import Redirect, local_path, now_of, render, view
from bot.phones import InvalidPhone
from bot.services import clinics, conversations, transcripts
from bot.store.conversation_models import Conversation
from bot.store.errors import InvalidValue
from bot.store.models import Alert, Clinic, Treatment, TreatmentStatus
from bot.store.staff_models import AuditAction, StaffRole

bp = Blueprint("home")

MAX_SEARCH = 100


def _treated(db: Session, client_ids: list[int], now: datetime) -> dict[int, datetime]:
    """Each client's latest done treatment up to now."""
    if not client_ids:
        return {}
    rows = db.execute(
        select(Treatment.client_id, Treatment.performed_at)
        .where(
            Treatment.client_id.in_(client_ids),
            Treatment.status == TreatmentStatus.done,
            Treatment.performed_at <= now,
        )
        .order_by(Treatment.performed_at)
    ).all()
    return {row[0]: row[1] for row in rows}  # ordered by time: the latest wins


def _rows(db: Session, clinic: Clinic, talks: list[Conversation], now: datetime) -> list[dict]:
    treated = _treated(db, [t.client_id for t in talks if t.client_id], now)
    rows = []
    for talk in talks:
        client = talk.client
        rows.append(
            {
                "id": talk.id,
                "name": client.name if client else _visitor_name(talk.key),
                "channel": present.CHANNELS.get(talk.channel, talk.channel.value),
                "point": present.recovery_point(treated.get(talk.client_id) if client else None, now),
                "last_text": talk.last_text or "",
                "when": present.local_time(talk.last_activity_at, clinic.tz, now),
                "when_full": present.full_time(talk.last_activity_at, clinic.tz),
                "taken_over_by": conversations.first_name(talk.taken_over_by)
                if talk.taken_over(now) and talk.taken_over_by
                else ("a colleague" if talk.taken_over(now) else None),
            }
        )
    return rows


def _visitor_name(key: str) -> str:
    if key.startswith("sms:"):
        return f"Unknown number {present.display_number(key[4:])}"
    return "Web visitor " + key.rsplit(":", 1)[-1][:6]


def _items(db: Session, clinic: Clinic, now: datetime) -> list[dict]:
    open_items = conversations.needing_attention(db, clinic.id)
    texts = conversations.alert_texts(db, [item.id for item in open_items])
    items = []
    for item in open_items:
        text = texts.get(item.id)
        failed = text is not None and text.status.value == "failed"
        items.append(
            {
                "id": item.id,
                "kind": item.kind.value,
                "label": present.ITEM_KINDS.get(item.kind, item.kind.value),
                "who": item.client.name if item.client else "A visitor",
                "message": item.message,
                "conversation_id": item.conversation_id,
                "when": present.local_time(item.created_at, clinic.tz, now),
                "when_full": present.full_time(item.created_at, clinic.tz),
                "text_failed": present.delivery("failed", text.error_code) + (f": {text.error}" if text.error else "")
                if failed and text is not None
                else None,
            }
        )
    return items


def _version(db: Session, clinic: Clinic, search: str) -> str:
    """Changes whenever what the lists show may have changed."""
    open_ids = db.scalars(
        select(Alert.id).where(Alert.clinic_id == clinic.id, Alert.handled_at.is_(None)).order_by(Alert.id)
    ).all()
    latest = transcripts.latest_activity(db, clinic.id)
    taken = transcripts.takeover_stamp(db, clinic.id)
    basis = f"{','.join(map(str, open_ids))}|{latest}|{taken}|{search}"
    return hashlib.sha256(basis.encode()).hexdigest()[:16]


def _lists(request: Request, db: Session) -> dict:
    clinic = scope.current_clinic(request)
    now = now_of(request)
    search = (request.args.get("q") or "").strip()[:MAX_SEARCH]
    return {
        "search": search,
        "items": _items(db, clinic, now),
        "clients": _rows(db, clinic, transcripts.conversations(db, clinic.id, clients=True, search=search), now),
        "visitors": _rows(db, clinic, transcripts.conversations(db, clinic.id, clients=False, search=search), now),
        "version": _version(db, clinic, search),
    }


def _may_set_alert_phone(request: Request) -> bool:
    staff = scope.current_staff(request)
    return staff.is_operator or staff.role is StaffRole.owner


def _inbox(request: Request, db: Session, phone_error: Optional[str] = None, phone_draft: str = "") -> HTTPResponse:
    clinic = scope.current_clinic(request)
    return render(
        request,
        "inbox.html",
        status=400 if phone_error else 200,
        alert_phone=present.display_number(clinic.alert_phone) if clinic.alert_phone else "",
        may_set_alert_phone=_may_set_alert_phone(request),
        phone_error=phone_error,
        phone_draft=phone_draft,
        **_lists(request, db),
    )


@bp.get("/", name="inbox")
@view()
def inbox(request: Request, db: Session) -> HTTPResponse:
    return _inbox(request, db)


@bp.post("/alert-phone", name="alert_phone")
@view()
def alert_phone(request: Request, db: Session) -> HTTPResponse:
    """An owner sets (or clears) the mobile texted about alerts, as `aftercare clinic alert-phone` does."""
    if not _may_set_alert_phone(request):
        raise NotFound("Not found.")
    clinic = scope.current_clinic(request)
    raw_phone = ((request.form.get("alert_phone") if request.form else "") or "")[:40]
    try:
        clinics.set_alert_phone(db, clinic, raw_phone)
    except (InvalidValue, InvalidPhone) as error:
        return _inbox(request, db, str(error), raw_phone)
    scope.audit(request, AuditAction.alert_phone_set)
    raise Redirect(request.app.url_for("home.inbox") + "#alert-phone")


@bp.get("/inbox/live", name="live")
@view()
def live(request: Request, db: Session) -> HTTPResponse:
    """The lists again, or 204 when nothing changed since version `v`."""
    clinic = scope.current_clinic(request)
    search = (request.args.get("q") or "").strip()[:MAX_SEARCH]
    if request.args.get("v") == _version(db, clinic, search):
        return empty()
    return render(request, "_inbox_lists.html", **_lists(request, db))


@bp.post("/attention/<item_id:int>/handled", name="handled")
@view()
def handled(request: Request, db: Session, item_id: int) -> HTTPResponse:
    item = scope.clinic_row(request, Alert, item_id)
    conversations.mark_handled(db, item, scope.current_staff(request), now_of(request))
    scope.audit(request, AuditAction.item_handled, client_id=item.client_id)
    back: Optional[str] = request.form.get("next") if request.form else None
    raise Redirect(local_path(back, request.app.url_for("home.inbox")))
