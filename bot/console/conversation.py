"""One conversation: its transcript (new messages appear by themselves: htmx polls
`/conversations/<id>/live`), the client's treatments and follow-ups still to come, its
open items, and the take-over controls and reply box. Every opening, reply, take-over,
hand-back and photo fetched is audited; a conversation of another clinic is 404."""

from __future__ import annotations

import logging
from datetime import datetime, timedelta
from typing import Optional

import requests
from sanic import Blueprint, Request
from sanic.exceptions import NotFound
from sanic.response import HTTPResponse, empty, raw
from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.console import present, scope
from bot.console.view import Redirect, console_of, now_of, render, view
from bot.identity import Channel
from bot.messaging import followups
from bot.messaging.gateway import Gateway
from bot.services import conversations, transcripts
from bot.store.conversation_models import Conversation, LoggedMessage, MessageKind, MessageMedia
from bot.store.errors import InvalidValue
from bot.store.messaging_models import FollowUp, JobStatus
from bot.store.models import Clinic, TreatmentStatus
from bot.store.staff_models import AuditAction

bp = Blueprint("conversation")
log = logging.getLogger(__name__)

MAX_PHOTO_BYTES = 5 * 1024 * 1024  # Twilio's own limit for an MMS
PHOTO_TYPES = ("image/jpeg", "image/png", "image/gif", "image/webp")
PHOTO_TIMEOUT = 10.0
SPEAKERS = {MessageKind.assistant: "Assistant", MessageKind.followup: "Follow-up", MessageKind.notice: "Notice"}


def _gateway(request: Request) -> Gateway:
    """One gateway per console process (Twilio's client keeps its connections)."""
    app = request.app
    if getattr(app.ctx, "gateway", None) is None:
        app.ctx.gateway = Gateway.from_settings(console_of(request).settings, timeout=10.0)
    return app.ctx.gateway


def _takeover_length(request: Request) -> timedelta:
    return timedelta(hours=console_of(request).settings.takeover_hours)


def _message(row: LoggedMessage, clinic: Clinic, talk: Conversation, now: datetime) -> dict:
    client = talk.client
    if row.kind is MessageKind.client:
        speaker = client.name if client else "Visitor"
    elif row.kind is MessageKind.staff:
        speaker = f"{row.staff.display_name if row.staff else 'Staff'} (staff)"
    else:
        speaker = SPEAKERS.get(row.kind, row.kind.value)
    return {
        "id": row.id,
        "kind": row.kind.value,
        "from_clinic": row.kind is not MessageKind.client,
        "speaker": speaker,
        "body": row.body,
        "channel": present.CHANNELS.get(row.channel, row.channel.value),
        "when": present.local_time(row.at, clinic.tz, now),
        "when_full": present.full_time(row.at, clinic.tz),
        "iso": row.at.astimezone(clinic.tz).isoformat(timespec="seconds"),
        "status": present.delivery(row.delivery_status, row.error_code) if row.channel is Channel.sms else "",
        "failed": row.delivery_status in ("failed", "undelivered"),
        "during_takeover": row.during_takeover,
        "reading": _reading(row),
        "photos": [{"id": m.id} for m in row.media],
    }


def _reading(row: LoggedMessage) -> str:
    if row.kind is not MessageKind.client or not row.intent:
        return ""
    said = f"read as {row.intent.replace('_', ' ')}"
    if row.confidence is not None:
        said += f" ({row.confidence:.0%})"
    return said


def _treatments(talk: Conversation, clinic: Clinic, now: datetime) -> list[dict]:
    if talk.client is None:
        return []
    shown = []
    for treatment in reversed(talk.client.treatments):
        if treatment.status is TreatmentStatus.done and treatment.performed_at <= now:
            stands = present.recovery_point(treatment.performed_at, now)
        elif treatment.status is TreatmentStatus.cancelled:
            stands = "cancelled"
        else:
            stands = "booked"
        shown.append(
            {
                "area": treatment.area,
                "when": present.local_time(treatment.performed_at, clinic.tz),
                "when_full": present.full_time(treatment.performed_at, clinic.tz),
                "stands": stands,
            }
        )
    return shown


def _upcoming(db: Session, talk: Conversation, clinic: Clinic) -> list[dict]:
    if talk.client is None:
        return []
    rows = db.scalars(
        select(FollowUp)
        .where(FollowUp.client_id == talk.client.id, FollowUp.status == JobStatus.pending)
        .order_by(FollowUp.due_at)
    ).all()
    shown = []
    for row in rows:
        step = followups.step_of(clinic.protocol, row.step_key)
        shown.append(
            {
                "what": step.key.replace("_", " ") if step else row.step_key,
                "when": present.local_time(row.due_at, clinic.tz),
                "when_full": present.full_time(row.due_at, clinic.tz),
            }
        )
    return shown


