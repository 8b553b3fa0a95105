"""Production set-up: Rasa's tracker store on PostgreSQL and its lock store on Redis.

A conversation survives a restart of the Rasa server (another server could pick it up),
and the lock store in use is Redis. Both services are required: a missing one fails.
"""

from __future__ import annotations

from pathlib import Path

import redis
import requests
from sqlalchemy import create_engine, text

from tests import assistant
from tests.conftest import postgres_schema

REDIS_URL = "redis://127.0.0.1:6379/5"


def say(server, session, message):
    body = {"clinic": "glow", "message": message}
    if session:
        body["session"] = session
    reply = requests.post(f"{server.base_url}/webhooks/web/webhook", json=body, timeout=60)
    assert reply.ok, reply.text
    data = reply.json()
    return data.get("session") or session, " ".join(m["text"] for m in data["messages"])


def test_conversation_survives_a_rasa_restart_on_postgresql_and_redis(tmp_path):
    redis.Redis.from_url(REDIS_URL).ping()  # fails the test when Redis is down
    with postgres_schema() as tracker_url:
        env = {"RASA_TRACKER_STORE_URL": tracker_url, "RASA_LOCK_STORE_URL": REDIS_URL}
        first = assistant.start(tmp_path, env, rasa_args=("--debug",))
        try:
            session, reply = say(first, None, "can i wear makeup yet?")
            assert "when was your treatment" in reply.lower()
            session, reply = say(first, session, "yesterday at 3pm")
            assert "just to check" in reply.lower()
        finally:
            first.stop()
        log = "".join(Path(f.name).read_text() for f in first.logs)
        assert "Connected to lock store 'RedisLockStore'" in log
        assert "Connected to WindowedSQLTrackerStore" in log

        engine = create_engine(tracker_url)
        with engine.connect() as connection:
            stored = connection.execute(text("SELECT count(*) FROM events")).scalar()
        engine.dispose()
        assert stored > 0

        second = assistant.start(tmp_path, env)
        try:
            _session, reply = say(second, session, "yes")
        finally:
            second.stop()
        # The confirmation the first server asked for is answered by the second one.
        assert "noted" in reply.lower() and "makeup" in reply.lower()
