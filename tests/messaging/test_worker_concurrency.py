"""A worker sends a batch concurrently, a bounded number at a time, and still exactly
once: against the fake Twilio server answering in 200 ms, as Twilio's API takes its time."""

import itertools
import time
from datetime import datetime, timedelta, timezone

from sqlalchemy import func, select

from bot.devtools.twilio_server import FakeTwilio
from bot.messaging.gateway import Gateway
from bot.messaging.worker import Worker, WorkerOptions
from bot.store.conversation_models import LoggedMessage, MessageKind
from bot.store.db import session_scope
from bot.store.messaging_models import FollowUp, JobStatus, SmsMessage
from tests.fakes import sms_world

LATENCY = 0.2


def make_worker(engine, settings, **options):
    return Worker(engine, Gateway.from_settings(settings, timeout=5.0), settings, WorkerOptions(**options))


def most_started_within(stamps, window):
    """The most sends that began within any `window` seconds: how many were in flight."""
    stamps = sorted(stamps)
    return max(sum(1 for t in stamps[i:] if t - start < window) for i, start in enumerate(stamps))


def sent_count(engine):
    with session_scope(engine) as session:
        return session.scalar(select(func.count()).select_from(FollowUp).where(FollowUp.status == JobStatus.sent))


def test_a_batch_goes_out_concurrently_bounded_and_once(engine, db_url, tmp_path):
    with FakeTwilio(delay=LATENCY, status_callbacks=False) as twilio:
        settings = sms_world.make_settings(db_url, tmp_path / "data", twilio)
        sms_world.seed_due_followups(engine, 40, datetime.now(timezone.utc))
        stamps: list[float] = []
        twilio.on_message = lambda message: stamps.append(time.monotonic())
        done = make_worker(engine, settings, batch=40, concurrency=8).run(once=True)
    assert done.sent == 40 and sent_count(engine) == 40
    bodies = twilio.bodies()
    assert len(bodies) == 40 and len(set(bodies)) == 40  # none twice, none lost
    # Each of the 8 senders waits 200 ms for every answer: never more than 8 under way.
    in_flight = most_started_within(stamps, LATENCY * 0.9)
    assert 2 <= in_flight <= 8
    # Sent together, each is still in the client's conversation, its SMS rows pointing there.
    with session_scope(engine) as session:
        logged = session.scalars(select(LoggedMessage).where(LoggedMessage.kind == MessageKind.followup)).all()
        assert sorted(m.followup_id for m in logged) == sorted(session.scalars(select(FollowUp.id)).all())
        sms_rows = session.scalars(select(SmsMessage).where(SmsMessage.purpose == "followup")).all()
        assert len(sms_rows) == 40 and {row.message_id for row in sms_rows} == {m.id for m in logged}


def test_one_at_a_time_when_asked(engine, db_url, tmp_path):
    with FakeTwilio(delay=0.05, status_callbacks=False) as twilio:
        settings = sms_world.make_settings(db_url, tmp_path / "data", twilio)
        sms_world.seed_due_followups(engine, 6, datetime.now(timezone.utc))
        stamps: list[float] = []
        twilio.on_message = lambda message: stamps.append(time.monotonic())
        make_worker(engine, settings, concurrency=1).run(once=True)
    assert all(b - a >= 0.05 for a, b in itertools.pairwise(sorted(stamps)))


def test_a_worker_killed_with_half_a_batch_sent_is_finished_without_doubles(engine, db_url, tmp_path):
    with FakeTwilio(status_callbacks=False) as twilio:
        settings = sms_world.make_settings(db_url, tmp_path / "data", twilio)
        sms_world.seed_due_followups(engine, 10, datetime.now(timezone.utc))
        lease = timedelta(seconds=30)
        now = datetime.now(timezone.utc)
        dead = make_worker(engine, settings, lease=lease, concurrency=4)
        dead.clock = lambda: now
        dead.lease_clock = lambda _session: now  # leases follow this test's clock too
        kind = dead.kinds[0]
        taken = dead.take_batch(kind, dead.claim(kind))
        for _job_id, job in taken[:5]:
            dead.attempt(job)  # five went out; the process dies before recording any
        survivor = make_worker(engine, settings, lease=lease, concurrency=4)
        survivor.clock = lambda: now + lease + timedelta(seconds=1)
        survivor.lease_clock = lambda _session: now + lease + timedelta(seconds=1)
        done = survivor.run(once=True)
    assert done.sent == 10 and sent_count(engine) == 10
    bodies = twilio.bodies()
    assert len(bodies) == 10 and len(set(bodies)) == 10  # the five in doubt were found, not resent
