"""The windowed tracker stores: a long conversation is stored whole but loaded as its last
turns behind the slots' latest values, so a turn's cost does not grow with its length."""

from __future__ import annotations

from pathlib import Path

import pytest
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import ActionExecuted, BotUttered, SlotSet, UserUttered
from rasa.shared.core.trackers import DialogueStateTracker
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from bot.tracker_store import WindowedInMemoryTrackerStore, WindowedSQLTrackerStore, windowed
from tests.conftest import postgres_schema
from tests.fakes import event_loop

DOMAIN = Domain.load(str(Path(__file__).resolve().parent.parent / "domain.yml"))


def turn(n: int) -> list:
    """One turn as Rasa stores it; every fifth sets `treatment_time`, every turn `awaiting`."""
    events = [
        UserUttered(f"message {n}", {"name": "ask_makeup", "confidence": 1.0}),
        ActionExecuted("action_answer_topic"),
        BotUttered(f"answer {n}"),
        SlotSet("awaiting", f"step {n}"),
    ]
    if n % 5 == 0:
        events.append(SlotSet("treatment_time", f"time {n}"))
    return [*events, ActionExecuted("action_listen")]


def test_windowed_keeps_the_last_turns_and_the_slots_latest_values():
    events = [ActionExecuted("action_listen").as_dict()]
    for n in range(1, 101):
        events += [e.as_dict() for e in turn(n)]
    kept = windowed(events, 30)
    assert len(kept) <= 30 + 2
    slots = {e["name"]: e["value"] for e in kept if e["event"] == "slot"}
    assert slots == {"awaiting": "step 100", "treatment_time": "time 100"}
    window = [e for e in kept if e["event"] != "slot" or e is not kept[0]]
    assert kept[-1] == events[-1] and any(e.get("text") == "message 100" for e in window)
    assert windowed(events[:10], 30) == events[:10]


def talk(store, sender: str, turns: int) -> DialogueStateTracker:
    """`turns` turns, each as Rasa's processor does it: retrieve, append, save."""
    tracker = None
    for n in range(1, turns + 1):
        tracker = event_loop.run(store.retrieve(sender)) or DialogueStateTracker(sender, DOMAIN.slots)
        for event in turn(n):
            tracker.update(event)
        event_loop.run(store.save(tracker))
    return event_loop.run(store.retrieve(sender))


@pytest.fixture(params=["sqlite", "postgresql"])
def sql_store(request, tmp_path):
    if request.param == "sqlite":
        yield WindowedSQLTrackerStore(domain=DOMAIN, dialect="sqlite", db=str(tmp_path / "rasa.db"), window=30)
        return
    with postgres_schema() as url:
        parsed = make_url(url)
        store = WindowedSQLTrackerStore(
            domain=DOMAIN,
            dialect="postgresql",
            host=parsed.host,
            port=parsed.port,
            db=parsed.database,
            username=parsed.username,
            query=dict(parsed.query),
            window=30,
        )
        yield store
        store.engine.dispose()


def test_a_long_conversation_is_stored_whole_and_loaded_as_a_window(sql_store):
    tracker = talk(sql_store, "sms:+15550001:+15550002", 60)
    assert len(tracker.events) <= 30 + 2
    assert tracker.get_slot("awaiting") == "step 60" and tracker.get_slot("treatment_time") == "time 60"
    assert tracker.latest_message.text == "message 60"
    engine = create_engine(sql_store.engine.url)
    with engine.connect() as connection:
        stored = connection.execute(text("SELECT count(*) FROM events")).scalar()
        texts = connection.execute(text("SELECT data FROM events WHERE type_name = 'user'")).scalars().all()
    engine.dispose()
    assert stored == sum(len(turn(n)) for n in range(1, 61))  # every event once: none lost, none doubled
    assert len(texts) == 60


def test_a_slot_set_only_long_ago_is_still_known(sql_store):
    store = sql_store
    sender = "web:7"
    tracker = DialogueStateTracker(sender, DOMAIN.slots)
    tracker.update(SlotSet("pending_topic", "makeup"))
    event_loop.run(store.save(tracker))
    talk(store, sender, 40)
    assert event_loop.run(store.retrieve(sender)).get_slot("pending_topic") == "makeup"


def test_the_in_memory_store_keeps_only_the_window():
    store = WindowedInMemoryTrackerStore(DOMAIN, window=30)
    tracker = talk(store, "sms:+15550001:+15550002", 60)
    assert len(tracker.events) <= 30 + 2
    assert tracker.get_slot("awaiting") == "step 60" and tracker.get_slot("treatment_time") == "time 60"
