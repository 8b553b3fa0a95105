"""Personal chat links and anonymous web sessions: signed tokens the web channel trusts.

A personal link carries a JWT (HS256) naming one client of one clinic, with an expiry;
the web channel verifies it on every request and only then talks as `web:<client id>`.
A clinic revokes every link a client was given so far (`aftercare link revoke`): tokens
issued before `Client.links_valid_after` are refused.

A visitor without a valid link gets an anonymous session token instead, so their
conversation survives reloads without the server trusting an id the browser chose.

Both kinds are signed with keys derived from one server secret (AFTERCARE_LINK_SECRET,
or a random one generated once into the data dir) and carry different audiences, so
neither can stand in for the other, nor for any other JWT made with the same secret.
"""

from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Optional
from urllib.parse import quote

import jwt
from sqlalchemy.orm import Session

from bot import identity, local_secret
from bot.config import Settings
from bot.store.models import Client

ALGORITHM = "HS256"
LINK_AUDIENCE = "aftercare:link"
SESSION_AUDIENCE = "aftercare:anon-session"
SESSION_TTL = timedelta(days=90)
SECRET_FILE = "link_secret"
CHAT_PATH = "/webhooks/web/demo"

# Why a link was refused. The web channel only uses these to pick what to tell the
# visitor; none of them identifies a client.
EXPIRED = "expired"
FORGED = "forged"  # bad signature, wrong algorithm, wrong audience, malformed
REVOKED = "revoked"
UNKNOWN_CLIENT = "unknown_client"  # deleted, or the token names another clinic


@dataclass(frozen=True)
class LinkCheck:
    """The outcome of verifying a personal link: a client id, or the reason it was refused."""

    client_id: Optional[int] = None
    clinic_slug: Optional[str] = None
    issued_at: Optional[datetime] = None
    reason: Optional[str] = None

    @property
    def ok(self) -> bool:
        return self.client_id is not None


# The secret


def secret_for(settings: Settings) -> str:
    """AFTERCARE_LINK_SECRET, or the generated secret in the data dir (created on first use)."""
    return local_secret.configured_or_generated(
        settings.link_secret, "AFTERCARE_LINK_SECRET", Path(settings.data_dir) / SECRET_FILE
    )


def _key(secret: str, purpose: str) -> bytes:
    return hmac.new(secret.encode(), f"aftercare {purpose} v1".encode(), hashlib.sha256).digest()


def _timestamp(moment: datetime) -> float:
    if moment.utcoffset() is None:
        raise ValueError("give an aware datetime")
    return moment.timestamp()


# Personal links


def issue_link_token(secret: str, client_id: int, clinic_slug: str, now: datetime, ttl_days: int) -> str:
    claims = {
        "sub": str(client_id),
        "clinic": clinic_slug,
        "aud": LINK_AUDIENCE,
        # Microseconds, not whole seconds (RFC 7519 allows it): a link issued right
        # after a revocation must not fall inside the revoked second.
        "iat": _timestamp(now),
        "exp": int(_timestamp(now + timedelta(days=ttl_days))),
    }
    return jwt.encode(claims, _key(secret, "link"), algorithm=ALGORITHM)


def _decode(token: str, secret: str, purpose: str, audience: str) -> dict:
    """Claims of one of our tokens: its own key and audience, our one algorithm, every claim."""
    return jwt.decode(
        token,
        _key(secret, purpose),
        algorithms=[ALGORITHM],
        audience=audience,
        options={"require": ["sub", "clinic", "iat", "exp", "aud"]},
    )


def read_link_token(secret: str, token: str) -> LinkCheck:
    """Signature, algorithm, audience and expiry only (no database): a LinkCheck whose
    client may still be unknown or revoked."""
    try:
        claims = _decode(token, secret, "link", LINK_AUDIENCE)
    except jwt.ExpiredSignatureError:
        return LinkCheck(reason=EXPIRED)
    except (jwt.InvalidTokenError, ValueError, TypeError):
        return LinkCheck(reason=FORGED)
    subject, slug, issued = claims["sub"], claims["clinic"], claims["iat"]
    if not (isinstance(subject, str) and subject.isdigit() and isinstance(slug, str)):
        return LinkCheck(reason=FORGED)
    if isinstance(issued, bool) or not isinstance(issued, (int, float)):
        return LinkCheck(reason=FORGED)
    return LinkCheck(client_id=int(subject), clinic_slug=slug, issued_at=datetime.fromtimestamp(issued, timezone.utc))


def verify_link_token(session: Session, secret: str, token: str) -> LinkCheck:
    """A valid token for an existing client whose links were not revoked since it was issued."""
    read = read_link_token(secret, token)
    if not read.ok:
        return read
    client = session.get(Client, read.client_id)
    if client is None or client.clinic.slug != read.clinic_slug:
        return LinkCheck(reason=UNKNOWN_CLIENT)
    if client.links_valid_after is not None and read.issued_at < client.links_valid_after:
        return LinkCheck(reason=REVOKED)
    return read


def revoke_links(session: Session, client: Client, now: datetime) -> None:
    """Refuse every link issued to `client` before `now`; links issued later work."""
    client.links_valid_after = now
    session.flush()


def chat_link(settings: Settings, client: Client, now: Optional[datetime] = None) -> str:
    """The client's personal chat link, for texts and `aftercare link`: the chat page of
    the client's clinic with a fresh token in the fragment (never sent to any server in
    the URL, so it stays out of access logs and Referer headers)."""
    now = now or datetime.now(timezone.utc)
    slug = client.clinic.slug
    token = issue_link_token(secret_for(settings), client.id, slug, now, settings.link_ttl_days)
    return f"{settings.public_url}{CHAT_PATH}?clinic={quote(slug)}#t={token}"


# Anonymous sessions


def issue_session(secret: str, clinic_slug: str, now: datetime) -> tuple[str, str]:
    """A new anonymous conversation: (sender id, the token the browser keeps for it)."""
    sender_id = identity.anonymous_sender_id(clinic_slug)
    claims = {
        "sub": sender_id,
        "clinic": clinic_slug,
        "aud": SESSION_AUDIENCE,
        "iat": _timestamp(now),
        "exp": _timestamp(now + SESSION_TTL),
    }
    return sender_id, jwt.encode(claims, _key(secret, "anonymous session"), algorithm=ALGORITHM)


def verify_session(secret: str, token: str, clinic_slug: str) -> Optional[str]:
    """The anonymous sender id a session token stands for, if it is ours and for this clinic."""
    try:
        claims = _decode(token, secret, "anonymous session", SESSION_AUDIENCE)
    except (jwt.InvalidTokenError, ValueError, TypeError):
        return None
    sender_id = claims["sub"]
    if claims["clinic"] != clinic_slug or not isinstance(sender_id, str):
        return None
    if not sender_id.startswith(f"anon:{clinic_slug}:"):
        return None
    return sender_id
