"""Cookies, CSRF tokens and the security headers of every console response.

Two cookies, both HttpOnly and SameSite=Lax, Secure (and `__Host-` prefixed, so no
subdomain can set them) when the console is served over https:
- the session cookie: the token of a server-side session (bot/services/signin.py);
- the pre-session cookie: a random value given to a signed-out browser, so the sign-in
  and set-password forms carry a CSRF token too.

The CSRF token is an HMAC of the cookie's value under the console secret: a synchronizer
token tied to the session (a new session, a new token), which a page on another site
can neither read nor compute. Every POST must carry it (form field `csrf_token`, or the
`X-CSRF-Token` header for htmx requests); without it the answer is 403.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from dataclasses import dataclass
from typing import Optional

from sanic.response import HTTPResponse

from bot.config import Settings

CSRF_FIELD = "csrf_token"
CSRF_HEADER = "X-CSRF-Token"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})

CONTENT_SECURITY_POLICY = "; ".join(
    [
        "default-src 'none'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self' data:",
        "connect-src 'self'",
        "form-action 'self'",
        "frame-ancestors 'none'",
        "base-uri 'none'",
    ]
)
HEADERS = {
    "Content-Security-Policy": CONTENT_SECURITY_POLICY,
    "X-Content-Type-Options": "nosniff",
    # Set-password links carry their token in the query string: never send it on.
    "Referrer-Policy": "no-referrer",
    "X-Frame-Options": "DENY",
    "Cross-Origin-Opener-Policy": "same-origin",
    "Cross-Origin-Resource-Policy": "same-origin",
    "Permissions-Policy": "camera=(), microphone=(), geolocation=(), payment=()",
}
HSTS = "max-age=31536000"


@dataclass(frozen=True)
class Cookies:
    session: str
    pre_session: str
    secure: bool

    @classmethod
    def for_settings(cls, settings: Settings) -> "Cookies":
        prefix = "__Host-" if settings.console_https else ""
        return cls(f"{prefix}aftercare-session", f"{prefix}aftercare-pre", settings.console_https)

    def set(self, response: HTTPResponse, name: str, value: str) -> None:
        response.cookies[name] = value
        cookie = response.cookies[name]
        cookie["path"] = "/"
        cookie["httponly"] = True
        cookie["samesite"] = "Lax"
        if self.secure:
            cookie["secure"] = True

    def clear(self, response: HTTPResponse, name: str) -> None:
        # With the same attributes as when set: a browser ignores a `__Host-` cookie
        # without Secure, so Sanic's bare `del response.cookies[name]` would not clear it.
        self.set(response, name, "")
        response.cookies[name]["max-age"] = 0


def csrf_token(secret: str, basis: str) -> str:
    mac = hmac.new(secret.encode("utf-8"), b"csrf:" + basis.encode("utf-8"), hashlib.sha256).digest()
    return base64.urlsafe_b64encode(mac).decode("ascii").rstrip("=")


def csrf_matches(secret: str, basis: Optional[str], given: Optional[str]) -> bool:
    if not basis or not given:
        return False
    return hmac.compare_digest(csrf_token(secret, basis), given)


def add_headers(response: HTTPResponse, https: bool) -> None:
    for name, value in HEADERS.items():
        response.headers.setdefault(name, value)
    if https:
        response.headers.setdefault("Strict-Transport-Security", HSTS)