def _items(db: Session, talk: Conversation, clinic: Clinic, now: datetime) -> list[dict]:
    return [
        {
            "id": item.id,
            "label": present.ITEM_KINDS.get(item.kind, item.kind.value),
            "kind": item.kind.value,
            "message": item.message,
            "when": present.local_time(item.created_at, clinic.tz, now),
            "handled": f"Handled by {item.handled_by.display_name if item.handled_by else 'a colleague'}, "
            f"{present.local_time(item.handled_at, clinic.tz, now)}"
            if item.handled_at
            else None,
        }
        for item in conversations.of_conversation(db, talk)[:20]
    ]


def _page(
    request: Request, db: Session, talk: Conversation, error: Optional[str] = None, draft: str = ""
) -> HTTPResponse:
    clinic = scope.current_clinic(request)
    now = now_of(request)
    rows = transcripts.transcript(db, talk)
    client = talk.client
    taken = talk.taken_over(now)
    context = {
        "talk": talk,
        "title": client.name if client else "Web visitor" if talk.key.startswith("anon:") else "Unknown number",
        "phone": present.display_number(client.phone) if client else "",
        "channel": present.CHANNELS.get(talk.channel, talk.channel.value),
        "point": present.recovery_point(_treated_at(talk, now), now),
        "messages": [_message(row, clinic, talk, now) for row in rows],
        "last_id": rows[-1].id if rows else 0,
        "treatments": _treatments(talk, clinic, now),
        "upcoming": _upcoming(db, talk, clinic),
        "items": _items(db, talk, clinic, now),
        "taken": taken,
        "taken_by": (conversations.first_name(talk.taken_over_by) if talk.taken_over_by else "a colleague")
        if taken
        else None,
        "taken_until": present.local_time(talk.takeover_until, clinic.tz, now) if taken else None,
        "takeover_hours": console_of(request).settings.takeover_hours,
        "blocked": conversations.reply_blocked(talk),
        "reply_goes": _reply_goes(talk, clinic),
        "opted_out": bool(client and client.opted_out),
        "error": error,
        "draft": draft,
    }
    return render(request, "conversation.html", status=400 if error else 200, **context)


def _treated_at(talk: Conversation, now: datetime) -> Optional[datetime]:
    """The client's latest done treatment up to now."""
    if talk.client is None:
        return None
    done = [
        t.performed_at for t in talk.client.treatments if t.status is TreatmentStatus.done and t.performed_at <= now
    ]
    return max(done, default=None)


def _reply_goes(talk: Conversation, clinic: Clinic) -> str:
    if talk.client is None:
        return ""
    if talk.channel is Channel.web:
        return f"Your reply appears in {talk.client.first_name}'s web chat, with your first name."
    return f"Your reply is texted to {present.display_number(talk.client.phone)} from the clinic's number."


@bp.get("/conversations/<conversation_id:int>", name="show")
@view()
def show(request: Request, db: Session, conversation_id: int) -> HTTPResponse:
    talk = scope.clinic_row(request, Conversation, conversation_id)
    scope.audit(request, AuditAction.conversation_opened, client_id=talk.client_id)
    return _page(request, db, talk)


@bp.get("/clients/<client_id:int>/conversation", name="for_client")
@view()
def for_client(request: Request, db: Session, client_id: int) -> HTTPResponse:
    """A client's conversation (begun here if they never wrote: staff may write first)."""
    client = scope.clinic_client(request, client_id)
    talk = transcripts.of_client(db, client, now_of(request))
    raise Redirect(request.app.url_for("conversation.show", conversation_id=talk.id))


@bp.get("/conversations/<conversation_id:int>/live", name="live")
@view()
def live(request: Request, db: Session, conversation_id: int) -> HTTPResponse:
    """Messages after `after`, appended to the open transcript; 204 while there are none."""
    talk = scope.clinic_row(request, Conversation, conversation_id)
    try:
        after = max(int(request.args.get("after", "0")), 0)
    except ValueError:
        after = 0
    rows = transcripts.since(db, talk, after, MessageKind)
    if not rows:
        return empty()
    clinic, now = scope.current_clinic(request), now_of(request)
    return render(
        request,
        "_transcript_live.html",
        talk=talk,
        messages=[_message(row, clinic, talk, now) for row in rows],
        last_id=rows[-1].id,
    )


