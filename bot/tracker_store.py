"""Rasa's tracker stores, holding a turn's cost flat however long the conversation.

A client can text for weeks inside one conversation session. Stock, every turn loads
every event of the session, replays it, hands all of it to the action server and (in
memory) serialises it again: a turn's cost grows with every earlier turn. The assistant
needs only the latest message, the slots and the last few turns (the rules look back a
few steps), so these stores keep a window: the last `window` events, cut at a turn's
start, behind the latest value of each slot set before it (`windowed`, pure).

- `WindowedSQLTrackerStore` (RASA_TRACKER_STORE_URL): every event is still stored; a
  turn reads only the window (the newest rows by id, and one grouped query for the
  slots), off the event loop, with indexes on (sender_id, id) and (sender_id,
  type_name, timestamp), and a pool that checks connections before use (a database
  restart or a cut connection costs one reconnect, not a turn's events).
- `WindowedInMemoryTrackerStore` (no URL: `make run`): keeps only the window.
"""

from __future__ import annotations

import asyncio
import itertools
import json
from typing import Any, Iterator, Optional, Text

import sqlalchemy as sa
from rasa.core.tracker_store import InMemoryTrackerStore, SQLTrackerStore
from rasa.shared.core.trackers import DialogueStateTracker

WINDOW = 60  # events: about eight turns
_STORED = "_aftercare_stored_events"  # how many of a retrieved tracker's events are stored


def _turn_start(kinds: list[tuple[Optional[str], Optional[str]]], earliest: int) -> int:
    """The index of the first `action_listen` at or after `earliest` (else `earliest`)."""
    return next(
        (i for i in range(earliest, len(kinds)) if kinds[i] == ("action", "action_listen")),
        earliest,
    )


def windowed(events: list[dict[str, Any]], window: int = WINDOW) -> list[dict[str, Any]]:
    """The last `window` events from a turn's start (an `action_listen`), behind the latest
    event of each slot set before them. Shorter lists come back as they are."""
    if len(events) <= window:
        return events
    start = _turn_start([(e.get("event"), e.get("name")) for e in events], len(events) - window)
    slots: dict[str, dict[str, Any]] = {}
    for event in events[:start]:
        if event.get("event") == "slot":
            slots.pop(event.get("name", ""), None)
            slots[event.get("name", "")] = event  # latest, in the order last set
    return list(slots.values()) + events[start:]


class WindowedSQLTrackerStore(SQLTrackerStore):
    engine: sa.engine.Engine

    def __init__(self, *args: Any, window: int = WINDOW, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.window = int(window)
        url = self.engine.url
        self.engine.dispose()
        options: dict[str, Any] = {"pool_pre_ping": True}
        if url.get_backend_name() == "postgresql":
            options.update(pool_size=10, max_overflow=20)
        self.engine = sa.create_engine(url, **options)
        self.sessionmaker = sa.orm.sessionmaker(bind=self.engine)
        with self.engine.begin() as connection:
            for name, columns in (
                ("ix_events_sender_id_id", "sender_id, id"),
                ("ix_events_sender_id_type_name_timestamp", "sender_id, type_name, timestamp"),
            ):
                connection.exec_driver_sql(f"CREATE INDEX IF NOT EXISTS {name} ON events ({columns})")

    async def retrieve(self, sender_id: Text) -> Optional[DialogueStateTracker]:
        return await asyncio.to_thread(self._retrieve_window, sender_id)

    def _retrieve_window(self, sender_id: Text) -> Optional[DialogueStateTracker]:
        event = self.SQLEvent
        with self.session_scope() as session:
            this_session = self._event_query(session, sender_id, fetch_events_from_all_sessions=False)
            rows = this_session.order_by(None).order_by(event.id.desc()).limit(self.window + 1).all()
            if not rows:
                return None
            rows.reverse()
            carried: list[Any] = []
            if len(rows) > self.window:  # longer than the window: cut at a turn's start
                rows = rows[_turn_start([(r.type_name, r.action_name) for r in rows], 1) :]
                # The latest value of each slot set in this session before the window.
                began = (
                    session.query(sa.func.max(event.timestamp))
                    .filter(event.sender_id == sender_id, event.type_name == "session_started")
                    .scalar()
                )
                latest = session.query(sa.func.max(event.id)).filter(
                    event.sender_id == sender_id, event.type_name == "slot", event.id < rows[0].id
                )
                if began is not None:
                    latest = latest.filter(event.timestamp >= began)
                ids = [found for (found,) in latest.group_by(event.action_name).all()]
                carried = session.query(event).filter(event.id.in_(ids)).order_by(event.id).all() if ids else []
            loaded = [json.loads(row.data) for row in carried + rows]
        if self.domain is None:
            return None
        tracker = DialogueStateTracker.from_dict(sender_id, loaded, self.domain.slots)
        setattr(tracker, _STORED, len(tracker.events))
        return tracker

    async def save(self, tracker: DialogueStateTracker) -> None:
        await self.stream_events(tracker)
        await asyncio.to_thread(self._save_events, tracker)

    def _save_events(self, tracker: DialogueStateTracker) -> None:
        with self.session_scope() as session:
            for event in self._additional_events(session, tracker):
                data = event.as_dict()
                session.add(
                    self.SQLEvent(
                        sender_id=tracker.sender_id,
                        type_name=event.type_name,
                        timestamp=data.get("timestamp"),
                        intent_name=data.get("parse_data", {}).get("intent", {}).get("name"),
                        action_name=data.get("name"),
                        data=json.dumps(data),
                    )
                )
            session.commit()
        setattr(tracker, _STORED, len(tracker.events))

    def _additional_events(self, session: Any, tracker: DialogueStateTracker) -> Iterator:
        stored = getattr(tracker, _STORED, None)
        if stored is None:  # a tracker this store did not load: count what is stored
            return super()._additional_events(session, tracker)
        return itertools.islice(tracker.events, stored, len(tracker.events))


class WindowedInMemoryTrackerStore(InMemoryTrackerStore):
    def __init__(self, *args: Any, window: int = WINDOW, host: Optional[str] = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.window = int(window)

    async def save(self, tracker: DialogueStateTracker) -> None:
        if len(tracker.events) > self.window:
            events = windowed([e.as_dict() for e in tracker.events], self.window)
            tracker = DialogueStateTracker.from_dict(tracker.sender_id, events, self.domain.slots)
        await super().save(tracker)
