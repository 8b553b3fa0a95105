"""Two-way SMS through Twilio, signed: POST /webhooks/twilio/webhook and /webhooks/twilio/status.

Every request must carry a valid X-Twilio-Signature, computed by Twilio over the public
URL it called (PUBLIC_URL + path and query: the server runs behind a proxy, so the URL it
sees is not the one Twilio signed) and every parameter of the body, blank ones included;
anything else gets 403 before any other work. The parameters are read from the raw body
(bot/channels/twilio_form.py), and the very parameters that were checked drive the
handling. Rasa's stock twilio channel checks nothing.

An inbound text is, in this order: a duplicate (same MessageSid, answered already or being
answered by a live server: ignored; one whose server died is answered), a carrier
keyword (STOP and friends opt out with no reply of ours, since Twilio confirms; START
opts back in; HELP gets the clinic's name and phone), a photo (acknowledged, its URL
handed to the staff in an alert, never judged), or a question for the assistant. The
assistant's replies are collected, split for SMS and sent through the gateway's REST
client (not TwiML), and the webhook answers an empty <Response/> well within Twilio's
15 seconds. Whatever fails inside, the answer is still a valid 200: the client is told
we'll get back to them and the staff get an alert. The text is marked answered only after
that; the reply's rows are written before it is sent, so a webhook retried after a crash
finishes that reply (asking Twilio about a part that may have gone out) rather than
answering twice.
"""

from __future__ import annotations

import asyncio
import logging
import time
from datetime import datetime, timezone
from functools import cached_property, partial
from typing import Any, Awaitable, Callable, Optional, TypeVar

from rasa.core.channels.channel import CollectingOutputChannel, InputChannel, UserMessage
from sanic import Blueprint, response
from sanic.request import Request
from sanic.response import HTTPResponse
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session
from twilio.request_validator import RequestValidator

from bot import config, identity
from bot.alerts import AlertKind
from bot.channels import logbook, sms_keywords, sms_texts
from bot.channels.logbook import Inbound, reading_of
from bot.channels.twilio_form import TwilioForm, Unreadable
from bot.config import Settings
from bot.identity import Channel, Correspondent, Sender
from bot.messaging import ledger
from bot.messaging.gateway import UNSUBSCRIBED, Failure, Gateway, Outgoing, SendError
from bot.messaging.ledger import Claim
from bot.messaging.split import MAX_MESSAGE_CHARS, split_sms
from bot.nlp.components import names_red_flag
from bot.services import clients, conversations, correspondents, transcripts
from bot.services.transcripts import Reading
from bot.store.db import make_engine, session_scope
from bot.store.presence import Presence

log = logging.getLogger(__name__)
T = TypeVar("T")

EMPTY_TWIML = '<?xml version="1.0" encoding="UTF-8"?><Response/>'
BOT_TIMEOUT = 8.0  # seconds the assistant may take for one turn
WEBHOOK_BUDGET = 12.0  # seconds until we answer Twilio whatever is still running (its limit: 15)
SEND_TIMEOUT = 4.0  # HTTP timeout of one REST send of a reply
HARD_MARGIN = 1.5  # seconds past the budget at which the webhook answers no matter what
MAX_MEDIA = 10  # Twilio's own limit of media per MMS
UNKNOWN_SID_PAUSES = (0.1, 0.3, 0.6)  # seconds between looks for the text a status callback reports on


def _twiml() -> HTTPResponse:
    return response.text(EMPTY_TWIML, content_type="text/xml")


def _int(value: Any) -> int:
    try:
        return int(value)
    except (TypeError, ValueError):
        return 0


def reply_text(messages: list[dict]) -> str:
    """The assistant's collected utterances as one text: they are sent as numbered parts
    of one reply, because separately sent texts may reach the phone out of order."""
    blocks = []
    for message in messages:
        lines = [message.get("text") or ""]
        lines += [button.get("title", "") for button in message.get("buttons") or []]
        if message.get("image"):
            lines.append(message["image"])
        block = "\n".join(line for line in lines if line)
        if block.strip():
            blocks.append(block.strip())
    return "\n\n".join(blocks)


