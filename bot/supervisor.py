"""Keep a set of child processes running: what `aftercare serve` does with its servers.

A child that exits is started again in place, after a delay that doubles with each
crash in a row (1 s, 2 s, 4 s ... at most 30 s) and starts over once the child has stayed
up for a minute; the other children are left alone, so the Rasa server keeps answering
while the action server or the worker comes back. Stopping ends every child (SIGTERM,
then SIGKILL after a grace period).
"""

from __future__ import annotations

import logging
import subprocess
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Optional

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Child:
    name: str
    argv: list[str]
    env: Optional[dict[str, str]] = None  # None: this process's environment


def _popen(child: Child) -> subprocess.Popen:
    return subprocess.Popen(child.argv, env=child.env)


@dataclass(frozen=True)
class Backoff:
    base: float = 1.0  # seconds before the first restart
    cap: float = 30.0
    steady: float = 60.0  # a child up this long has recovered: its next crash waits `base` again

    def delay(self, crashes: int) -> float:
        return min(self.base * 2 ** max(crashes - 1, 0), self.cap)


@dataclass
class _Running:
    child: Child
    process: Optional[subprocess.Popen] = None
    started_at: float = 0.0
    crashes: int = 0  # in a row
    restart_at: Optional[float] = None
    restarts: int = 0


@dataclass
class Supervisor:
    children: list[Child]
    backoff: Backoff = field(default_factory=Backoff)
    spawn: Callable[[Child], subprocess.Popen] = _popen
    clock: Callable[[], float] = time.monotonic
    report: Callable[[str], None] = log.warning
    grace: float = 10.0  # seconds a child has to stop on SIGTERM
    pid_dir: Optional[Path] = None  # where each child's pid is written (<name>.pid), for operators

    def __post_init__(self) -> None:
        self._running = [_Running(child) for child in self.children]
        self._lock = threading.Lock()
        self._stopping = False

    def start(self) -> None:
        for entry in self._running:
            self._spawn(entry)

    def _spawn(self, entry: _Running) -> None:
        entry.process = self.spawn(entry.child)
        entry.started_at = self.clock()
        entry.restart_at = None
        if self.pid_dir is not None:
            self.pid_dir.mkdir(parents=True, exist_ok=True)
            (self.pid_dir / f"{entry.child.name}.pid").write_text(f"{entry.process.pid}\n")

    def pid(self, name: str) -> Optional[int]:
        entry = self._entry(name)
        return entry.process.pid if entry.process is not None and entry.process.poll() is None else None

    def restarts(self, name: str) -> int:
        return self._entry(name).restarts

    def _entry(self, name: str) -> _Running:
        return next(entry for entry in self._running if entry.child.name == name)

    def check(self) -> None:
        """Notice children that exited and restart those whose delay is over."""
        with self._lock:
            if self._stopping:
                return
            now = self.clock()
            for entry in self._running:
                process = entry.process
                if entry.restart_at is None and process is not None and process.poll() is not None:
                    up = now - entry.started_at
                    entry.crashes = 1 if up >= self.backoff.steady else entry.crashes + 1
                    delay = self.backoff.delay(entry.crashes)
                    entry.restart_at = now + delay
                    self.report(
                        f"the {entry.child.name} process stopped (exit {process.returncode}) after {up:.0f} s;"
                        f" restarting it in {delay:.0f} s"
                    )
                if entry.restart_at is not None and now >= entry.restart_at:
                    entry.restarts += 1
                    self._spawn(entry)

    def run(self, stop: threading.Event, interval: float = 0.5) -> None:
        """Check every `interval` seconds until `stop` is set, then stop every child."""
        try:
            while not stop.wait(interval):
                self.check()
        finally:
            self.stop()

    def stop(self) -> None:
        with self._lock:
            self._stopping = True
            processes = [entry.process for entry in self._running if entry.process is not None]
        for process in processes:
            if process.poll() is None:
                process.terminate()
        for process in processes:
            try:
                process.wait(timeout=self.grace)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
