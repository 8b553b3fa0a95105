"""`aftercare serve`'s supervision with real child processes: a child killed with SIGKILL
comes back in place while the others keep running, a crashing child is restarted with a
growing delay, and stopping ends them all."""

from __future__ import annotations

import itertools
import os
import signal
import subprocess
import sys
import threading
import time

import pytest

from bot.supervisor import Backoff, Child, Supervisor

SLEEPER = [sys.executable, "-c", "import time; time.sleep(600)"]
CRASHER = [sys.executable, "-c", "import sys; sys.exit(3)"]


def wait_for(condition, seconds=15.0):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.05)
    return False


@pytest.fixture
def supervised():
    started = []

    def make(children, backoff=None):
        backoff = backoff or Backoff(base=0.2, cap=1.0, steady=30.0)
        reports: list[str] = []
        supervisor = Supervisor(children, backoff=backoff, report=reports.append, grace=5)
        stop = threading.Event()
        supervisor.start()
        thread = threading.Thread(target=supervisor.run, args=(stop, 0.05), daemon=True)
        thread.start()
        started.append((stop, thread))
        return supervisor, reports, stop, thread

    yield make
    for stop, thread in started:
        stop.set()
        thread.join(30)


def test_a_killed_child_is_restarted_in_place_and_the_others_keep_running(supervised):
    supervisor, reports, _stop, _thread = supervised(
        [Child("actions", SLEEPER), Child("rasa", SLEEPER), Child("follow-ups", SLEEPER)]
    )
    before = {name: supervisor.pid(name) for name in ("actions", "rasa", "follow-ups")}
    assert all(before.values())
    os.kill(before["actions"], signal.SIGKILL)
    assert wait_for(lambda: supervisor.pid("actions") not in (None, before["actions"]))
    os.kill(before["follow-ups"], signal.SIGKILL)
    assert wait_for(lambda: supervisor.pid("follow-ups") not in (None, before["follow-ups"]))
    assert supervisor.pid("rasa") == before["rasa"]  # never touched
    assert supervisor.restarts("actions") == 1 and supervisor.restarts("rasa") == 0
    assert any("actions process stopped (exit -9)" in line for line in reports)


def test_a_crashing_child_is_restarted_with_a_growing_delay(supervised):
    spawned: list[float] = []

    def spawn(child):
        spawned.append(time.monotonic())
        return subprocess.Popen(child.argv)

    supervisor = Supervisor(
        [Child("worker", CRASHER)], backoff=Backoff(base=0.2, cap=0.8, steady=30.0), spawn=spawn, report=lambda _: None
    )
    stop = threading.Event()
    supervisor.start()
    thread = threading.Thread(target=supervisor.run, args=(stop, 0.02), daemon=True)
    thread.start()
    try:
        assert wait_for(lambda: len(spawned) >= 5, 20)
    finally:
        stop.set()
        thread.join(10)
    gaps = [b - a for a, b in itertools.pairwise(spawned)]
    # 0.2, 0.4, 0.8, then capped at 0.8 (plus the time a crash takes to be noticed)
    assert gaps[0] >= 0.2 and gaps[1] >= 0.4 and gaps[2] >= 0.8 and gaps[3] >= 0.8
    assert gaps[3] < 5


def test_stopping_ends_every_child(supervised):
    supervisor, _reports, stop, thread = supervised([Child("a", SLEEPER), Child("b", SLEEPER)])
    pids = [supervisor.pid("a"), supervisor.pid("b")]
    stop.set()
    thread.join(30)
    for pid in pids:
        assert wait_for(lambda pid=pid: not _alive(pid), 10)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    # A zombie is dead too: reaped by the supervisor's wait(), so kill(0) fails above.
    return True
