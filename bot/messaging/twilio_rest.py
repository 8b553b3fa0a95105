"""The Twilio REST client, pointed at TWILIO_API_URL.

twilio-python hard-codes https://api.twilio.com; its HTTP client is the one seam it offers,
so requests are rewritten there. Tests, the benchmark and offline demos point
TWILIO_API_URL at a local Twilio-compatible server.
"""

from __future__ import annotations

import logging
import threading

from twilio.http.http_client import TwilioHttpClient
from twilio.rest import Client

TWILIO_API = "https://api.twilio.com"

# twilio's HTTP client logs each request's URL and query at INFO, and a message search
# carries a client's phone number: only problems are logged.
_quiet = logging.getLogger("aftercare.twilio_http")
_quiet.setLevel(logging.WARNING)


class BaseUrlHttpClient(TwilioHttpClient):
    """TwilioHttpClient that sends api.twilio.com requests to `api_url` instead."""

    def __init__(self, api_url: str, timeout: float) -> None:
        super().__init__(pool_connections=True, timeout=timeout, logger=_quiet)
        self.api_url = api_url.rstrip("/")

    def request(self, method, url, *args, **kwargs):
        if url.startswith(TWILIO_API):
            url = self.api_url + url[len(TWILIO_API) :]
        return super().request(method, url, *args, **kwargs)


class ClientPool:
    """One twilio Client per thread: its HTTP session is not meant to be shared by threads
    (the webhook sends from worker threads, the benchmark from several)."""

    def __init__(self, account_sid: str, auth_token: str, api_url: str, timeout: float) -> None:
        self._args = (account_sid, auth_token, api_url, timeout)
        self._local = threading.local()

    def get(self) -> Client:
        client = getattr(self._local, "client", None)
        if client is None:
            account_sid, auth_token, api_url, timeout = self._args
            http = BaseUrlHttpClient(api_url, timeout=timeout)
            client = self._local.client = Client(account_sid, auth_token, http_client=http)
        return client
