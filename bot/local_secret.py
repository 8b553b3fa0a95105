"""Secrets from the environment, or generated once into the data dir.

Production sets each secret in the environment, the same on every server. On a single
machine (`make run`, tests) a random one is generated on first use into the data dir
(mode 0600), so every process started with that data dir shares it.
"""

from __future__ import annotations

import contextlib
import os
import secrets
from pathlib import Path
from typing import Optional

MIN_SECRET_CHARS = 32


class SecretError(RuntimeError):
    """The configured secret is unusable (too short)."""


def configured_or_generated(configured: Optional[str], variable: str, path: Path) -> str:
    """The secret from `variable` if set (it must be long enough), else the one at `path`."""
    if configured:
        if len(configured) < MIN_SECRET_CHARS:
            raise SecretError(f"{variable} must be at least {MIN_SECRET_CHARS} characters")
        return configured
    return generated(path)


def generated(path: Path) -> str:
    try:
        return _read(path)
    except FileNotFoundError:
        pass
    path.parent.mkdir(parents=True, exist_ok=True)
    # Write a private temporary file, then hard-link it into place: the link fails if
    # another process (the server, the CLI) got there first, and nobody ever reads a
    # half-written secret.
    temporary = path.with_name(f".{path.name}.{secrets.token_hex(6)}")
    descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        with os.fdopen(descriptor, "w") as handle:
            handle.write(secrets.token_urlsafe(48) + "\n")
        with contextlib.suppress(FileExistsError):  # another process won: its secret is read below
            os.link(temporary, path)
    finally:
        temporary.unlink(missing_ok=True)
    return _read(path)


def _read(path: Path) -> str:
    secret = path.read_text(encoding="ascii").strip()
    if len(secret) < MIN_SECRET_CHARS:
        raise SecretError(f"{path} holds a secret shorter than {MIN_SECRET_CHARS} characters")
    return secret
