"""`aftercare followups run`: send every due follow-up and staff alert exactly once.

Each batch of jobs goes through four short steps, never holding a lock while Twilio talks:

1. claim: a batch of due rows is marked with this worker's id and time (its lease).
   On PostgreSQL `SELECT ... FOR UPDATE SKIP LOCKED` lets several workers claim side by
   side without waiting for or doubling each other; SQLite has no row locks (its claim
   takes the whole database's write lock, and one worker is what we support there).
2. take: right before sending, the worker renews its lease on the rows still its own
   and still pending (so a slow batch never outlives the lease unnoticed), writes each
   text once, and marks the rows "in doubt" (a send is starting); one transaction.
3. send through the gateway, outside any transaction, up to `concurrency` at a time
   (Twilio's API takes 100-300 ms to answer; one at a time, a worker would mostly wait).
4. record: the Twilio SIDs and "sent" in one transaction (a row with a SID is never sent
   again), or each failure: retried later with exponential backoff (429, 5xx, network),
   or final.

A worker killed between 2 and 4 leaves the row claimed and in doubt. Once its lease has
expired another worker takes it and, because it is in doubt, first asks Twilio for a
message with that recipient and text created since; if there is one, its SID is recorded
instead of sending again.
"""

from __future__ import annotations

import logging
import os
import random
import socket
import threading
import uuid
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta, timezone
from typing import Callable, Optional, Union

from sqlalchemy import or_, select, update
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from bot.config import Settings
from bot.messaging import ledger
from bot.messaging.gateway import CLOCK_MARGIN, UNSUBSCRIBED, Failure, Gateway, Outgoing, SendError, Sent
from bot.messaging.jobs import AlertJobs, FollowUpJobs, JobKind
from bot.messaging.outcomes import Lost, Postpone, Send, Skip, Taken
from bot.services import conversations, treatments
from bot.store.db import database_now, session_scope
from bot.store.messaging_models import JobStatus

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class WorkerOptions:
    batch: int = 50
    lease: timedelta = timedelta(seconds=60)  # well above one send's HTTP timeout
    interval: float = 5.0  # seconds between polls when nothing is due
    max_attempts: int = 8
    backoff_base: timedelta = timedelta(seconds=30)
    backoff_cap: timedelta = timedelta(hours=1)
    concurrency: int = 16  # sends in flight at once; the batch bounds it too


@dataclass
class Tally:
    sent: int = 0
    skipped: int = 0
    failed: int = 0
    retrying: int = 0
    postponed: int = 0  # quiet hours in the clinic
    lost: int = 0  # claimed rows another worker or a change got to first

    def add(self, other: "Tally") -> None:
        for name in ("sent", "skipped", "failed", "retrying", "postponed", "lost"):
            setattr(self, name, getattr(self, name) + getattr(other, name))

    @property
    def handled(self) -> int:
        return self.sent + self.skipped + self.failed + self.retrying + self.postponed + self.lost

    def __str__(self) -> str:
        return (
            f"sent {self.sent}, skipped {self.skipped}, failed {self.failed}, "
            f"retrying {self.retrying}, postponed {self.postponed}"
        )


def utcnow() -> datetime:
    return datetime.now(timezone.utc)


def default_worker_id() -> str:
    return f"{socket.gethostname()[:30]}:{os.getpid()}:{uuid.uuid4().hex[:6]}"


