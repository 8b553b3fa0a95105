"""The web chat channel: everything the widget talks to, under /webhooks/web/.

    GET  widget.js          the widget (one <script> tag on a clinic's site)
    GET  demo?clinic=SLUG   a demo clinic page with the widget on it; personal links point here
    GET  clinic?clinic=SLUG the clinic's public card: name, colour, phone
    POST session            who this browser is talking as (mode), before any message
    POST webhook            one message in, the assistant's replies out
    POST updates            what the clinic's staff said since the widget last asked

Rasa's stock rest/socketio channels take the sender id from the browser, so anyone who
knows or guesses an id joins that conversation. Here the conversation is derived on
every request from what the server signed: a verified personal link token (`web:<id>`)
or an anonymous session token this server issued (`anon:<clinic>:<random>`). Any other
field the browser sends (sender, session id, metadata) is ignored.

The widget runs on the clinic's own site, so these routes answer any origin with their
own CORS header. The widget sends no cookies, so that exposes nothing ambient. POST
bodies are JSON sent as text/plain, which keeps them "simple" requests: no preflight,
which Rasa's app-wide CORS handler (sanic-cors, `rasa run --cors`) would answer itself.
"""

from __future__ import annotations

import asyncio
import json
import logging
from dataclasses import dataclass
from datetime import datetime, timezone
from functools import cached_property
from typing import Any, Awaitable, Callable, Optional

from rasa.core.channels.channel import CollectingOutputChannel, InputChannel, UserMessage
from sanic import Blueprint, response
from sanic.request import Request
from sanic.response import HTTPResponse
from sanic_cors.core import SANIC_CORS_EVALUATED
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from bot import config, identity, links
from bot.channels import logbook
from bot.channels.logbook import Inbound, reading_of
from bot.config import Settings
from bot.nlp.components import names_red_flag
from bot.services import conversations, correspondents, transcripts
from bot.services.transcripts import Reading
from bot.store import db, queries
from bot.store.conversation_models import MessageKind
from bot.store.errors import UnknownClinic
from bot.store.models import SLUG, Clinic
from bot.web.pages import WIDGET_JS, clinic_card, demo_page

logger = logging.getLogger(__name__)

MAX_MESSAGE_CHARS = 1000
MAX_BODY_BYTES = 16 * 1024  # a message at the limit in any script, tokens and JSON around it

# What the widget is told when a personal link is refused: enough to explain, nothing
# about whose link it was.
NOTICES = {links.EXPIRED: "expired", links.REVOKED: "revoked"}
INVALID_NOTICE = "invalid"

JSON_HEADERS = {"Access-Control-Allow-Origin": "*", "Cache-Control": "no-store"}
DEMO_CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; "
    "connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'"
)


class BadRequest(Exception):
    def __init__(self, status: int, error: str, message: str) -> None:
        super().__init__(message)
        self.status, self.error, self.message = status, error, message


@dataclass(frozen=True)
class Conversation:
    """Who a request talks as, decided by the server."""

    sender_id: str
    mode: str  # "client": a verified personal link; "anonymous": general guidance only
    session: Optional[str] = None  # an anonymous session token the widget keeps
    notice: Optional[str] = None  # why the personal link was refused, if one was sent

    def public(self) -> dict:
        """What the browser may see: never the sender id, never a client's data."""
        body: dict[str, Any] = {"mode": self.mode}
        if self.session:
            body["session"] = self.session
        if self.notice:
            body["notice"] = self.notice
        return body


