"""Which server processes are alive, asked of the database they share.

On PostgreSQL each process holds an advisory lock named after its id on one connection
of its own for as long as it lives; the server ends that lock when the process dies (or
its connection is cut), so another process can tell a live owner from a dead one by
trying the lock. A SQLite file is served by one Rasa server, so there every other id is a
process that is gone.
"""

from __future__ import annotations

import contextlib
import hashlib
import logging
import os
import socket
import threading
import uuid
from typing import Any, Optional

from sqlalchemy import text
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

log = logging.getLogger(__name__)


def _key(process_id: str) -> int:
    """A signed 64-bit advisory lock key for the id."""
    return int.from_bytes(hashlib.sha256(process_id.encode()).digest()[:8], "big", signed=True)


class Presence:
    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self.id = f"{socket.gethostname()[:30]}:{os.getpid()}:{uuid.uuid4().hex[:8]}"
        self._postgres = engine.dialect.name == "postgresql"
        self._held: Optional[Any] = None  # the DBAPI connection holding our lock
        self._lock = threading.Lock()

    def hold(self) -> None:
        """Make sure our lock is held (again, after a lost connection). Cheap when it is."""
        if not self._postgres:
            return
        with self._lock:
            if self._held is not None:
                try:
                    cursor = self._held.cursor()
                    cursor.execute("SELECT 1")
                    cursor.close()
                    return
                except Exception:
                    log.warning("the connection holding this process's presence was lost; taking it again")
                    self._close()
            connection = self.engine.raw_connection()
            try:
                connection.autocommit = True  # a session lock, outside any transaction
                cursor = connection.cursor()
                cursor.execute("SELECT pg_advisory_lock(%s)", (_key(self.id),))
                cursor.close()
            except Exception:
                connection.invalidate()
                raise
            self._held = connection

    def _close(self) -> None:
        if self._held is not None:
            with contextlib.suppress(Exception):  # a connection already gone
                self._held.invalidate()
            self._held = None

    def alive(self, session: Session, process_id: Optional[str]) -> bool:
        """Whether the process `process_id` (not this one) still lives."""
        if not process_id or not self._postgres:
            return False
        # Transaction-scoped: released with the caller's transaction, whatever it got.
        free = session.execute(text("SELECT pg_try_advisory_xact_lock(:key)"), {"key": _key(process_id)}).scalar()
        return not free

    def release(self) -> None:
        with self._lock:
            self._close()
