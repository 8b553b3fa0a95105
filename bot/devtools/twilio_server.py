"""A local Twilio-compatible Messages API for tests, the benchmark and offline demos.

Implements what aftercare uses of https://api.twilio.com, with Twilio's shapes:

    POST /2010-04-01/Accounts/{AccountSid}/Messages.json      send (201 + the message)
    GET  /2010-04-01/Accounts/{AccountSid}/Messages.json      list, newest first (To, From)
    GET  /2010-04-01/Accounts/{AccountSid}/Messages/{Sid}.json

HTTP Basic auth with the account SID and auth token, as Twilio checks it. Errors come as
Twilio's JSON ({"code", "message", "more_info", "status"}): 21211 for a 'To' that is not
E.164, 21266 for To == From, 21610 for a number that texted STOP (`unsubscribe`).
`fail_next(n, 429|500|21610|...)` makes the next n sends fail that way, and `delay` holds
every send's answer back *after* the message is recorded (a send whose answer is lost).

Status callbacks, as Twilio sends them: after answering, each message moves on (queued,
with a Messaging Service, then sent, then delivered, or undelivered with an ErrorCode for a
number in `undeliverable`), and each change is POSTed to the message's StatusCallback,
form-encoded, with Twilio's parameter set (empty ErrorCode included) and a valid
X-Twilio-Signature over the URL as given. `proxies` maps a public base URL to the local
address that serves it, as a reverse proxy would; `settle()` waits until every callback is
out; `callbacks` records each (URL, parameters, HTTP status or error); `status_callbacks`
turns them off.

`inbound_params` and `status_params` build the parameters Twilio posts to a webhook, in
Twilio's order; `form_body` encodes them and `signature` signs them the way Twilio
documents it (URL, then each name and value sorted by name, HMAC-SHA1 with the auth token).

In a test:  with FakeTwilio() as twilio: ... twilio.url, twilio.messages
Standalone: python -m bot.devtools.twilio_server --port 8089   (prints what it receives)
"""

from __future__ import annotations

import argparse
import base64
import hashlib
import hmac
import json
import queue
import re
import threading
import time
import urllib.error
import urllib.request
import uuid
from dataclasses import dataclass, field
from datetime import datetime, timezone
from email.utils import format_datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Callable, Optional, Sequence, Union
from urllib.parse import parse_qs, urlencode, urlsplit

ACCOUNT_SID = "AC" + "0" * 31 + "1"
AUTH_TOKEN = "fake-twilio-auth-token-0123456789"
E164 = re.compile(r"^\+[1-9]\d{6,14}$")

ERRORS = {
    429: (20429, "Too Many Requests"),
    500: (20500, "Internal Server Error"),
    503: (20503, "Service Unavailable"),
    21211: (400, "The 'To' number is not a valid phone number."),
    21266: (400, "'To' and 'From' number cannot be the same"),
    21408: (400, "Permission to send an SMS has not been enabled for the region indicated by the 'To' number"),
    21610: (400, "Attempt to send to unsubscribed recipient"),
    21614: (400, "'To' number is not a valid mobile number"),
}

API_VERSION = "2010-04-01"
FORM_TYPE = "application/x-www-form-urlencoded; charset=UTF-8"  # what Twilio posts to webhooks
CALLBACK_TIMEOUT = 15.0  # seconds Twilio waits for a webhook's answer

Pairs = list[tuple[str, str]]

_MESSAGES = re.compile(r"^/2010-04-01/Accounts/(?P<account>[^/]+)/Messages(?:/(?P<sid>[^/]+))?\.json$")
_MEDIA = re.compile(r"^/2010-04-01/Accounts/(?P<account>[^/]+)/Messages/(?P<sid>MM[^/]+)/Media/(?P<media>ME[^/.]+)$")


@dataclass
class _Failure:
    status: int
    code: int
    message: str


