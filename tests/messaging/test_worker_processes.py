"""Exactly once with real worker processes (`aftercare followups run`): two side by side on
PostgreSQL, and one killed with SIGKILL while Twilio holds its request, then restarted."""

import os
import signal
import subprocess
import sys
import threading
import time
from collections import Counter
from datetime import datetime, timezone
from pathlib import Path

import pytest
from sqlalchemy import select

from bot.store.db import session_scope
from bot.store.messaging_models import FollowUp, JobStatus
from tests.fakes import sms_world

ROOT = Path(__file__).resolve().parents[2]


def spawn(db_url, twilio, data_dir, *args):
    env = {
        **os.environ,
        "DATABASE_URL": db_url,
        "PUBLIC_URL": sms_world.PUBLIC_URL,
        "AFTERCARE_DATA_DIR": str(data_dir),
        "AFTERCARE_LINK_SECRET": sms_world.LINK_SECRET,
        **twilio.env(),
    }
    return subprocess.Popen(
        [sys.executable, "-m", "bot", "followups", "run", *args],
        env=env,
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )


def finish(process, timeout=120) -> str:
    output, _ = process.communicate(timeout=timeout)
    return output


def assert_each_sent_once(engine, twilio, count, cut_off=0):
    """`cut_off`: at most this many requests may have reached the server half-written (a
    worker killed while sending several at once); they are not messages."""
    bodies = Counter(twilio.bodies())
    assert sum(bodies.values()) == count, f"{sum(bodies.values()) - len(bodies)} duplicates"
    assert max(bodies.values()) == 1
    assert count <= twilio.attempts <= count + cut_off  # not even a refused second try
    with session_scope(engine) as session:
        rows = session.scalars(select(FollowUp)).all()
        assert len(rows) == count and {r.status for r in rows} == {JobStatus.sent}
        assert {r.sid for r in rows} == {m["sid"] for m in twilio.messages}
        assert Counter(r.body for r in rows) == bodies


@pytest.mark.parametrize("db_url", ["postgresql"], indirect=True)
def test_two_workers_send_each_message_once(engine, db_url, twilio, tmp_path):
    count = 400
    sms_world.seed_due_followups(engine, count, datetime.now(timezone.utc))
    twilio.delay = 0.01  # long enough for both workers to be busy at the same time
    workers = [spawn(db_url, twilio, tmp_path, "--once", "--batch", "10") for _ in range(2)]
    outputs = [finish(w) for w in workers]
    assert [w.returncode for w in workers] == [0, 0], outputs
    assert_each_sent_once(engine, twilio, count)
    sent = [int(out.rsplit("done: sent ", 1)[1].split(",")[0]) for out in outputs]
    assert sum(sent) == count and min(sent) > 0, outputs  # both took part


def test_a_worker_killed_mid_send_is_finished_by_the_next_without_duplicates(engine, db_url, twilio, tmp_path):
    count = 150
    sms_world.seed_due_followups(engine, count, datetime.now(timezone.utc))
    twilio.delay = 0.02
    victim = spawn(db_url, twilio, tmp_path, "--batch", "25")
    killed = threading.Event()

    def kill_on_the_40th(message):
        # Twilio has recorded the message; the worker waits for the answer and never gets it.
        if len(twilio.messages) == 40 and not killed.is_set():
            os.kill(victim.pid, signal.SIGKILL)
            killed.set()

    twilio.on_message = kill_on_the_40th
    finish(victim)
    assert killed.is_set() and victim.returncode == -signal.SIGKILL
    twilio.on_message = None
    sent_before = len(twilio.messages)
    with session_scope(engine) as session:
        # The batch being sent when the worker died (16 at a time): some went out, none is recorded.
        in_doubt = session.scalars(select(FollowUp).where(FollowUp.in_doubt_since.is_not(None))).all()
        assert in_doubt and all(row.sid is None for row in in_doubt)
        assert twilio.messages[39]["body"] in {row.body for row in in_doubt}
        recorded = len(session.scalars(select(FollowUp).where(FollowUp.status == JobStatus.sent)).all())

    time.sleep(2.5)  # the dead worker's lease (2 s for the next worker) runs out
    survivor = spawn(db_url, twilio, tmp_path, "--once", "--lease", "2", "--batch", "25")
    output = finish(survivor)
    assert survivor.returncode == 0, output
    assert f"done: sent {count - recorded}," in output  # those in doubt were found, not resent
    assert sent_before > recorded
    assert_each_sent_once(engine, twilio, count, cut_off=16)
