"""The one way an SMS leaves the system.

With TWILIO_ACCOUNT_SID and TWILIO_AUTH_TOKEN set, messages go through Twilio's REST API
(at TWILIO_API_URL); without them they land in the local outbox (rows of sms_messages,
shown by `aftercare outbox`), so the whole flow works offline.

`send()` has the only outside effect and touches no database; `record()` logs what was
sent in the caller's transaction. `deliver()` (replies) writes the text's row first and
then sends, so a crash between sending and logging leaves a row "sending" that `finish()`
completes without sending twice. The worker relies on that split: for the outbox,
"sending" only makes an id and the row written by `record()` is the delivery, committed
together with the job's "sent" mark, so an outbox message is stored exactly once.
"""

from __future__ import annotations

import enum
import logging
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Optional, Protocol, Sequence

import requests
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session
from twilio.base.exceptions import TwilioRestException

from bot.config import Settings
from bot.messaging import ledger
from bot.messaging.twilio_rest import ClientPool
from bot.phones import is_messaging_service
from bot.store.db import session_scope
from bot.store.messaging_models import SmsMessage, Transport

log = logging.getLogger(__name__)

STATUS_CALLBACK_PATH = "/webhooks/twilio/status"
# Twilio's clock and ours may differ a little when looking for a message sent in doubt.
CLOCK_MARGIN = timedelta(minutes=2)


class Failure(str, enum.Enum):
    """How a failed send ends."""

    retry = "retry"  # not sent: try again later
    uncertain = "uncertain"  # it may have gone out (a timeout, a 5xx): ask Twilio before trying again
    permanent = "permanent"  # never retried


UNSUBSCRIBED = 21610
SAME_NUMBERS = 21266
# Twilio error codes that no retry can fix (https://www.twilio.com/docs/api/errors).
PERMANENT_CODES = {
    UNSUBSCRIBED: "the recipient has opted out (STOP)",
    21211: "invalid 'To' number",
    21614: "'To' is not a mobile number",
    21408: "sending to this region is not enabled",
    21612: "Twilio cannot route to this number",
    21606: "'From' cannot send SMS",
    21617: "the message is too long",
    SAME_NUMBERS: "'To' and 'From' are the same number",
}


@dataclass(frozen=True)
class Outgoing:
    to: str
    sender: str  # a phone number, or a Messaging Service SID ("MG...")
    body: str
    purpose: str  # reply, help, followup, alert ... (kept in the log)
    clinic_id: Optional[int] = None
    message_id: Optional[int] = None  # the message of the message log this text carries


@dataclass(frozen=True)
class Sent:
    sid: str
    status: str
    transport: Transport


class SendError(Exception):
    def __init__(self, kind: Failure, message: str, code: Optional[int] = None, http_status: Optional[int] = None):
        super().__init__(message)
        self.kind, self.code, self.http_status = kind, code, http_status


def _classify(exc: TwilioRestException) -> SendError:
    code = exc.code if isinstance(exc.code, int) else None
    message = (PERMANENT_CODES.get(code) if code is not None else None) or str(exc.msg or "")[:250]
    if exc.status == 429:
        return SendError(Failure.retry, "rate limited (429)", code, exc.status)
    if exc.status >= 500:
        return SendError(Failure.uncertain, f"Twilio server error {exc.status}", code, exc.status)
    if exc.status in (401, 403):
        # A wrong or revoked credential: fixable by the operator, so the message waits.
        return SendError(Failure.retry, f"Twilio refused the credentials ({exc.status})", code, exc.status)
    return SendError(Failure.permanent, message, code, exc.status)


def _connection_failure(exc: requests.RequestException) -> SendError:
    """A request that never reached Twilio is safe to retry; one cut off after it was
    sent (read timeout, reset) may have been delivered."""
    reason = getattr(exc.args[0], "reason", None) if exc.args else None
    never_sent = isinstance(exc, requests.ConnectTimeout) or "NewConnectionError" in type(reason).__name__
    return SendError(Failure.retry if never_sent else Failure.uncertain, f"{type(exc).__name__} talking to Twilio")


