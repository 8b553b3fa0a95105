"""Random tokens handed to a browser or printed in a link, and the digests kept of them.

Only the SHA-256 digest of a token is stored: a copy of the database opens no session
and sets no password. A plain hash is enough because tokens are 256 random bits.
"""

from __future__ import annotations

import hashlib
import secrets


def new_token() -> str:
    return secrets.token_urlsafe(32)


def digest(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()
