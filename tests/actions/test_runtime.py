"""The actions' database work under concurrent writers: on SQLite a unit of work that
reads before it writes must wait for the write lock, not fail with "database is locked"
(which would lose the action's reply)."""

from __future__ import annotations

import threading
from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import func, select

from actions import runtime
from bot.alerts import AlertKind
from bot.services import conversations
from bot.store.db import make_engine, session_scope
from bot.store.models import Alert
from tests.fakes import sms_world


@pytest.fixture
def actions_db(db_url, engine, monkeypatch):
    monkeypatch.setenv("DATABASE_URL", db_url)
    runtime.engine.cache_clear()
    now = datetime.now(timezone.utc)
    with session_scope(engine) as session:
        client = sms_world.add_client(session, sms_world.add_clinic(session))
        sms_world.add_treatment(session, client, now - timedelta(hours=6), now)
    yield db_url
    runtime.engine().dispose()
    runtime.engine.cache_clear()


def test_alerts_recorded_by_actions_beside_another_writer_are_all_kept(actions_db, engine):
    now = datetime.now(timezone.utc)
    who = runtime._resolve(f"sms:{sms_world.CLIENT_PHONE}:{sms_world.CLINIC_SMS}", now)
    errors: list[str] = []
    other = make_engine(actions_db).execution_options(sqlite_begin="IMMEDIATE")  # the worker, the channel

    def another_process_writing():
        for _ in range(60):
            with session_scope(other) as session:
                conversations.alert(session, who, AlertKind.bot_error, "from elsewhere")

    def an_action():
        for _ in range(20):
            try:
                runtime._record(who, [(AlertKind.human_request, "from an action")])
            except Exception as exc:
                errors.append(repr(exc)[:200])

    threads = [threading.Thread(target=another_process_writing)] + [
        threading.Thread(target=an_action) for _ in range(3)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(120)
    other.dispose()
    assert errors == []
    with session_scope(engine) as session:
        assert session.scalar(select(func.count()).select_from(Alert).where(Alert.kind == "human_request")) == 60