@bp.post("/conversations/<conversation_id:int>/take-over", name="take_over")
@view()
def take_over(request: Request, db: Session, conversation_id: int) -> HTTPResponse:
    talk = scope.clinic_row(request, Conversation, conversation_id)
    staff = scope.current_staff(request)
    try:
        notice = conversations.take_over(db, talk, staff, now_of(request), _takeover_length(request))
    except InvalidValue as error:
        return _page(request, db, talk, str(error))
    if notice is not None:
        conversations.deliver(db, _gateway(request), notice)
    scope.audit(request, AuditAction.taken_over, client_id=talk.client_id)
    raise Redirect(request.app.url_for("conversation.show", conversation_id=talk.id))


@bp.post("/conversations/<conversation_id:int>/hand-back", name="hand_back")
@view()
def hand_back(request: Request, db: Session, conversation_id: int) -> HTTPResponse:
    talk = scope.clinic_row(request, Conversation, conversation_id)
    notice = conversations.hand_back(db, talk, now_of(request))
    if notice is not None:
        conversations.deliver(db, _gateway(request), notice)
    scope.audit(request, AuditAction.handed_back, client_id=talk.client_id)
    raise Redirect(request.app.url_for("conversation.show", conversation_id=talk.id))


@bp.post("/conversations/<conversation_id:int>/reply", name="reply")
@view()
def reply(request: Request, db: Session, conversation_id: int) -> HTTPResponse:
    """A reply takes the conversation over first (if nobody has), so the assistant and a
    person never answer the client at once."""
    talk = scope.clinic_row(request, Conversation, conversation_id)
    staff, now = scope.current_staff(request), now_of(request)
    body = (request.form.get("body") if request.form else "") or ""
    try:
        blocked = conversations.reply_blocked(talk)
        if blocked:
            raise InvalidValue(blocked)
        if not body.strip():
            raise InvalidValue("Type a reply first.")
        joined = (
            None if talk.taken_over(now) else conversations.take_over(db, talk, staff, now, _takeover_length(request))
        )
        message = conversations.staff_reply(db, talk, staff, body, now)
    except InvalidValue as error:
        return _page(request, db, talk, str(error), draft=body[: conversations.MAX_REPLY_CHARS * 2])
    gateway = _gateway(request)
    if joined is not None:
        conversations.deliver(db, gateway, joined)
        scope.audit(request, AuditAction.taken_over, client_id=talk.client_id)
    conversations.deliver(db, gateway, message)
    scope.audit(request, AuditAction.reply_sent, client_id=talk.client_id)
    raise Redirect(request.app.url_for("conversation.show", conversation_id=talk.id) + "#reply")


@bp.get("/conversations/<conversation_id:int>/photos/<media_id:int>", name="photo")
@view()
def photo(request: Request, db: Session, conversation_id: int, media_id: int) -> HTTPResponse:
    """A client's photo, fetched from Twilio with the account's credentials: the browser
    never sees Twilio's link."""
    talk = scope.clinic_row(request, Conversation, conversation_id)
    media = db.get(MessageMedia, media_id)
    owner = db.get(LoggedMessage, media.message_id) if media is not None else None
    if media is None or owner is None or owner.conversation_id != talk.id:
        raise NotFound("Not found.")
    scope.audit(request, AuditAction.photo_viewed, client_id=talk.client_id)
    fetched = _fetch(request, media.url)
    if fetched is None:
        return render(request, "error.html", status=502, title="Photo unavailable", message=_UNAVAILABLE)
    content, kind = fetched
    return raw(content, content_type=kind, headers={"Content-Disposition": "inline"})


_UNAVAILABLE = "The photo could not be fetched from Twilio just now. Try again in a moment."


def _fetch(request: Request, url: str) -> Optional[tuple[bytes, str]]:
    """Only from the Twilio API this deployment talks to, with its credentials; only
    images, at most 5 MB. None when that fails."""
    settings = console_of(request).settings
    if not settings.twilio_enabled or not url.startswith(settings.twilio_api_url + "/"):
        return None
    try:
        with requests.get(
            url,
            auth=(settings.twilio_account_sid or "", settings.twilio_auth_token or ""),
            timeout=PHOTO_TIMEOUT,
            stream=True,
        ) as response:
            kind = (response.headers.get("Content-Type") or "").split(";")[0].strip().lower()
            if response.status_code != 200 or kind not in PHOTO_TYPES:
                log.info("photo fetch refused: HTTP %s, %s", response.status_code, kind or "no type")
                return None
            content = b""
            for chunk in response.iter_content(64 * 1024):
                content += chunk
                if len(content) > MAX_PHOTO_BYTES:
                    return None
            return content, kind
    except requests.RequestException as error:
        log.info("photo fetch failed: %s", type(error).__name__)
        return None