@dataclass
class FakeTwilio:
    account_sid: str = ACCOUNT_SID
    auth_token: str = AUTH_TOKEN
    host: str = "127.0.0.1"
    port: int = 0
    delay: float = 0.0  # seconds each send's answer is held back, after recording it
    echo: bool = False  # print each message (standalone use)
    on_message: Optional[Callable[[dict], None]] = None  # called once recorded, before answering
    messages: list = field(default_factory=list)  # every accepted message, in order
    attempts: int = 0  # every POST to Messages.json, accepted or not
    unsubscribed: set = field(default_factory=set)
    undeliverable: dict = field(default_factory=dict)  # number -> the ErrorCode its texts end undelivered with
    status_callbacks: bool = True  # False: messages still move on, but nothing is called back
    proxies: dict = field(default_factory=dict)  # public base URL -> local address serving it
    callbacks: list = field(default_factory=list)  # every status callback: {"url", "params", "status", "error"}
    media: dict = field(default_factory=dict)  # path -> (content type, bytes): an MMS's photos, behind auth

    def __post_init__(self) -> None:
        self._lock = threading.Lock()
        self._failures: list[_Failure] = []
        self._server: Optional[ThreadingHTTPServer] = None
        self._pending: "queue.Queue[Optional[dict]]" = queue.Queue()
        # Callbacks go straight to their URL, never through an HTTP proxy of the environment.
        self._opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))

    # Control

    def fail_next(self, count: int, kind: int) -> None:
        """The next `count` sends fail: kind 429 / 500 / 503 (HTTP status) or a Twilio error code."""
        if kind in (429, 500, 503):
            failure = _Failure(kind, *ERRORS[kind])
        else:
            status, message = ERRORS.get(kind, (400, f"error {kind}"))
            failure = _Failure(status, kind, message)
        with self._lock:
            self._failures.extend([failure] * count)

    def unsubscribe(self, number: str) -> None:
        self.unsubscribed.add(number)

    def add_media(self, message_sid: str, media_sid: str, content: bytes, content_type: str = "image/png") -> str:
        """A photo of an inbound MMS, served (with the account's credentials only) at the
        URL Twilio puts in MediaUrlN; returns that URL."""
        path = f"/{API_VERSION}/Accounts/{self.account_sid}/Messages/{message_sid}/Media/{media_sid}"
        self.media[path] = (content_type, content)
        return self.url + path

    def settle(self, timeout: float = 20.0) -> None:
        """Wait until every status change so far has been called back."""
        deadline = time.monotonic() + timeout
        while self._pending.unfinished_tasks:
            if time.monotonic() > deadline:
                raise TimeoutError("status callbacks still pending")
            time.sleep(0.01)

    def sent_to(self, number: str) -> list[dict]:
        with self._lock:
            return [m for m in self.messages if m["to"] == number]

    def bodies(self) -> list[str]:
        with self._lock:
            return [m["body"] for m in self.messages]

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    def env(self) -> dict:
        """The environment that points aftercare at this server."""
        return {
            "TWILIO_ACCOUNT_SID": self.account_sid,
            "TWILIO_AUTH_TOKEN": self.auth_token,
            "TWILIO_API_URL": self.url,
        }

    # Life

    def start(self) -> "FakeTwilio":
        fake = self

        class Handler(_Handler):
            twilio = fake

        self._server = ThreadingHTTPServer((self.host, self.port), Handler)
        self._server.daemon_threads = True
        self.port = self._server.server_address[1]
        threading.Thread(target=self._server.serve_forever, name="fake-twilio", daemon=True).start()
        threading.Thread(target=self._call_back, name="fake-twilio-callbacks", daemon=True).start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None
            self._pending.put(None)

    def __enter__(self) -> "FakeTwilio":
        return self.start()

    def __exit__(self, *_: object) -> None:
        self.stop()

    # The API

    def _authorized(self, header: str, account: str) -> bool:
        expected = base64.b64encode(f"{self.account_sid}:{self.auth_token}".encode()).decode()
        return header == f"Basic {expected}" and account == self.account_sid

    def create(self, form: dict) -> tuple[int, dict]:
        to, sender = form.get("To", ""), form.get("From", "")
        service = form.get("MessagingServiceSid", "")
        with self._lock:
            self.attempts += 1
            failure = self._failures.pop(0) if self._failures else None
        if failure is not None:
            return failure.status, _error(failure.status, failure.code, failure.message)
        if not E164.match(to):
            return 400, _error(400, 21211, ERRORS[21211][1])
        if to == sender:
            return 400, _error(400, 21266, ERRORS[21266][1])
        if to in self.unsubscribed:
            return 400, _error(400, 21610, ERRORS[21610][1])
        if not (sender or service):
            return 400, _error(400, 21603, "A 'From' or 'MessagingServiceSid' parameter is required")
        now = datetime.now(timezone.utc)
        message = {
            "sid": "SM" + uuid.uuid4().hex,
            "account_sid": self.account_sid,
            "to": to,
            "from": sender or None,
            "messaging_service_sid": service or None,
            "body": form.get("Body", ""),
            "status": "accepted" if service and not sender else "queued",
            "status_callback": form.get("StatusCallback"),
            "date_created": format_datetime(now),
            "date_updated": format_datetime(now),
            "date_sent": None,
            "direction": "outbound-api",
            "api_version": "2010-04-01",
            "num_segments": "1",
            "num_media": "0",
            "error_code": None,
            "error_message": None,
            "price": None,
            "price_unit": "USD",
            "uri": f"/2010-04-01/Accounts/{self.account_sid}/Messages/SM.json",
            "subresource_uris": {},
        }
        message["uri"] = message["uri"].replace("SM.json", f"{message['sid']}.json")
        with self._lock:
            self.messages.append(message)
        if self.echo:
            print(f"{message['date_created']}  {sender or service} -> {to}: {message['body']}", flush=True)
        if self.on_message is not None:
            self.on_message(message)
        created = dict(message)  # the answer tells the message as created, whatever happens next
        self._pending.put(message)  # its life goes on, as at Twilio, which calls back on its own time
        if self.delay:
            time.sleep(self.delay)
        return 201, created

    # Status callbacks

    def _statuses(self, message: dict) -> list[tuple[str, str]]:
        """The (status, ErrorCode) changes a new message goes through; Twilio calls back on
        each but the initial one (queued, or accepted with a Messaging Service)."""
        code = self.undeliverable.get(message["to"])
        end = ("undelivered", str(code)) if code else ("delivered", "")
        return ([("queued", "")] if message["status"] == "accepted" else []) + [("sent", ""), end]

    def _call_back(self) -> None:
        while True:
            message = self._pending.get()
            try:
                if message is None:
                    return
                for status, code in self._statuses(message):
                    now = datetime.now(timezone.utc)
                    with self._lock:
                        message.update(
                            status=status, error_code=int(code) if code else None, date_updated=format_datetime(now)
                        )
                        if status == "sent":
                            message["date_sent"] = format_datetime(now)
                    if message["status_callback"] and self.status_callbacks:
                        params = status_params(message, status, code, now)
                        self._post_callback(message["status_callback"], params)
            finally:
                self._pending.task_done()

    def _post_callback(self, url: str, params: Pairs) -> None:
        target = url
        for public, local in self.proxies.items():
            if url.startswith(public.rstrip("/") + "/"):
                target = local.rstrip("/") + url[len(public.rstrip("/")) :]
        request = urllib.request.Request(
            target,
            data=form_body(params),
            method="POST",
            headers={
                "Content-Type": FORM_TYPE,
                "X-Twilio-Signature": signature(url, params, self.auth_token),
                "User-Agent": "TwilioProxy/1.1",
            },
        )
        record: dict[str, Any] = {"url": url, "params": params, "status": None, "error": None}
        try:
            with self._opener.open(request, timeout=CALLBACK_TIMEOUT) as answer:
                record["status"] = answer.status
        except urllib.error.HTTPError as error:
            record["status"] = error.code
        except OSError as error:  # unreachable: Twilio notes it in its debugger (11200) and goes on
            record["error"] = str(error)
        with self._lock:
            self.callbacks.append(record)

    def list(self, query: dict) -> dict:
        with self._lock:
            found = [
                m
                for m in reversed(self.messages)
                if (not query.get("To") or m["to"] == query["To"])
                and (not query.get("From") or m["from"] == query["From"])
            ]
        size = int(query.get("PageSize") or 50)
        uri = f"/2010-04-01/Accounts/{self.account_sid}/Messages.json"
        return {
            "messages": found[:size],
            "end": min(size, len(found)) - 1,
            "first_page_uri": uri,
            "next_page_uri": None,
            "page": 0,
            "page_size": size,
            "previous_page_uri": None,
            "start": 0,
            "uri": uri,
        }

    def fetch(self, sid: str) -> Optional[dict]:
        with self._lock:
            return next((m for m in self.messages if m["sid"] == sid), None)


