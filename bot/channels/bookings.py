"""Bookings that arrive by themselves, under /webhooks/bookings/ on the Rasa server, like
every other public route (one server, one proxy, one TLS certificate):

    POST acuity/<clinic>   Acuity Scheduling's webhook (form-encoded, X-Acuity-Signature)
    POST <clinic>          the signed JSON webhook (Zapier, Make, n8n ...; README)

Order of work, cheapest and least trusting first: the body is read only up to a few
kilobytes (a longer one gets 413 before the rest is read); the signature is checked over
the raw bytes with the clinic's secret (anything else gets 403 and nothing is parsed or
stored); only then is the body parsed (400 with what to fix), and the event applied in
one unit of work through the same services as the CLI (bot/services/booking_events.py).

Acuity's webhook only names the appointment: its details are fetched from Acuity's API,
so any repeat of an event (Acuity's `changed` arrives beside `scheduled` and the others)
applies the same current state and changes nothing twice. The JSON webhook's event is
applied once (its event id, or its signature, is remembered; a replay gets 409).

Logs name the clinic, the action, the booking system's id and the outcome: never a name
or a phone number.
"""

from __future__ import annotations

import asyncio
import logging
from datetime import datetime, timezone
from functools import cached_property, partial
from typing import Any, Awaitable, Callable, Optional, TypeVar

from rasa.core.channels.channel import InputChannel, UserMessage
from sanic import Blueprint, response
from sanic.request import Request
from sanic.response import HTTPResponse
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from bot import config
from bot.booking_systems import acuity as acuity_api
from bot.booking_systems import webhook
from bot.booking_systems.signatures import (
    ACUITY_HEADER,
    SIGNATURE_HEADER,
    TIMESTAMP_HEADER,
    Refused,
    acuity_signed,
    check_webhook,
)
from bot.channels.acuity_client import AcuityError, fetch_appointment
from bot.config import Settings
from bot.sealing import Sealer, SealError, sealer_for
from bot.services import booking_events, booking_sources
from bot.services.booking_events import Applied
from bot.services.booking_sources import AcuityAccount
from bot.store import db, queries
from bot.store.booking_models import EventOutcome, SourceKind
from bot.store.errors import Conflict, DuplicateEvent, UnknownClinic
from bot.store.models import SLUG, Clinic

log = logging.getLogger(__name__)
T = TypeVar("T")

MAX_BODY_BYTES = webhook.MAX_BYTES  # Acuity's form is under a hundred bytes; an event a few hundred
ATTEMPTS = 3  # a unit of work that lost a race with a second delivery of the same booking is run again


class TooLarge(Exception):
    pass


async def read_body(request: Request, limit: int = MAX_BODY_BYTES) -> bytes:
    """The body of a streamed request, read no further than `limit` bytes."""
    declared = request.headers.get("content-length")
    if declared is not None and (not declared.isdigit() or int(declared) > limit):
        raise TooLarge()
    stream = request.stream
    if stream is None:  # a route declared without stream=True: Sanic has read the body
        if len(request.body) > limit:
            raise TooLarge()
        return bytes(request.body)
    # Sanic stops reading (and closes the connection) past this, whatever is left unread.
    stream.request_max_size = limit
    chunks: list[bytes] = []
    size = 0
    while True:
        chunk = await stream.read()
        if chunk is None:
            return b"".join(chunks)
        size += len(chunk)
        if size > limit:
            raise TooLarge()
        chunks.append(chunk)


def _answer(code: int, error: Optional[str] = None, message: str = "", **extra: Any) -> HTTPResponse:
    body: dict[str, Any] = dict(extra)
    if error:
        body["error"] = error
    if message:
        body["message"] = message
    return response.json(body, status=code, headers={"Cache-Control": "no-store"})


FORBIDDEN_MESSAGE = "not signed with this clinic's secret"