class NoReply(Exception):
    """The assistant finished its turn without a word."""


Read = Callable[[str], Awaitable[Optional[Reading]]]


async def _no_reading(sender_id: str) -> Optional[Reading]:
    return None


class SignedTwilioInput(InputChannel):
    """Configured by environment (PUBLIC_URL, TWILIO_*), not by credentials.yml."""

    @classmethod
    def name(cls) -> str:
        return "twilio"

    @classmethod
    def from_credentials(cls, credentials: Optional[dict]) -> "SignedTwilioInput":
        return cls()

    def __init__(
        self,
        settings: Optional[Settings] = None,
        engine: Optional[Engine] = None,
        gateway: Optional[Gateway] = None,
        clock: Callable[[], datetime] = lambda: datetime.now(timezone.utc),
        bot_timeout: float = BOT_TIMEOUT,
        budget: float = WEBHOOK_BUDGET,
    ) -> None:
        self.settings = settings or config.from_env()
        self._engine = engine
        self._gateway = gateway
        self.clock = clock
        self.bot_timeout = bot_timeout
        self.budget = budget
        token = self.settings.twilio_auth_token
        self.validator = RequestValidator(token) if token else None
        self._in_flight: set[str] = set()  # MessageSids this process is answering right now
        if self.validator is None:
            log.warning("TWILIO_AUTH_TOKEN is not set: every SMS webhook request will be refused (403)")

    @cached_property
    def engine(self) -> Engine:
        # On SQLite a unit of work that reads and then writes must take the write lock up
        # front, or concurrent webhooks fail with "database is locked" instead of waiting.
        engine = self._engine or make_engine(self.settings.database_url)
        return engine.execution_options(sqlite_begin="IMMEDIATE")

    @cached_property
    def presence(self) -> Presence:
        return Presence(self.engine)

    @cached_property
    def gateway(self) -> Gateway:
        return self._gateway or Gateway.from_settings(self.settings, timeout=SEND_TIMEOUT)

    # Signatures

    def signed_form(self, request: Request) -> Optional[TwilioForm]:
        """The request's parameters when Twilio signed exactly these; None otherwise."""
        signature = request.headers.get("X-Twilio-Signature", "")
        if self.validator is None or not signature:
            return None
        try:
            form = TwilioForm.parse(request.body, request.headers.get("Content-Type"))
        except Unreadable as error:
            log.info("Twilio request refused: %s", error)
            return None
        url = self.settings.public_url + request.path
        if request.query_string:
            url += "?" + request.query_string
        try:
            signed = self.validator.validate(url, form, signature)
        except Exception:  # whatever the validator cannot read was not signed by Twilio
            signed = False
        if not signed:
            log.info("Twilio request refused: the signature does not match")
            return None
        return form

    # Blocking work, run in worker threads

    def _receive(
        self, session: Session, sid: str, sender: Sender, body: str, media: list[tuple[str, str]]
    ) -> tuple[Inbound, Claim]:
        """Who sent the message, and whether it is this server's to answer
        (bot.messaging.ledger); a new one is logged in the message log."""
        who, claim = self._claim(session, sid, sender)
        if claim is not Claim.new:
            return Inbound(who), claim
        inbound = logbook.received(session, who, body, self.clock(), media)
        if sid and inbound.message_id is not None:
            row = ledger.find(session, sid[:64])
            if row is not None:
                row.message_id = inbound.message_id
        return inbound, claim

    def _hold(self, session: Session, who: Correspondent, body: str, red_flag: bool) -> None:
        logbook.held(session, who, body, red_flag, self.clock())

    def _answered(
        self, session: Session, who: Correspondent, message_id: Optional[int], text: str, reading: Optional[Reading]
    ) -> Optional[int]:
        """Log the assistant's reply (and what it read); the id its texts carry."""
        return logbook.answered(session, who, message_id, [text], reading, self.clock())

    def _claim(self, session: Session, sid: str, sender: Sender) -> tuple[Correspondent, Claim]:
        who = correspondents.resolve(session, sender, self.clock())
        if not sid:
            return who, Claim.new
        self.presence.hold()
        me = self.presence.id

        def alive(session: Session, owner: Optional[str]) -> bool:
            # Our own earlier attempt is over: handle() drops a text this process is answering.
            return owner != me and self.presence.alive(session, owner)

        claim = ledger.claim_inbound(
            session, sid, sender.phone or "", sender.clinic_number or "", who.clinic_id, me, alive
        )
        return who, claim

    def _db(self, work: Callable[..., T], *args: Any) -> Awaitable[T]:
        def unit() -> T:
            with session_scope(self.engine) as session:
                return work(session, *args)

        return asyncio.to_thread(unit)

    def _deliver_all(
        self,
        who: Correspondent,
        to: str,
        sender: str,
        text: str,
        purpose: str,
        reply_to: Optional[str],
        message_id: Optional[int] = None,
    ) -> None:
        parts = [Outgoing(to, sender, part, purpose, who.clinic_id, message_id) for part in split_sms(text)]
        try:
            self.gateway.deliver(self.engine, parts, in_reply_to=reply_to)
        except SendError as error:
            self._reply_failed(who, to, sender, error)

    def _finish_replies(self, who: Correspondent, rows: list) -> None:
        """Send what an earlier attempt stored and may not have sent."""
        to = rows[0].to_number
        for row in rows:
            try:
                self.gateway.finish(self.engine, row)
            except SendError as error:
                self._reply_failed(who, to, row.from_number, error)
                return

    def _reply_failed(self, who: Correspondent, to: str, sender: str, error: SendError) -> None:
        log.warning("reply to an SMS could not be sent: %s", error)
        with session_scope(self.engine) as session:
            if error.kind is Failure.permanent and error.code == UNSUBSCRIBED:
                clients.set_sender_opted_out(
                    session, Sender(Channel.sms, phone=to, clinic_number=sender), True, self.clock()
                )
            else:
                conversations.alert(session, who, AlertKind.bot_error, f"A reply by SMS could not be sent ({error}).")

    async def _send(
        self,
        who: Correspondent,
        to: str,
        sender: str,
        text: str,
        purpose: str,
        deadline: float,
        reply_to: str = "",
        inbound: Optional[Inbound] = None,
        message_id: Optional[int] = None,
    ) -> None:
        """Log the reply to `inbound` (unless `message_id` says it is logged) and send it."""
        if inbound is not None and message_id is None:
            try:
                message_id = await self._db(self._answered, who, inbound.message_id, text, None)
            except Exception:
                log.exception("cannot log a reply to an SMS")
        """Send within what is left of the webhook's time; a send still running then goes
        on in its thread after Twilio has its answer."""
        remaining = max(deadline - time.monotonic(), 0.1)
        try:
            await asyncio.wait_for(
                asyncio.shield(
                    asyncio.to_thread(self._deliver_all, who, to, sender, text, purpose, reply_to or None, message_id)
                ),
                remaining,
            )
        except asyncio.TimeoutError:
            log.warning("answering Twilio before the reply's sending finished")

    # The webhook

    async def handle(
        self, form: TwilioForm, on_new_message: Callable[[UserMessage], Awaitable[Any]], read: Read = _no_reading
    ) -> HTTPResponse:
        sid = form.get("MessageSid")[:64]
        if sid in self._in_flight:
            return _twiml()  # being answered by this very process: a true duplicate
        if sid:
            self._in_flight.add(sid)
        try:
            if await self._handle(form, sid, on_new_message, read) and sid:
                await self._db(ledger.mark_answered, sid)
        finally:
            self._in_flight.discard(sid)
        return _twiml()

    async def _handle(
        self, form: TwilioForm, sid: str, on_new_message: Callable[[UserMessage], Awaitable[Any]], read: Read
    ) -> bool:
        """Answer the text; False when it was not this server's to answer."""
        deadline = time.monotonic() + self.budget
        sender, to = form.get("From").strip(), form.get("To").strip()
        body = form.get("Body")[:MAX_MESSAGE_CHARS]  # Twilio's own limit for one text
        if not sender.startswith("+") or not to:
            log.info("signed SMS webhook without usable From/To: ignored")
            return False
        writer = Sender(Channel.sms, phone=sender, clinic_number=to)
        count = min(_int(form.get("NumMedia")), MAX_MEDIA)
        media = [(form.get(f"MediaUrl{i}"), form.get(f"MediaContentType{i}")) for i in range(count)]
        media = [(url, kind) for url, kind in media if url]
        try:
            inbound, claim = await self._db(self._receive, sid, writer, body, media)
        except Exception:
            log.exception("cannot look up the sender of an SMS")
            inbound, claim = Inbound(correspondents.nobody()), Claim.new
        who = inbound.who
        if claim is Claim.duplicate:
            return False  # answered already, or being answered by another live server
        if claim is Claim.orphaned:
            stored = await self._db(lambda session: ledger.replies_to(session, sid))
            if stored:  # the server that died had its answer: finish sending it
                remaining = max(deadline - time.monotonic(), 0.1)
                try:
                    await asyncio.wait_for(
                        asyncio.shield(asyncio.to_thread(self._finish_replies, who, stored)), remaining
                    )
                except asyncio.TimeoutError:
                    log.warning("answering Twilio before an earlier reply's sending finished")
                return True

        keyword = sms_keywords.keyword(body)
        opting_in = keyword == sms_keywords.START or (keyword == sms_keywords.YES and who.opted_out)
        if keyword == sms_keywords.STOP or opting_in:
            # Twilio's own opt-out handling confirms to the client; we only record it.
            await self._db(clients.set_sender_opted_out, writer, not opting_in, self.clock())
            return True
        if keyword == sms_keywords.HELP:
            await self._send(who, sender, to, sms_texts.text(who, "sms_help"), "help", deadline, sid, inbound)
            return True

        if media:
            await self._photo(inbound, sender, to, body, len(media), deadline, sid)
            return True
        if not body.strip():
            return True  # an empty text: nothing to answer
        if who.opted_out:
            # No text can reach them (Twilio would refuse, 21610); the staff still see it.
            await self._db(
                conversations.alert, who, AlertKind.opted_out_wrote, f"A client who opted out of texts wrote: {body}"
            )
            return True
        if inbound.held:  # a person has taken over: they answer, not the assistant
            flagged = await asyncio.to_thread(names_red_flag, body)
            await self._db(self._hold, who, body, flagged)
            return True
        await self._converse(inbound, sender, to, body, sid or None, on_new_message, deadline, read)
        return True

    async def _photo(
        self, inbound: Inbound, sender: str, to: str, body: str, count: int, deadline: float, sid: str
    ) -> None:
        """The photos are in the message log (the console shows them through its server);
        the staff get an item, the client an acknowledgement unless a person is answering."""
        who = inbound.who
        note = f"{'Photos' if count > 1 else 'A photo'} received by SMS" + (
            f", with the text: {body.strip()}" if body.strip() else "."
        )
        try:
            await self._db(conversations.alert, who, AlertKind.photo, note)
            if inbound.held and body.strip():
                flagged = await asyncio.to_thread(names_red_flag, body)
                await self._db(self._hold, who, body, flagged)
        except Exception:
            log.exception("cannot record the alert for an MMS")
        if not inbound.held:
            await self._send(who, sender, to, sms_texts.text(who, "sms_photo"), "ack", deadline, sid, inbound)

    async def _converse(
        self,
        inbound: Inbound,
        sender: str,
        to: str,
        body: str,
        sid: Optional[str],
        on_new_message: Callable[[UserMessage], Awaitable[Any]],
        deadline: float,
        read: Read = _no_reading,
    ) -> None:
        who = inbound.who
        collector = CollectingOutputChannel()
        sender_id = identity.sms(sender, to)
        reading = None
        message = UserMessage(
            body,
            collector,
            sender_id=sender_id,
            input_channel=self.name(),
            metadata={"message_sid": sid} if sid else None,
        )
        try:
            await asyncio.wait_for(on_new_message(message), self.bot_timeout)
            text = reply_text(collector.messages)
            purpose = "reply"
            if not text:
                # Rasa carries on without a reply when an action fails (its action server
                # is down): the client must not be left hanging either.
                raise NoReply()
            reading = await read(sender_id)
        except Exception as exc:  # includes the timeout: the client must not be left hanging
            if isinstance(exc, NoReply):
                log.warning("the assistant gave no reply to an SMS")
                reason = "gave no reply"
            elif isinstance(exc, asyncio.TimeoutError):
                log.warning("the assistant took longer than %ss on an SMS", self.bot_timeout)
                reason = "took too long"
            else:
                log.exception("the assistant failed on an SMS")
                reason = f"failed ({type(exc).__name__})"
            text, purpose = sms_texts.text(who, "sms_fallback"), "fallback"
            try:
                await self._db(
                    conversations.alert, who, AlertKind.bot_error, f"The assistant {reason} answering this SMS: {body}"
                )
            except Exception:
                log.exception("cannot record the alert for a failed SMS turn")
        try:
            message_id = await self._db(self._answered, who, inbound.message_id, text, reading)
        except Exception:
            log.exception("cannot log the reply to an SMS")
            message_id = None
        if text:
            await self._send(who, sender, to, text, purpose, deadline, sid or "", message_id=message_id)

    async def status(self, form: TwilioForm) -> HTTPResponse:
        sid, state = form.get("MessageSid"), form.get("MessageStatus")
        code = _int(form.get("ErrorCode")) or None

        def update(session: Session) -> bool:
            row = ledger.update_status(session, sid, state, code, self.clock())
            if row is None:
                return False
            transcripts.delivery_changed(session, row)
            if code == UNSUBSCRIBED:
                clients.unsubscribed(session, sid, self.clock())
            return True

        if sid and state:
            # A callback can overtake the logging of the text it reports on (the row is
            # written once Twilio's API has answered): an unknown SID is tried again.
            for pause in (0.0, *UNKNOWN_SID_PAUSES):
                await asyncio.sleep(pause)
                if await self._db(update):
                    break
        return response.empty()

    def blueprint(self, on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> Blueprint:
        blueprint = Blueprint("signed_twilio_webhook", __name__)

        @blueprint.route("/", methods=["GET"])
        async def health(_: Request) -> HTTPResponse:
            return response.json({"status": "ok"})

        @blueprint.route("/webhook", methods=["POST"])
        async def webhook(request: Request) -> HTTPResponse:
            form = self.signed_form(request)
            if form is None:
                return response.text("forbidden", status=403)
            try:
                # The steps keep to the budget; this bounds what they cannot (a locked database).
                read = partial(reading_of, request.app)
                return await asyncio.wait_for(self.handle(form, on_new_message, read), self.budget + HARD_MARGIN)
            except Exception:
                log.exception("SMS webhook failed")
                return _twiml()  # Twilio still gets a valid answer

        @blueprint.route("/status", methods=["POST"])
        async def status(request: Request) -> HTTPResponse:
            form = self.signed_form(request)
            if form is None:
                return response.text("forbidden", status=403)
            try:
                return await self.status(form)
            except Exception:
                log.exception("SMS status callback failed")
                return response.empty()

        return blueprint