# What Twilio posts to webhooks

Params = Union[Pairs, dict]


def form_body(params: Params) -> bytes:
    """Form-encoded as Twilio posts: UTF-8, a space as '+', everything else reserved escaped."""
    return urlencode(list(params.items()) if isinstance(params, dict) else list(params)).encode("ascii")


def signature(url: str, params: Params, auth_token: str) -> str:
    """X-Twilio-Signature: the full URL, then each parameter's name and value, sorted by
    name (a repeated name's values in sorted order), HMAC-SHA1 with the auth token, base64."""
    pairs = list(params.items()) if isinstance(params, dict) else list(params)
    data = url + "".join(name + value for name, value in sorted(pairs))
    digest = hmac.new(auth_token.encode("utf-8"), data.encode("utf-8"), hashlib.sha1).digest()
    return base64.b64encode(digest).decode("ascii")


def inbound_params(
    account_sid: str,
    sid: str,
    sender: str,
    to: str,
    body: str,
    media: Sequence[tuple[str, str]] = (),
    service_sid: str = "",
    sender_place: Sequence[str] = ("", "NY", "", "US"),
    to_place: Sequence[str] = ("", "NY", "", "US"),
    add_ons: str = "",
    opt_out_type: str = "",
    segments: int = 1,
) -> Pairs:
    """An inbound SMS or MMS as Twilio posts it to the number's webhook, in Twilio's order.
    `media` is (content type, URL) pairs; a place is (city, state, zip, country), and
    Twilio sends the four fields empty when it does not know them (most mobile numbers
    have no city or zip)."""
    from_city, from_state, from_zip, from_country = sender_place
    to_city, to_state, to_zip, to_country = to_place
    pairs: Pairs = [("ToCountry", to_country)]
    pairs += [(f"MediaContentType{n}", kind) for n, (kind, _) in enumerate(media)]
    pairs += [
        ("ToState", to_state),
        ("SmsMessageSid", sid),
        ("NumMedia", str(len(media))),
        ("ToCity", to_city),
        ("FromZip", from_zip),
        ("SmsSid", sid),
        ("FromState", from_state),
        ("SmsStatus", "received"),
        ("FromCity", from_city),
        ("Body", body),
        ("FromCountry", from_country),
        ("To", to),
    ]
    if service_sid:
        pairs.append(("MessagingServiceSid", service_sid))
    pairs += [("ToZip", to_zip), ("NumSegments", str(segments))]
    pairs += [(f"MediaUrl{n}", url) for n, (_, url) in enumerate(media)]
    pairs += [("ReferralNumMedia", "0"), ("MessageSid", sid)]
    if opt_out_type:
        pairs.append(("OptOutType", opt_out_type))
    pairs.append(("AccountSid", account_sid))
    if add_ons:
        pairs.append(("AddOns", add_ons))
    pairs += [("From", sender), ("ApiVersion", API_VERSION)]
    return pairs