class BookingsInput(InputChannel):
    """Registered in credentials.yml as `bot.channels.bookings.BookingsInput: {}`; configured
    by the environment (ACUITY_API_URL, AFTERCARE_DATA_KEY) and each clinic's settings."""

    @classmethod
    def name(cls) -> str:
        return "bookings"

    @classmethod
    def from_credentials(cls, credentials: Optional[dict]) -> "BookingsInput":
        return cls()

    def __init__(
        self,
        settings: Optional[Settings] = None,
        engine: Optional[Engine] = None,
        clock: Callable[[], datetime] = lambda: datetime.now(timezone.utc),
    ) -> None:
        self._settings = settings
        self._engine = engine
        self.clock = clock

    @cached_property
    def settings(self) -> Settings:
        return self._settings or config.from_env()

    @cached_property
    def engine(self) -> Engine:
        # SQLite: a unit of work that reads then writes takes the write lock up front, so
        # concurrent events wait for each other instead of failing.
        engine = self._engine or db.make_engine(self.settings.database_url)
        return engine.execution_options(sqlite_begin="IMMEDIATE")

    @cached_property
    def sealer(self) -> Sealer:
        return sealer_for(self.settings)

    # Blocking work, in worker threads

    def _read(self, work: Callable[..., T], *args: Any) -> Awaitable[T]:
        def unit() -> T:
            with db.session_scope(self.engine) as session:
                return work(session, *args)

        return asyncio.to_thread(unit)

    def _apply(self, work: Callable[[Session, Clinic], Applied], slug: str) -> Applied:
        for attempt in range(1, ATTEMPTS + 1):
            try:
                with db.session_scope(self.engine) as session:
                    return work(session, queries.clinic_by_slug(session, slug))
            except DuplicateEvent:
                raise
            except Conflict:
                if attempt == ATTEMPTS:
                    raise
        raise AssertionError("unreachable")

    def acuity_account(self, session: Session, slug: str) -> Optional[AcuityAccount]:
        clinic = _clinic(session, slug)
        try:
            return booking_sources.acuity(session, clinic, self.sealer) if clinic else None
        except SealError as error:
            log.error("Acuity webhook for %s: %s", slug, error)
            return None

    def webhook_secret(self, session: Session, slug: str) -> Optional[str]:
        clinic = _clinic(session, slug)
        try:
            return booking_sources.webhook_secret(session, clinic, self.sealer) if clinic else None
        except SealError as error:
            log.error("booking webhook for %s: %s", slug, error)
            return None

    def apply_acuity(self, slug: str, account: AcuityAccount, notification: acuity_api.Notification) -> Applied:
        """Fetch the appointment (outside any transaction), then apply it."""
        now = self.clock()
        try:
            appointment = fetch_appointment(self.settings.acuity_api_url, account, notification.appointment_id)
            if appointment is not None and appointment.id != notification.appointment_id:
                raise AcuityError("acuity_unreadable", "Acuity answered with another appointment")
        except AcuityError as error:
            return self._apply(partial(self._failed, notification, error.reason, str(error), now), slug)

        return self._apply(
            lambda session, clinic: booking_events.from_acuity(
                session, clinic, account, notification, appointment, now
            ),
            slug,
        )

    @staticmethod
    def _failed(
        notification: acuity_api.Notification,
        reason: str,
        message: str,
        now: datetime,
        session: Session,
        clinic: Clinic,
    ) -> Applied:
        booking_events.failed(
            session, clinic, SourceKind.acuity, notification.action, notification.appointment_id, reason, now
        )
        return Applied(EventOutcome.failed, reason, message)

    # Routes

    def blueprint(self, on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> Blueprint:
        bookings = Blueprint("aftercare_bookings", __name__)
        _ = self.sealer  # an unusable AFTERCARE_DATA_KEY fails at start-up, not at the first event

        @bookings.get("/")
        async def health(request: Request) -> HTTPResponse:
            return _answer(200, status="ok")

        @bookings.post("/acuity/<slug>", stream=True)
        async def acuity(request: Request, slug: str) -> HTTPResponse:
            try:
                body = await read_body(request)
            except TooLarge:
                return _answer(413, "too_large", f"the body is over {MAX_BODY_BYTES} bytes")
            account = await self._read(self.acuity_account, slug) if SLUG.match(slug) else None
            if account is None or not acuity_signed(body, request.headers.get(ACUITY_HEADER, ""), account.api_key):
                log.info("Acuity webhook for %s refused: not signed with its API key", slug[:64])
                return _answer(403, "forbidden", FORBIDDEN_MESSAGE)
            try:
                notification = acuity_api.read_notification(body)
            except acuity_api.Unreadable as error:
                return _answer(400, "bad_request", str(error))
            if not notification.about_an_appointment:
                return _answer(200, outcome="ignored")
            try:
                applied = await asyncio.to_thread(self.apply_acuity, slug, account, notification)
            except Exception:
                log.exception("Acuity webhook for %s failed", slug)
                return _answer(500, "error", "the event could not be applied; Acuity may send it again")
            self._log(SourceKind.acuity, slug, notification.action, notification.appointment_id, applied)
            if applied.outcome is EventOutcome.failed:
                return _answer(502, applied.reason, applied.message)
            return _result(applied)

        @bookings.post("/<slug>", stream=True)
        async def signed_event(request: Request, slug: str) -> HTTPResponse:
            try:
                body = await read_body(request)
            except TooLarge:
                return _answer(413, "too_large", f"the body is over {MAX_BODY_BYTES} bytes")
            secret = await self._read(self.webhook_secret, slug) if SLUG.match(slug) else None
            if secret is None:
                log.info("booking webhook for %s refused: the clinic has no webhook secret", slug[:64])
                return _answer(403, "forbidden", FORBIDDEN_MESSAGE)
            signature = request.headers.get(SIGNATURE_HEADER, "")
            try:
                check_webhook(secret, request.headers.get(TIMESTAMP_HEADER, ""), signature, body, self.clock())
            except Refused as refused:
                log.info("booking webhook for %s refused: %s", slug, refused.reason)
                return _answer(403, refused.reason, str(refused))
            try:
                event: Optional[webhook.Event] = webhook.read_event(body)
                unreadable: Optional[webhook.BadEvent] = None
            except webhook.BadEvent as error:
                event, unreadable = None, error
            key = (event.event_id if event and event.event_id else None) or signature.strip()[:128]
            now = self.clock()

            def apply(session: Session, clinic: Clinic) -> Applied:
                if event is None:
                    assert unreadable is not None
                    return booking_events.unreadable_webhook(session, clinic, key, unreadable, now)
                return booking_events.from_webhook(session, clinic, event, key, now)

            try:
                applied = await asyncio.to_thread(self._apply, apply, slug)
            except DuplicateEvent as duplicate:
                log.info("booking webhook for %s: a replayed event refused", slug)
                return _answer(409, "replayed", str(duplicate))
            except Exception:
                log.exception("booking webhook for %s failed", slug)
                return _answer(500, "error", "the event could not be applied; send it again")
            self._log(
                SourceKind.webhook,
                slug,
                event.status if event else "unreadable",
                event.booking_id if event else None,
                applied,
            )
            return _result(applied)

        return bookings

    @staticmethod
    def _log(source: SourceKind, slug: str, action: str, ref: Optional[str], applied: Applied) -> None:
        log.info(
            "%s event for %s: %s %s -> %s%s",
            source.value,
            slug,
            action[:32],
            (ref or "-")[:64],
            applied.outcome.value,
            f" ({applied.reason})" if applied.reason else "",
        )


def _result(applied: Applied) -> HTTPResponse:
    if applied.outcome is EventOutcome.rejected:
        return _answer(400, applied.reason, applied.message)
    extra: dict[str, Any] = {"outcome": applied.outcome.value}
    if applied.reason:
        extra["reason"] = applied.reason
    return _answer(200, message=applied.message, **extra)


def _clinic(session: Session, slug: str) -> Optional[Clinic]:
    try:
        return queries.clinic_by_slug(session, slug)
    except UnknownClinic:
        return None
