"""Staff passwords: the length rule, argon2id hashing and verification.

argon2id with OWASP's recommended minimum (19 MiB, 2 passes, 1 lane): about 0.1 s a hash
on one core of a small server, where argon2-cffi's default (64 MiB, 3 passes, 4 lanes)
took over 1 s on two busy cores and would let a burst of sign-ins stall the console.
A hash made with other parameters is redone at the next successful sign-in.
"""

from __future__ import annotations

import secrets
from functools import lru_cache

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from bot.store.errors import InvalidValue

MIN_LENGTH = 12
MAX_LENGTH = 256  # long enough for any passphrase; bounds the hashing work a request can ask

_hasher = PasswordHasher(time_cost=2, memory_cost=19456, parallelism=1)


class WeakPassword(InvalidValue):
    """A new password the policy refuses; the message says what to change."""


def check_policy(password: str, email: str) -> None:
    if len(password) < MIN_LENGTH:
        raise WeakPassword(f"Use at least {MIN_LENGTH} characters.")
    if len(password) > MAX_LENGTH:
        raise WeakPassword(f"Use at most {MAX_LENGTH} characters.")
    if not password.strip():
        raise WeakPassword("The password cannot be only spaces.")
    if password.strip().lower() == email.strip().lower():
        raise WeakPassword("The password cannot be your email address.")


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def verify(password_hash: str | None, password: str) -> bool:
    """True when `password` matches. Without a hash (no account, or no password set yet)
    a dummy hash is checked anyway, so the answer takes as long either way and timing
    does not tell which emails have accounts."""
    acceptable = len(password) <= MAX_LENGTH  # no stored password is longer
    try:
        matched = _hasher.verify(password_hash or _dummy_hash(), password[:MAX_LENGTH])
    except (VerificationError, InvalidHashError):
        return False
    return bool(matched and password_hash and acceptable)


def needs_rehash(password_hash: str) -> bool:
    return _hasher.check_needs_rehash(password_hash)


@lru_cache(maxsize=1)
def _dummy_hash() -> str:
    return _hasher.hash(secrets.token_urlsafe(16))
