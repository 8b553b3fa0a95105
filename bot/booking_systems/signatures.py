"""The signatures on booking events, checked over the raw body before anything is parsed.

Acuity Scheduling: `X-Acuity-Signature` is the base64 HMAC-SHA256 of the body under the
account's API key (developers.acuityscheduling.com, "Webhooks"). It has no timestamp, so
a replayed Acuity event is harmless only because applying one is idempotent (the current
appointment is fetched from Acuity's API, never taken from the event).

Our webhook: `X-Aftercare-Signature: v1=<hex HMAC-SHA256 of "<timestamp>.<body>">` under
the clinic's webhook secret, with `X-Aftercare-Timestamp: <Unix seconds>`; a timestamp
more than five minutes from our clock is refused, and the event id (or the signature)
is remembered so the same event is applied once.

Every comparison is constant-time (hmac.compare_digest).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from datetime import datetime, timedelta, timezone

ACUITY_HEADER = "X-Acuity-Signature"
SIGNATURE_HEADER = "X-Aftercare-Signature"
TIMESTAMP_HEADER = "X-Aftercare-Timestamp"
TOLERANCE = timedelta(minutes=5)
VERSION = "v1"


class Refused(Exception):
    """A request that is not a signed, fresh event of this clinic; `reason` is a code."""

    def __init__(self, reason: str, message: str) -> None:
        super().__init__(message)
        self.reason = reason


def acuity_signature(body: bytes, api_key: str) -> str:
    return base64.b64encode(hmac.new(api_key.encode("utf-8"), body, hashlib.sha256).digest()).decode("ascii")


def acuity_signed(body: bytes, header: str, api_key: str) -> bool:
    given = (header or "").strip().encode("ascii", "replace")
    return bool(given) and hmac.compare_digest(acuity_signature(body, api_key).encode("ascii"), given)


def webhook_signature(secret: str, timestamp: str, body: bytes) -> str:
    """`v1=<hex>`: what a sender puts in X-Aftercare-Signature."""
    digest = hmac.new(secret.encode("utf-8"), timestamp.encode("ascii") + b"." + body, hashlib.sha256)
    return f"{VERSION}={digest.hexdigest()}"


def check_webhook(secret: str, timestamp: str, signature: str, body: bytes, now: datetime) -> datetime:
    """When the event was signed, if it was signed with `secret` less than five minutes
    from `now`; Refused otherwise."""
    timestamp, signature = (timestamp or "").strip(), (signature or "").strip()
    if not signature or not timestamp:
        raise Refused("unsigned", f"the request needs {SIGNATURE_HEADER} and {TIMESTAMP_HEADER}")
    if not timestamp.isascii() or not timestamp.isdigit() or len(timestamp) > 12:
        raise Refused("bad_timestamp", f"{TIMESTAMP_HEADER} must be Unix time in seconds")
    expected = webhook_signature(secret, timestamp, body).encode("ascii")
    given = [part.strip().encode("ascii", "replace") for part in signature.split(",")]
    # Every candidate is compared, so the time taken does not tell which one matched.
    matched = [hmac.compare_digest(expected, candidate) for candidate in given]
    if not any(matched):
        raise Refused("bad_signature", "the signature does not match this clinic's webhook secret")
    signed_at = datetime.fromtimestamp(int(timestamp), timezone.utc)
    if abs(now - signed_at) > TOLERANCE:
        raise Refused("stale", "the timestamp is more than 5 minutes from now (a replayed or delayed request)")
    return signed_at