@dataclass
class Worker:
    engine: Engine
    gateway: Gateway
    settings: Settings
    options: WorkerOptions = field(default_factory=WorkerOptions)
    clock: Callable[[], datetime] = utcnow
    worker_id: str = field(default_factory=default_worker_id)
    # Leases are timed by the database's clock, shared by every worker: a worker whose own
    # clock runs ahead would otherwise take rows another still holds.
    lease_clock: Callable[[Session], datetime] = database_now

    def __post_init__(self) -> None:
        self.alerts = AlertJobs()
        self.kinds: tuple[JobKind, ...] = (FollowUpJobs(self.settings), self.alerts)
        # SQLite: every transaction here writes, so BEGIN IMMEDIATE takes the write lock
        # before reading (a claim sees no rows another claim is taking; the channel and
        # the actions writing to the same file make us wait, not fail). Ignored elsewhere.
        self.engine = self.engine.execution_options(sqlite_begin="IMMEDIATE")
        self._pool: Optional[ThreadPoolExecutor] = None

    # The loop

    def run(self, once: bool = False, stop: Optional[threading.Event] = None) -> Tally:
        """Poll until `stop` is set; with `once`, until nothing is due any more."""
        stop = stop or threading.Event()
        total = Tally()
        try:
            self._poll(once, stop, total)
        finally:
            if self._pool is not None:
                self._pool.shutdown(wait=True)
                self._pool = None
        return total

    def _poll(self, once: bool, stop: threading.Event, total: Tally) -> None:
        while not stop.is_set():
            try:
                done = self.run_once(stop)
            except Exception:
                if once:
                    raise
                # The database or the network is down for a moment: a polling worker lives on.
                log.exception("%s: this round failed; trying again in %ss", self.worker_id, self.options.interval)
                stop.wait(self.options.interval)
                continue
            total.add(done)
            if done.handled:
                log.info("%s: %s", self.worker_id, done)
            elif once:
                break
            else:
                stop.wait(self.options.interval)

    def run_once(self, stop: Optional[threading.Event] = None) -> Tally:
        """One batch of each kind of job."""
        tally = Tally()
        with session_scope(self.engine) as session:
            treatments.complete_past(session, self.clock())
            self.alerts.enqueue(session, self.clock())
            # Take-overs that ran out: the assistant answers again, and the client is told.
            for _, notice in conversations.expired_takeovers(session, self.clock()):
                conversations.deliver(session, self.gateway, notice)
        for kind in self.kinds:
            claimed = self.claim(kind)
            if not claimed:
                continue
            if self.options.concurrency > 1:
                if stop is not None and stop.is_set():
                    self.release(kind, claimed)  # untouched: free for the next worker now
                    break
                self.process_batch(kind, claimed, tally)
                continue
            # One at a time, each job taken right before it is sent: a text that fails
            # because its client opted out cancels the client's next ones before their turn.
            for index, job_id in enumerate(claimed):
                if stop is not None and stop.is_set():
                    self.release(kind, claimed[index:])
                    break
                self.process(kind, job_id, tally)
        return tally

    def process_batch(self, kind: JobKind, job_ids: list[int], tally: Tally) -> None:
        """Take the claimed jobs together, send them concurrently, record them together."""
        try:
            taken = self.take_batch(kind, job_ids)
        except Exception:  # one broken row (a protocol, a link secret) must not stop the rest
            log.exception("%s: cannot prepare a batch of %s; one job at a time", self.worker_id, kind.purpose)
            for job_id in job_ids:
                self.process(kind, job_id, tally)
            return
        sends: list[tuple[int, Send]] = []
        for job_id, outcome in taken:
            match outcome:
                case Send():
                    sends.append((job_id, outcome))
                case Skip():
                    tally.skipped += 1
                case Postpone():
                    tally.postponed += 1
                case Lost():
                    tally.lost += 1
        results = self._map(self.attempt, [job for _, job in sends])
        done = []
        for (job_id, job), result in zip(sends, results, strict=True):
            if isinstance(result, SendError):
                self.record_failure(kind, job_id, result, job.doubt_before, tally)
            else:
                done.append((job_id, job.message, result))
        if done:
            self.record_sent_many(kind, done)
            tally.sent += len(done)

    def _map(self, work: Callable[[Send], "Union[Sent, SendError]"], jobs: list[Send]) -> list:
        if len(jobs) <= 1:
            return [work(job) for job in jobs]
        if self._pool is None:
            self._pool = ThreadPoolExecutor(self.options.concurrency, thread_name_prefix="send")
        return list(self._pool.map(work, jobs))

    def attempt(self, job: Send) -> Union[Sent, SendError]:
        """Send one job (after asking Twilio, if an earlier send of it fell in doubt)."""
        try:
            sent = self.find_earlier_send(job.message, job.doubt_before) if job.doubt_before else None
            return sent if sent is not None else self.gateway.send(job.message)
        except SendError as error:
            return error

    # The four steps

    def claim(self, kind: JobKind) -> list[int]:
        model, now = kind.model, self.clock()
        with session_scope(self.engine) as session:
            held_since = self.lease_clock(session) - self.options.lease
            ids = list(
                session.scalars(
                    select(model.id)
                    .where(
                        model.status == JobStatus.pending,
                        model.sid.is_(None),
                        model.due_at <= now,
                        or_(model.next_attempt_at.is_(None), model.next_attempt_at <= now),
                        or_(model.claimed_at.is_(None), model.claimed_at < held_since),
                    )
                    .order_by(model.due_at, model.id)
                    .limit(self.options.batch)
                    .with_for_update(skip_locked=True)
                )
            )
            if ids:
                session.execute(
                    update(model)
                    .where(model.id.in_(ids))
                    .values(
                        claimed_at=held_since + self.options.lease,
                        claimed_by=self.worker_id,
                        attempts=model.attempts + 1,
                    )
                    .execution_options(synchronize_session=False)
                )
        return ids

    def release(self, kind: JobKind, job_ids: list[int]) -> None:
        model = kind.model
        with session_scope(self.engine) as session:
            session.execute(
                update(model)
                .where(model.id.in_(job_ids), model.claimed_by == self.worker_id)
                .values(claimed_at=None, claimed_by=None, attempts=model.attempts - 1)
                .execution_options(synchronize_session=False)
            )

    def process(self, kind: JobKind, job_id: int, tally: Tally) -> None:
        try:
            taken = self.take(kind, job_id)
        except Exception as exc:  # one broken row (a protocol, a link secret) must not stop the rest
            log.exception("%s: cannot prepare job %s of %s", self.worker_id, job_id, kind.model.__tablename__)
            error = SendError(Failure.retry, f"cannot prepare the text: {exc}")
            self.record_failure(kind, job_id, error, None, tally, sending_began=False)
            return
        match taken:
            case Send():
                self.send(kind, job_id, taken, tally)
            case Skip():
                tally.skipped += 1
            case Postpone():
                tally.postponed += 1
            case Lost():
                tally.lost += 1

    def send(self, kind: JobKind, job_id: int, job: Send, tally: Tally) -> None:
        try:
            sent = self.find_earlier_send(job.message, job.doubt_before) if job.doubt_before else None
            if sent is None:
                sent = self.gateway.send(job.message)
        except SendError as error:
            self.record_failure(kind, job_id, error, job.doubt_before, tally)
            return
        self.record_sent(kind, job_id, job.message, sent)
        tally.sent += 1

    def take(self, kind: JobKind, job_id: int) -> Taken:
        """Send (marked in doubt: a send is starting); Skip when it must not be sent (marked
        so); Postpone when not now; Lost when it is no longer ours to send."""
        model, now = kind.model, self.clock()
        with session_scope(self.engine) as session:
            renewed = session.execute(
                update(model)
                .where(
                    model.id == job_id,
                    model.claimed_by == self.worker_id,
                    model.status == JobStatus.pending,
                    model.sid.is_(None),
                )
                .values(claimed_at=self.lease_clock(session))
                .execution_options(synchronize_session=False)
            ).rowcount
            if not renewed:
                return Lost()
            return self._prepare(session, kind, job_id, now)

    def take_batch(self, kind: JobKind, job_ids: list[int]) -> list[tuple[int, Taken]]:
        """`take` for a whole claimed batch, in one transaction."""
        model, now = kind.model, self.clock()
        taken: list[tuple[int, Taken]] = []
        with session_scope(self.engine) as session:
            session.execute(
                update(model)
                .where(
                    model.id.in_(job_ids),
                    model.claimed_by == self.worker_id,
                    model.status == JobStatus.pending,
                    model.sid.is_(None),
                )
                .values(claimed_at=now)
                .execution_options(synchronize_session=False)
            )
            ours = set(
                session.scalars(
                    select(model.id).where(
                        model.id.in_(job_ids),
                        model.claimed_by == self.worker_id,
                        model.status == JobStatus.pending,
                        model.sid.is_(None),
                    )
                )
            )
            for job_id in job_ids:
                taken.append((job_id, self._prepare(session, kind, job_id, now) if job_id in ours else Lost()))
        return taken

    def _prepare(self, session: Session, kind: JobKind, job_id: int, now: datetime) -> Taken:
        row = kind.load(session, job_id)
        prepared = kind.prepare(session, row, now)
        match prepared:
            case Postpone(until=until):
                row.next_attempt_at, row.claimed_at, row.claimed_by = until, None, None
                row.attempts -= 1  # not an attempt
                return prepared
            case Skip():
                kind.skip(row, prepared)
                row.claimed_at, row.claimed_by = None, None
                return prepared
        doubt_before = row.in_doubt_since
        row.in_doubt_since = doubt_before or now
        return replace(prepared, doubt_before=doubt_before)

    def record_sent_many(self, kind: JobKind, done: list[tuple[int, Outgoing, Sent]]) -> None:
        """`record_sent` for the jobs of a batch that went out, in one transaction."""
        now = self.clock()
        with session_scope(self.engine) as session:
            for job_id, message, sent in done:
                self._mark_sent(session, kind, job_id, message, sent, now)

    def find_earlier_send(self, message: Outgoing, since: datetime) -> Optional[Sent]:
        """A message an earlier attempt sent before its outcome was lost, not yet recorded."""
        candidates = self.gateway.candidates(message, since - CLOCK_MARGIN)
        if not candidates:
            return None
        with session_scope(self.engine) as session:
            taken = ledger.known_sids(session, [c.sid for c in candidates])
        return next((c for c in candidates if c.sid not in taken), None)

    def record_sent(self, kind: JobKind, job_id: int, message: Outgoing, sent: Sent) -> None:
        with session_scope(self.engine) as session:
            self._mark_sent(session, kind, job_id, message, sent, self.clock())

    def _mark_sent(
        self, session: Session, kind: JobKind, job_id: int, message: Outgoing, sent: Sent, now: datetime
    ) -> None:
        """The job's row says sent, the text joins the message log and the SMS log, once:
        a row another worker already recorded is left as it is."""
        model = kind.model
        recorded = session.execute(
            update(model)
            .where(model.id == job_id, model.sid.is_(None))
            .values(
                status=JobStatus.sent,
                sid=sent.sid,
                sent_at=now,
                claimed_at=None,
                claimed_by=None,
                in_doubt_since=None,
                next_attempt_at=None,
                error=None,
                error_code=None,
            )
            .execution_options(synchronize_session=False)
        ).rowcount
        if recorded:
            message_id = kind.sent(session, kind.load(session, job_id), now)
            self.gateway.record(session, replace(message, message_id=message_id), sent)
        else:  # only if this worker outlived its lease in the middle of one send
            log.warning("%s: job %s of %s was recorded by another worker", self.worker_id, job_id, model.__tablename__)

    def record_failure(
        self,
        kind: JobKind,
        job_id: int,
        error: SendError,
        doubt_before: Optional[datetime],
        tally: Tally,
        sending_began: bool = True,
    ) -> None:
        now = self.clock()
        with session_scope(self.engine) as session:
            row = session.get(kind.model, job_id)
            if row is None or row.sid is not None:
                return
            row.error_code, row.error = error.code, str(error)[:300]
            row.claimed_at = row.claimed_by = None
            if error.kind is Failure.permanent:
                row.status, row.in_doubt_since = JobStatus.failed, None
                if error.code == UNSUBSCRIBED:
                    kind.unsubscribed(session, row, now)
                else:
                    kind.failed(session, kind.load(session, job_id), now)
                tally.failed += 1
            elif row.attempts >= self.options.max_attempts:
                row.status = JobStatus.failed
                row.error = f"gave up after {row.attempts} attempts: {error}"[:300]
                kind.failed(session, kind.load(session, job_id), now)
                tally.failed += 1
            else:
                row.next_attempt_at = now + self.backoff(row.attempts)
                if error.kind is Failure.retry and sending_began:
                    row.in_doubt_since = doubt_before  # this attempt surely sent nothing
                tally.retrying += 1

    def backoff(self, attempts: int) -> timedelta:
        delay = self.options.backoff_base * (2 ** max(attempts - 1, 0))
        return min(delay, self.options.backoff_cap) * random.uniform(1.0, 1.25)