def status_params(message: dict, status: str, error_code: str = "", now: Optional[datetime] = None) -> Pairs:
    """A status callback as Twilio posts it for an outbound SMS (`message` in the API's
    shape): ErrorCode is sent empty unless the text failed; RawDlrDoneDate (the carrier's
    receipt, YYMMDDhhmm) comes with delivered and undelivered."""
    to, sid = message["to"], message["sid"]
    pairs: Pairs = [
        ("ErrorCode", error_code),
        ("SmsSid", sid),
        ("SmsStatus", status),
        ("MessageStatus", status),
        ("ChannelToAddress", to[:-4] + "XXXX"),
        ("To", to),
    ]
    if message.get("messaging_service_sid"):
        pairs.append(("MessagingServiceSid", message["messaging_service_sid"]))
    pairs += [("MessageSid", sid), ("AccountSid", message["account_sid"]), ("From", message.get("from") or "")]
    if status in ("delivered", "undelivered"):
        pairs.append(("RawDlrDoneDate", (now or datetime.now(timezone.utc)).strftime("%y%m%d%H%M")))
    pairs.append(("ApiVersion", API_VERSION))
    return pairs


def _error(status: int, code: int, message: str) -> dict:
    return {
        "code": code,
        "message": message,
        "more_info": f"https://www.twilio.com/docs/errors/{code}",
        "status": status,
    }


