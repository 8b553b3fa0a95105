"""What every action needs from outside: the database, the clock, the sender.

Database work runs in a worker thread, never on the action server's event loop.
"""

from __future__ import annotations

import asyncio
from datetime import datetime, timezone
from functools import lru_cache

from rasa_sdk import Tracker
from sqlalchemy.engine import Engine

from bot import config, identity
from bot.alerts import AlertKind
from bot.identity import Correspondent
from bot.services import conversations, correspondents
from bot.store import db


@lru_cache(maxsize=1)
def engine() -> Engine:
    return db.make_engine(config.from_env().database_url)


def now_of(tracker: Tracker) -> datetime:
    """The time of the message. `aftercare ask --at` previews another moment through
    metadata; our channels never pass the browser's or the network's metadata on."""
    stamp = (tracker.latest_message or {}).get("metadata", {}) or {}
    if isinstance(stamp.get("now"), str):
        try:
            parsed = datetime.fromisoformat(stamp["now"])
            if parsed.tzinfo is not None:
                return parsed
        except ValueError:
            pass
    return datetime.now(timezone.utc)


def _resolve(sender_id: str, now: datetime) -> Correspondent:
    with db.session_scope(engine()) as session:
        return correspondents.resolve(session, identity.parse(sender_id), now)


def _record(who: Correspondent, alerts: list[tuple[AlertKind, str]]) -> None:
    # SQLite: this reads before it writes, so it takes the write lock up front and waits
    # for other writers (the worker, the channel) instead of failing "database is locked",
    # which would fail the action and lose its reply. Ignored on PostgreSQL.
    with db.session_scope(engine().execution_options(sqlite_begin="IMMEDIATE")) as session:
        conversations.alerts(session, who, alerts)


async def correspondent(tracker: Tracker, now: datetime) -> Correspondent:
    return await asyncio.to_thread(_resolve, tracker.sender_id, now)


async def record_alerts(who: Correspondent, alerts: list[tuple[AlertKind, str]]) -> None:
    if alerts:
        await asyncio.to_thread(_record, who, alerts)