class TwilioTransport:
    name = Transport.twilio

    def __init__(self, settings: Settings, timeout: float) -> None:
        if not (settings.twilio_account_sid and settings.twilio_auth_token):
            raise ValueError("TWILIO_ACCOUNT_SID and TWILIO_AUTH_TOKEN are needed to send through Twilio")
        self._clients = ClientPool(
            settings.twilio_account_sid, settings.twilio_auth_token, settings.twilio_api_url, timeout
        )
        self._status_callback = settings.public_url + STATUS_CALLBACK_PATH

    def send(self, message: Outgoing) -> Sent:
        if message.to == message.sender:
            raise SendError(Failure.permanent, PERMANENT_CODES[SAME_NUMBERS], SAME_NUMBERS)
        params: dict[str, Any] = {"to": message.to, "body": message.body, "status_callback": self._status_callback}
        if is_messaging_service(message.sender):
            params["messaging_service_sid"] = message.sender
        else:
            params["from_"] = message.sender
        try:
            created = self._clients.get().messages.create(**params)
        except TwilioRestException as exc:
            raise _classify(exc) from exc
        except requests.RequestException as exc:
            raise _connection_failure(exc) from exc
        return Sent(created.sid, created.status or "queued", Transport.twilio)

    def candidates(self, message: Outgoing, since: datetime) -> list[Sent]:
        """Messages Twilio holds with this recipient and text, created at or after `since`:
        how a send whose outcome was lost (a killed worker, a timeout) is found again."""
        params: dict[str, Any] = {"to": message.to, "limit": 50}
        if not is_messaging_service(message.sender):
            params["from_"] = message.sender
        try:
            found = self._clients.get().messages.list(**params)
        except TwilioRestException as exc:
            raise _classify(exc) from exc
        except requests.RequestException as exc:
            raise SendError(Failure.retry, f"{type(exc).__name__} asking Twilio for sent messages") from exc
        wanted = " ".join(message.body.split())
        return [
            Sent(m.sid, m.status or "queued", Transport.twilio)
            for m in found
            if m.date_created is not None and m.date_created >= since and " ".join((m.body or "").split()) == wanted
        ]


class OutboxTransport:
    """No Twilio account: a message is "sent" when its outbox row is committed."""

    name = Transport.outbox

    def send(self, message: Outgoing) -> Sent:
        return Sent("OB" + uuid.uuid4().hex, "stored", Transport.outbox)

    def candidates(self, message: Outgoing, since: datetime) -> list[Sent]:
        return []  # an outbox row is written with its job's "sent" mark: never in doubt


class MessageTransport(Protocol):
    name: Transport

    def send(self, message: Outgoing) -> Sent: ...

    def candidates(self, message: Outgoing, since: datetime) -> list[Sent]: ...


class Gateway:
    def __init__(self, transport: MessageTransport) -> None:
        self.transport = transport

    @classmethod
    def from_settings(cls, settings: Settings, timeout: float = 10.0) -> "Gateway":
        if settings.twilio_enabled:
            return cls(TwilioTransport(settings, timeout))
        return cls(OutboxTransport())

    @property
    def name(self) -> Transport:
        return self.transport.name

    def send(self, message: Outgoing) -> Sent:
        """Hand the message to Twilio (or make its outbox id); raises SendError."""
        return self.transport.send(message)

    def candidates(self, message: Outgoing, since: datetime) -> list[Sent]:
        return self.transport.candidates(message, since)

    def record(self, session: Session, message: Outgoing, sent: Sent) -> SmsMessage:
        return ledger.record_outbound(session, message, sent)

    def deliver(self, engine: Engine, messages: Sequence[Outgoing], in_reply_to: Optional[str] = None) -> list[Sent]:
        """Write the texts' rows (all parts of one reply, in one transaction), then send them
        in order and log each outcome. A part that fails stops the rest (marked failed too)
        and raises its SendError. Blocking: call it from a worker thread, never on an event
        loop."""
        with session_scope(engine) as session:
            row_ids = [ledger.record_sending(session, message, self.name, in_reply_to) for message in messages]
        sent: list[Sent] = []
        for index, (row_id, message) in enumerate(zip(row_ids, messages, strict=True)):
            try:
                sent.append(self._send_row(engine, row_id, message))
            except SendError:
                with session_scope(engine) as session:
                    for unsent in row_ids[index + 1 :]:
                        ledger.mark_failed(session, unsent, None)
                raise
        return sent

    def finish(self, engine: Engine, row: SmsMessage) -> Optional[Sent]:
        """Complete a text written before its server died: if it may have gone out, Twilio
        is asked first and its message recorded instead of sending again. None when the
        row's outcome was already known."""
        if row.status != ledger.SENDING:
            return None
        message = Outgoing(row.to_number, row.from_number, row.body or "", row.purpose or "reply", row.clinic_id)
        candidates = self.candidates(message, row.created_at - CLOCK_MARGIN)
        if candidates:
            with session_scope(engine) as session:
                taken = ledger.known_sids(session, [c.sid for c in candidates])
            found = next((c for c in candidates if c.sid not in taken), None)
            if found is not None:
                with session_scope(engine) as session:
                    ledger.mark_sent(session, row.id, found)
                return found
        return self._send_row(engine, row.id, message)

    def _send_row(self, engine: Engine, row_id: int, message: Outgoing) -> Sent:
        try:
            sent = self.send(message)
        except SendError as error:
            try:
                with session_scope(engine) as session:
                    ledger.mark_failed(session, row_id, error.code)
            except Exception:
                log.exception("the failure of SMS row %s could not be logged", row_id)
            raise
        try:
            with session_scope(engine) as session:
                ledger.mark_sent(session, row_id, sent)
        except Exception:
            if sent.transport is Transport.outbox:
                raise  # the row was the delivery
            log.exception("SMS %s was sent but could not be logged", sent.sid)
        return sent