class WebChatInput(InputChannel):
    """Registered in credentials.yml as `bot.channels.web.WebChatInput: {}`."""

    @classmethod
    def name(cls) -> str:
        return "web"

    @classmethod
    def from_credentials(cls, credentials: Optional[dict]) -> "WebChatInput":
        return cls()

    def __init__(self, settings: Optional[Settings] = None, engine: Optional[Engine] = None) -> None:
        self._settings = settings
        self._engine = engine

    @cached_property
    def settings(self) -> Settings:
        return self._settings or config.from_env()

    @cached_property
    def engine(self) -> Engine:
        return self._engine or db.make_engine(self.settings.database_url)

    @cached_property
    def secret(self) -> str:
        return links.secret_for(self.settings)

    # Identity: runs in a worker thread (database)

    def conversation(
        self, clinic_slug: str, link_token: Optional[str], session_token: Optional[str]
    ) -> Optional[Conversation]:
        """Who this request talks as; None for an unknown clinic."""
        with db.session_scope(self.engine) as session:
            if _clinic(session, clinic_slug) is None:
                return None
            notice = None
            if link_token:
                check = links.verify_link_token(session, self.secret, link_token)
                # A link opens its own clinic's chat only, never another clinic's widget.
                if check.client_id is not None and check.clinic_slug == clinic_slug:
                    return Conversation(sender_id=identity.web(check.client_id), mode="client")
                notice = NOTICES.get(check.reason or "", INVALID_NOTICE)
        sender_id = links.verify_session(self.secret, session_token, clinic_slug) if session_token else None
        if sender_id:
            return Conversation(sender_id, "anonymous", notice=notice)
        sender_id, token = links.issue_session(self.secret, clinic_slug, datetime.now(timezone.utc))
        return Conversation(sender_id, "anonymous", session=token, notice=notice)

    # The message log: runs in a worker thread (database)

    def received(self, sender_id: str, text: str) -> Inbound:
        now = datetime.now(timezone.utc)
        with db.session_scope(self.engine) as session:
            who = correspondents.resolve(session, identity.parse(sender_id), now)
            return logbook.received(session, who, text, now)

    def hold(self, inbound: Inbound, text: str) -> None:
        flagged = names_red_flag(text)
        with db.session_scope(self.engine) as session:
            logbook.held(session, inbound.who, text, flagged, datetime.now(timezone.utc))

    def answered(self, inbound: Inbound, replies: list[str], reading: Optional[Reading]) -> None:
        with db.session_scope(self.engine) as session:
            logbook.answered(session, inbound.who, inbound.message_id, replies, reading, datetime.now(timezone.utc))

    def staff_said(self, sender_id: str, after: Optional[int]) -> dict:
        """What staff wrote (and notices) in a verified client's conversation after
        message `after`; without `after`, only where the log stands now."""
        now = datetime.now(timezone.utc)
        with db.session_scope(self.engine) as session:
            who = correspondents.resolve(session, identity.parse(sender_id), now)
            talk = transcripts.of(session, who, now) if who.client_id is not None else None
            if talk is None:
                return {"messages": [], "last": 0}
            if after is None:
                return {"messages": [], "last": transcripts.latest_id(session, talk), "staff": talk.taken_over(now)}
            rows = transcripts.since(session, talk, after, (MessageKind.staff, MessageKind.notice))
            messages = [
                {
                    "id": row.id,
                    "text": row.body,
                    "kind": row.kind.value,
                    "from": conversations.first_name(row.staff)
                    if row.kind is MessageKind.staff and row.staff
                    else None,
                }
                for row in rows
            ]
            last = rows[-1].id if rows else after
            return {"messages": messages, "last": last, "staff": talk.taken_over(now)}

    def public_clinic(self, clinic_slug: str) -> Optional[dict]:
        with db.session_scope(self.engine) as session:
            clinic = _clinic(session, clinic_slug)
            return clinic_card(clinic) if clinic else None

    # Routes

    def blueprint(self, on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> Blueprint:
        web = Blueprint("aftercare_web_chat", __name__)
        _ = self.secret  # a missing or bad secret fails at start-up, not at the first visitor

        @web.middleware("request")
        async def own_cors(request: Request) -> None:
            # Tell Rasa's sanic-cors that these responses carry their CORS header already;
            # it would add a second Access-Control-Allow-Origin, which browsers refuse.
            setattr(request.ctx, SANIC_CORS_EVALUATED, "1")

        @web.get("/")
        async def health(request: Request) -> HTTPResponse:
            return response.json({"status": "ok"}, headers=JSON_HEADERS)

        @web.get("/widget.js")
        async def widget(request: Request) -> HTTPResponse:
            return await response.file(
                WIDGET_JS,
                mime_type="application/javascript",
                headers={"Cache-Control": "public, max-age=300", "X-Content-Type-Options": "nosniff"},
            )

        @web.get("/demo")
        async def demo(request: Request) -> HTTPResponse:
            slug = request.args.get("clinic", "")
            card = await asyncio.to_thread(self.public_clinic, slug) if SLUG.match(slug) else None
            page = demo_page(card, slug, self.settings.public_url)
            headers = {"Content-Security-Policy": DEMO_CSP, "Referrer-Policy": "no-referrer"}
            return response.html(page, status=200 if card else 404, headers=headers)

        @web.get("/clinic")
        async def clinic(request: Request) -> HTTPResponse:
            slug = request.args.get("clinic", "")
            card = await asyncio.to_thread(self.public_clinic, slug) if SLUG.match(slug) else None
            if card is None:
                return _error(404, "unknown_clinic", "No clinic by that name.")
            return response.json(card, headers=JSON_HEADERS)

        @web.post("/session")
        async def start(request: Request) -> HTTPResponse:
            try:
                body = _body(request)
                found = await self._identify(body)
            except BadRequest as bad:
                return _error(bad.status, bad.error, bad.message)
            return response.json(found.public(), headers=JSON_HEADERS)

        @web.post("/webhook")
        async def receive(request: Request) -> HTTPResponse:
            try:
                body = _body(request)
                text = _message(body)
                found = await self._identify(body)
            except BadRequest as bad:
                return _error(bad.status, bad.error, bad.message)
            try:
                inbound = await asyncio.to_thread(self.received, found.sender_id, text)
            except Exception:  # the log must not keep the client from an answer
                logger.exception("web chat: logging a message failed")
                inbound = Inbound(correspondents.nobody())
            if inbound.held:  # a person has taken over: they answer, not the assistant
                await asyncio.to_thread(self.hold, inbound, text)
                return response.json({**found.public(), "messages": []}, headers=JSON_HEADERS)
            collector = CollectingOutputChannel()
            # No metadata: the actions read metadata (e.g. a preview time) and the
            # browser's must never reach them.
            message = UserMessage(text, collector, found.sender_id, input_channel=self.name(), metadata=None)
            try:
                await on_new_message(message)
            except Exception:  # the assistant failed: the widget shows the clinic's phone
                logger.exception("web chat: handling a message failed")
                return _error(503, "unavailable", "The assistant could not answer just now.")
            replies = [{"text": m["text"]} for m in collector.messages if isinstance(m.get("text"), str)]
            try:
                reading = await reading_of(request.app, found.sender_id)
                await asyncio.to_thread(self.answered, inbound, [r["text"] for r in replies], reading)
            except Exception:
                logger.exception("web chat: logging a reply failed")
            return response.json({**found.public(), "messages": replies}, headers=JSON_HEADERS)

        @web.post("/updates")
        async def updates(request: Request) -> HTTPResponse:
            try:
                body = _body(request)
                found = await self._identify(body)
                after = body.get("after")
                if after is not None and (not isinstance(after, int) or isinstance(after, bool) or after < 0):
                    raise BadRequest(400, "bad_request", "after must be a message id.")
            except BadRequest as bad:
                return _error(bad.status, bad.error, bad.message)
            if found.mode != "client":  # staff answer only clients who opened their link
                return response.json({**found.public(), "messages": [], "last": 0}, headers=JSON_HEADERS)
            said = await asyncio.to_thread(self.staff_said, found.sender_id, after)
            return response.json({**found.public(), **said}, headers=JSON_HEADERS)

        return web

    async def _identify(self, body: dict) -> Conversation:
        slug = _field(body, "clinic")
        if not slug or not SLUG.match(slug):
            raise BadRequest(400, "bad_request", "Say which clinic (data-clinic on the script tag).")
        found = await asyncio.to_thread(self.conversation, slug, _field(body, "token"), _field(body, "session"))
        if found is None:
            raise BadRequest(404, "unknown_clinic", "No clinic by that name.")
        return found


def _clinic(session: Session, slug: str) -> Optional[Clinic]:
    try:
        return queries.clinic_by_slug(session, slug)
    except UnknownClinic:
        return None


def _error(status: int, error: str, message: str) -> HTTPResponse:
    return response.json({"error": error, "message": message}, status=status, headers=JSON_HEADERS)


def _body(request: Request) -> dict:
    raw = request.body or b""
    if len(raw) > MAX_BODY_BYTES:
        raise BadRequest(413, "too_large", f"Messages can be at most {MAX_MESSAGE_CHARS} characters.")
    try:
        body = json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError):
        raise BadRequest(400, "bad_request", "The request body must be JSON.") from None
    if not isinstance(body, dict):
        raise BadRequest(400, "bad_request", "The request body must be a JSON object.")
    return body


def _field(body: dict, name: str) -> Optional[str]:
    value = body.get(name)
    if value is None or value == "":
        return None
    if not isinstance(value, str) or len(value) > 4096:
        raise BadRequest(400, "bad_request", f"{name} must be a short string.")
    return value


def _message(body: dict) -> str:
    text = body.get("message")
    if not isinstance(text, str) or not text.strip():
        raise BadRequest(400, "empty_message", "Type a message first.")
    text = text.replace("\x00", "").strip()
    if len(text) > MAX_MESSAGE_CHARS:
        raise BadRequest(
            413,
            "message_too_long",
            f"Messages can be at most {MAX_MESSAGE_CHARS} characters; yours has {len(text)}. "
            "Please shorten it or send it in parts.",
        )
    return text
