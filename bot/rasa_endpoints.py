"""Rasa's endpoints for this deployment, from the settings.

endpoints.yml at the top is the embedded default (in-memory tracker and lock stores).
With RASA_TRACKER_STORE_URL (PostgreSQL) and RASA_LOCK_STORE_URL (Redis) set, several
Rasa servers share conversations and locks; `aftercare serve` writes the file Rasa reads.
Either way the tracker store is one of bot.tracker_store's, which load a window of the
conversation so that a turn's cost does not grow with its length.
The action server answers only requests that carry the action server token.
"""

from __future__ import annotations

import os
import secrets
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import yaml
from sqlalchemy.engine import make_url

from bot import local_secret
from bot.config import Settings

ACTION_TOKEN_FILE = "action_server_token"


def tracker_store(url: str) -> dict[str, Any]:
    parsed = make_url(url)
    config: dict[str, Any] = {
        "type": "bot.tracker_store.WindowedSQLTrackerStore",
        "dialect": parsed.get_backend_name(),
        "url": parsed.host,  # Rasa passes `url` on as the host
        "port": parsed.port,
        "db": parsed.database,
        "username": parsed.username,
        "password": parsed.password,
    }
    if parsed.query:
        config["query"] = dict(parsed.query)
    return {k: v for k, v in config.items() if v is not None}


def lock_store(url: str) -> dict[str, Any]:
    parsed = urlsplit(url)
    if parsed.scheme not in ("redis", "rediss"):
        raise ValueError(f"RASA_LOCK_STORE_URL must be a redis:// URL, not {parsed.scheme or url!r}")
    config: dict[str, Any] = {
        "type": "redis",
        "url": parsed.hostname or "localhost",
        "port": parsed.port or 6379,
        "db": int(parsed.path.lstrip("/") or 1),
        "password": parsed.password,
        "use_ssl": parsed.scheme == "rediss",
        "key_prefix": "aftercare",
    }
    return {k: v for k, v in config.items() if v is not None}


def action_server_token(settings: Settings) -> str:
    """What the Rasa server shows the action server (ACTION_SERVER_TOKEN, or generated)."""
    return local_secret.configured_or_generated(
        settings.action_server_token, "ACTION_SERVER_TOKEN", Path(settings.data_dir) / ACTION_TOKEN_FILE
    )


def endpoints(settings: Settings) -> dict[str, Any]:
    config: dict[str, Any] = {
        "action_endpoint": {
            "url": settings.action_server_url,
            "headers": {"Authorization": f"Bearer {action_server_token(settings)}"},
        }
    }
    if settings.tracker_store_url:
        config["tracker_store"] = tracker_store(settings.tracker_store_url)
    else:
        config["tracker_store"] = {"type": "bot.tracker_store.WindowedInMemoryTrackerStore"}
    if settings.lock_store_url:
        config["lock_store"] = lock_store(settings.lock_store_url)
    return config


def write(settings: Settings, path: Path) -> Path:
    """Written private from the first byte (it holds the action server token, maybe
    database and Redis passwords), then renamed into place."""
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(f".{path.name}.{secrets.token_hex(6)}")
    descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        with os.fdopen(descriptor, "w") as handle:
            handle.write(yaml.safe_dump(endpoints(settings), sort_keys=False))
        os.replace(temporary, path)
    finally:
        temporary.unlink(missing_ok=True)
    return path