class _Handler(BaseHTTPRequestHandler):
    twilio: FakeTwilio
    protocol_version = "HTTP/1.1"  # keep-alive, as requests' sessions expect
    wbufsize = -1  # headers and body in one write ...
    disable_nagle_algorithm = True  # ... sent at once, not after a delayed ACK (40 ms)

    def log_message(self, *_: object) -> None:
        pass

    def _answer(self, status: int, payload: dict) -> None:
        data = json.dumps(payload).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def _route(self):
        parts = urlsplit(self.path)
        match = _MESSAGES.match(parts.path)
        if not match:
            self._answer(404, _error(404, 20404, "The requested resource was not found"))
            return None, None
        if not self.twilio._authorized(self.headers.get("Authorization", ""), match["account"]):
            self._answer(401, _error(401, 20003, "Authenticate"))
            return None, None
        return match, {k: v[0] for k, v in parse_qs(parts.query, keep_blank_values=True).items()}

    def do_POST(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length).decode("utf-8")
        match, _ = self._route()
        if match is None:
            return
        if match["sid"]:
            self._answer(405, _error(405, 20004, "Method not allowed"))
            return
        form = {k: v[0] for k, v in parse_qs(raw, keep_blank_values=True).items()}
        self._answer(*self.twilio.create(form))

    def _media(self) -> bool:
        found = _MEDIA.match(urlsplit(self.path).path)
        if not found:
            return False
        if not self.twilio._authorized(self.headers.get("Authorization", ""), found["account"]):
            self._answer(401, _error(401, 20003, "Authenticate"))
            return True
        stored = self.twilio.media.get(urlsplit(self.path).path)
        if stored is None:
            self._answer(404, _error(404, 20404, "The requested resource was not found"))
            return True
        kind, content = stored
        self.send_response(200)
        self.send_header("Content-Type", kind)
        self.send_header("Content-Length", str(len(content)))
        self.end_headers()
        self.wfile.write(content)
        return True

    def do_GET(self) -> None:
        if self._media():
            return
        match, query = self._route()
        if match is None:
            return
        if match["sid"]:
            found = self.twilio.fetch(match["sid"])
            if found is None:
                self._answer(404, _error(404, 20404, "The requested resource was not found"))
            else:
                self._answer(200, found)
            return
        self._answer(200, self.twilio.list(query))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, default=8089)
    parser.add_argument("--account-sid", default=ACCOUNT_SID)
    parser.add_argument("--auth-token", default=AUTH_TOKEN)
    args = parser.parse_args()
    fake = FakeTwilio(account_sid=args.account_sid, auth_token=args.auth_token, port=args.port, echo=True).start()
    print(
        f"fake Twilio on {fake.url}: TWILIO_API_URL={fake.url} TWILIO_ACCOUNT_SID={fake.account_sid} "
        f"TWILIO_AUTH_TOKEN={fake.auth_token}",
        flush=True,
    )
    try:
        threading.Event().wait()
    except KeyboardInterrupt:
        fake.stop()


if __name__ == "__main__":
    main()
