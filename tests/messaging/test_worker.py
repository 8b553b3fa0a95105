"""The worker, in-process, against the fake Twilio server: each due text goes out once;
429 and 5xx are retried with backoff, 21610 and 21211 are not; a send whose answer was
lost is found at Twilio instead of sent again; staff alerts are texted like follow-ups."""

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from click.testing import CliRunner
from sqlalchemy import func, select

from bot.cli import main
from bot.messaging import followups
from bot.messaging.gateway import Gateway
from bot.messaging.outcomes import Lost
from bot.messaging.worker import Worker, WorkerOptions
from bot.services import conversations, treatments
from bot.store import queries
from bot.store.db import database_now, session_scope
from bot.store.messaging_models import AlertDelivery, FollowUp, JobStatus, SmsMessage, Transport
from bot.store.models import Alert, Client, Treatment, TreatmentStatus
from tests.fakes import sms_world
from tests.fakes.sms_world import ALERT_PHONE, CLIENT_PHONE, CLINIC_PHONE, CLINIC_SMS, Clock

NY = ZoneInfo("America/New_York")


def last_afternoon() -> datetime:
    """The latest 15:00 in New York not after the real now: outside quiet hours, and never
    ahead of the fake server's clock (which stamps the messages it receives)."""
    now = datetime.now(NY)
    afternoon = now.replace(hour=15, minute=0, second=0, microsecond=0)
    return afternoon if afternoon <= now else afternoon - timedelta(days=1)


@pytest.fixture
def clock():
    return Clock(last_afternoon())


@pytest.fixture
def world(engine, clock):
    """Ana, treated yesterday at 15:00: day-0 evening and day-1 morning texts are due."""
    treated = clock.now - timedelta(days=1)
    with session_scope(engine) as session:
        clinic = sms_world.add_clinic(session)
        client = sms_world.add_client(session, clinic)
        sms_world.add_treatment(session, client, treated, now=treated + timedelta(minutes=1))
        return {"clinic_id": clinic.id, "client_id": client.id}


def worker(engine, settings, clock, **options):
    # One send at a time: these tests say which job meets the fake server's next failure
    # (test_worker_concurrency.py sends concurrently).
    defaults = dict(backoff_base=timedelta(seconds=10), lease=timedelta(seconds=30), concurrency=1)
    gateway = Gateway.from_settings(settings, timeout=1.0)
    # Leases follow the test's clock here; test_leases_are_timed_by_the_database_clock below
    # checks the real one.
    lease_clock = options.pop("lease_clock", lambda _session: clock.now)
    return Worker(
        engine, gateway, settings, WorkerOptions(**{**defaults, **options}), clock=clock, lease_clock=lease_clock
    )


def rows(engine, model=FollowUp):
    with session_scope(engine) as session:
        return {r.step_key if model is FollowUp else r.id: r for r in session.scalars(select(model).order_by(model.id))}


def count(engine, model):
    with session_scope(engine) as session:
        return session.scalar(select(func.count()).select_from(model))


def test_due_followups_go_out_once_through_the_rest_api(engine, settings, twilio, clock, world):
    done = worker(engine, settings, clock).run(once=True)
    assert (done.sent, done.failed) == (2, 0)
    assert [(m["from"], m["to"]) for m in twilio.messages] == [(CLINIC_SMS, CLIENT_PHONE)] * 2
    evening, morning = twilio.messages
    assert evening["body"].startswith("Hi Ana, it's Glow Skin Studio. Tonight:")
    assert "https://sms.example/webhooks/web/demo?clinic=glow#t=" in evening["body"]  # the personal chat link
    assert morning["body"].startswith("Good morning Ana!")
    assert evening["status_callback"] == "https://sms.example/webhooks/twilio/status"

    stored = rows(engine)
    assert stored["day0_evening"].status == JobStatus.sent and stored["day0_evening"].sid == evening["sid"]
    assert stored["day1_morning"].sid == morning["sid"]
    assert stored["day3_peeling"].status == JobStatus.pending
    with session_scope(engine) as session:
        logged = session.scalars(select(SmsMessage).order_by(SmsMessage.id)).all()
        assert [(m.sid, m.transport, m.purpose, m.body) for m in logged] == [
            (evening["sid"], Transport.twilio, "followup", evening["body"]),
            (morning["sid"], Transport.twilio, "followup", morning["body"]),
        ]

    again = worker(engine, settings, clock).run(once=True)
    assert again.sent == 0 and len(twilio.messages) == 2


def test_later_steps_go_out_when_their_time_comes(engine, settings, twilio, clock, world):
    worker(engine, settings, clock).run(once=True)
    clock.advance(days=2, hours=-4)  # day 3, 11:00: the peeling text (10:00) is due
    assert worker(engine, settings, clock).run(once=True).sent == 1
    assert twilio.messages[-1]["body"].startswith("Hi Ana, some dryness and flaking")


def test_without_twilio_the_texts_land_in_the_outbox_once(
    engine, offline_settings, twilio, clock, world, db_url, tmp_path
):
    assert worker(engine, offline_settings, clock).run(once=True).sent == 2
    assert worker(engine, offline_settings, clock).run(once=True).sent == 0
    assert twilio.attempts == 0
    with session_scope(engine) as session:
        outbox = session.scalars(select(SmsMessage)).all()
        assert {m.transport for m in outbox} == {Transport.outbox} and len(outbox) == 2
        assert {r.sid for r in session.scalars(select(FollowUp).where(FollowUp.status == JobStatus.sent))} == {
            m.sid for m in outbox
        }

    shown = CliRunner().invoke(
        main, ["outbox", "--limit", "5"], env={"DATABASE_URL": db_url, "AFTERCARE_DATA_DIR": str(tmp_path)}
    )
    assert shown.exit_code == 0, shown.output
    assert shown.stdout.count(f"followup  from {CLINIC_SMS} to {CLIENT_PHONE}") == 2
    assert "Good morning Ana!" in shown.stdout


def test_a_clinic_can_send_from_a_messaging_service(engine, settings, twilio, clock):
    service = "MG" + "ab" * 16
    treated = clock.now - timedelta(days=1)
    with session_scope(engine) as session:
        clinic = sms_world.add_clinic(session, sms_number=service)
        assert clinic.sms_from == service
        sms_world.add_treatment(session, sms_world.add_client(session, clinic), treated, treated + timedelta(minutes=1))
    worker(engine, settings, clock).run(once=True)
    assert {(m["from"], m["messaging_service_sid"]) for m in twilio.messages} == {(None, service)}


@pytest.mark.parametrize("kind", [429, 500])
def test_rate_limits_and_server_errors_are_retried_with_backoff(engine, settings, twilio, clock, world, kind):
    twilio.fail_next(1, kind)
    first = worker(engine, settings, clock).run(once=True)
    assert (first.sent, first.retrying) == (1, 1)
    failed = rows(engine)["day0_evening"]
    assert failed.status == JobStatus.pending and failed.sid is None and failed.attempts == 1
    assert timedelta(seconds=10) <= failed.next_attempt_at - clock.now <= timedelta(seconds=12.5)
    assert (failed.in_doubt_since is not None) == (kind == 500)  # a 5xx may have gone through

    assert worker(engine, settings, clock).run(once=True).handled == 0  # not before its time
    clock.advance(seconds=13)
    assert worker(engine, settings, clock).run(once=True).sent == 1
    assert twilio.attempts == 3 and len(twilio.messages) == 2
    assert len({m["body"] for m in twilio.messages}) == 2
    assert rows(engine)["day0_evening"].attempts == 2


def test_backoff_doubles_and_then_gives_up(engine, settings, twilio, clock, world):
    twilio.fail_next(100, 429)
    run = worker(engine, settings, clock, max_attempts=3)
    waits = []
    for _ in range(3):
        run.run(once=True)
        row = rows(engine)["day0_evening"]
        if row.status == JobStatus.pending:
            waits.append(row.next_attempt_at - clock.now)
            clock.now = row.next_attempt_at
    assert len(waits) == 2 and waits[1] > waits[0] * 1.5
    row = rows(engine)["day0_evening"]
    assert row.status == JobStatus.failed and row.error.startswith("gave up after 3 attempts")


def test_an_unsubscribed_number_fails_for_good_and_opts_the_client_out(engine, settings, twilio, clock, world):
    twilio.unsubscribe(CLIENT_PHONE)
    done = worker(engine, settings, clock).run(once=True)
    assert (done.sent, done.failed) == (0, 1)
    assert twilio.attempts == 1  # the second text was cancelled before its turn
    stored = rows(engine)
    assert (stored["day0_evening"].status, stored["day0_evening"].error_code) == (JobStatus.failed, 21610)
    assert {stored[k].status for k in ("day1_morning", "day3_peeling", "day7_results", "rebook")} == {
        JobStatus.cancelled
    }
    with session_scope(engine) as session:
        assert session.get(Client, world["client_id"]).opted_out is True
    clock.advance(days=10)
    assert worker(engine, settings, clock).run(once=True).handled == 0 and twilio.attempts == 1


def test_an_invalid_number_fails_without_retry(engine, settings, twilio, clock, world):
    twilio.fail_next(1, 21211)
    done = worker(engine, settings, clock).run(once=True)
    # The other follow-up went out, and the staff's alert phone was told of the failed one.
    assert (done.sent, done.failed, done.retrying) == (2, 1, 0)
    assert (rows(engine)["day0_evening"].status, rows(engine)["day0_evening"].error_code) == (JobStatus.failed, 21211)
    [told] = [m["body"] for m in twilio.messages if m["to"] == ALERT_PHONE]
    assert "day0_evening" in told and "invalid 'To' number" in told
    with session_scope(engine) as session:
        [alert] = session.scalars(select(Alert)).all()
        assert (alert.kind.value, alert.client_id) == ("followup_failed", world["client_id"])
    clock.advance(hours=1)
    worker(engine, settings, clock).run(once=True)
    assert twilio.attempts == 3
    with session_scope(engine) as session:
        assert session.get(Client, world["client_id"]).opted_out is False


def test_a_send_whose_answer_was_lost_is_found_not_repeated(engine, settings, twilio, clock, world):
    twilio.delay = 2.0  # Twilio takes the message but answers after the worker's 1 s timeout
    first = worker(engine, settings, clock).run(once=True)
    assert first.retrying == 2 and len(twilio.messages) == 2
    assert all(r.in_doubt_since is not None for r in rows(engine).values() if r.attempts)

    twilio.delay = 0
    clock.advance(seconds=13)
    assert worker(engine, settings, clock).run(once=True).sent == 2
    assert twilio.attempts == 2 and len(twilio.messages) == 2  # nothing sent twice
    assert {r.sid for r in rows(engine).values() if r.status == JobStatus.sent} == {m["sid"] for m in twilio.messages}


def test_a_worker_that_died_mid_send_is_covered_by_the_next(engine, settings, twilio, clock, world):
    dead = worker(engine, settings, clock, lease=timedelta(seconds=30))
    claimed = dead.claim(dead.kinds[0])
    taken = dead.take(dead.kinds[0], claimed[0])
    dead.gateway.send(taken.message)  # ... and the process dies before recording it

    survivor = worker(engine, settings, clock, lease=timedelta(seconds=30))
    assert survivor.run(once=True).sent == 0  # the dead worker's lease still holds
    clock.advance(seconds=31)
    assert survivor.run(once=True).sent == 2
    assert len(twilio.messages) == 2 and twilio.attempts == 2


def test_leases_are_timed_by_the_database_clock(engine, settings, twilio, clock, world):
    holder = worker(engine, settings, clock, lease_clock=database_now)
    claimed = holder.claim(holder.kinds[0])
    assert claimed
    with session_scope(engine) as session:
        held = [r.claimed_at for r in session.scalars(select(FollowUp).where(FollowUp.id.in_(claimed)))]
        assert all(abs(at - database_now(session)) < timedelta(seconds=5) for at in held)
    # A second worker whose own clock runs ten minutes ahead still sees the lease held.
    clock.advance(minutes=10)
    ahead = worker(engine, settings, clock, lease_clock=database_now)
    assert ahead.run(once=True).sent == 0 and twilio.attempts == 0
    assert not any(isinstance(holder.take(holder.kinds[0], job_id), Lost) for job_id in claimed)


def test_a_worker_that_outlived_its_lease_does_not_send_twice(engine, settings, twilio, clock, world):
    slow = worker(engine, settings, clock, lease=timedelta(seconds=30))
    claimed = slow.claim(slow.kinds[0])
    clock.advance(seconds=31)
    assert worker(engine, settings, clock).run(once=True).sent == 2  # took over the expired claims
    for job_id in claimed:
        assert slow.take(slow.kinds[0], job_id) == Lost()
    assert len(twilio.messages) == 2


def test_a_text_due_before_quiet_hours_but_sent_late_waits_for_the_morning(engine, settings, twilio, clock, world):
    clock.now = (clock.now - timedelta(days=1)).replace(hour=22)  # the worker was behind: 22:00 in New York
    done = worker(engine, settings, clock).run(once=True)
    assert (done.postponed, done.sent) == (1, 0) and twilio.attempts == 0
    row = rows(engine)["day0_evening"]
    assert row.next_attempt_at.astimezone(NY) == (clock.now + timedelta(days=1)).replace(hour=8)
    assert row.attempts == 0  # waiting is not an attempt

    clock.now = row.next_attempt_at
    assert worker(engine, settings, clock).run(once=True).sent == 1
    assert twilio.messages[0]["body"].startswith("Hi Ana, it's Glow Skin Studio.")


def test_texts_more_than_a_day_late_are_dropped(engine, settings, twilio, clock, world):
    clock.advance(days=1, hours=2)  # the worker was down for a day
    done = worker(engine, settings, clock).run(once=True)
    assert (done.sent, done.skipped) == (0, 2) and twilio.attempts == 0
    assert {rows(engine)[k].reason for k in ("day0_evening", "day1_morning")} == {"more than 24 hours late"}
    assert rows(engine)["day3_peeling"].status == JobStatus.pending


def test_the_rebooking_text_is_not_sent_after_a_new_booking(engine, settings, twilio, clock, world):
    with session_scope(engine) as session:
        client = session.get(Client, world["client_id"])
        # booked straight into the table, as another process might: the worker checks itself
        session.add(
            Treatment(client=client, performed_at=clock.now + timedelta(days=40), status=TreatmentStatus.booked)
        )
    clock.advance(days=34, hours=-2)
    worker(engine, settings, clock).run(once=True)
    rebook = rows(engine)["rebook"]
    assert (rebook.status, rebook.reason) == (JobStatus.skipped, followups.REBOOKED)
    assert not any("Book here" in body for body in twilio.bodies())


def test_an_appointment_whose_time_has_come_is_done_for_the_assistant(engine, settings, twilio, clock, world):
    with session_scope(engine) as session:
        client = session.get(Client, world["client_id"])
        # A booking system's appointment for this afternoon, recorded this morning.
        appointment = treatments.add(session, client, clock.now + timedelta(hours=1), status="booked", now=clock.now)
        appointment_id = appointment.id
    clock.advance(hours=2)
    worker(engine, settings, clock).run(once=True)
    with session_scope(engine) as session:
        assert session.get(Treatment, appointment_id).status is TreatmentStatus.done
        latest = queries.latest_done_treatment(session, session.get(Client, world["client_id"]), clock.now)
        assert latest.id == appointment_id


def test_nothing_goes_to_a_client_who_opted_out(engine, settings, twilio, clock, world):
    with session_scope(engine) as session:
        session.get(Client, world["client_id"]).opted_out = True  # flag set without the usual sync
    done = worker(engine, settings, clock).run(once=True)
    assert done.sent == 0 and twilio.attempts == 0
    assert rows(engine)["day0_evening"].reason == followups.OPTED_OUT


def test_staff_alerts_are_texted_to_the_alert_phone_once(engine, settings, twilio, clock, world):
    with session_scope(engine) as session:
        clinic = queries.clinic_by_slug(session, "glow")
        client = session.get(Client, world["client_id"])
        conversations.record_alert(session, clinic, client, "red_flag", "my face is swelling and I feel hot")
        handled = conversations.record_alert(session, clinic, client, "human_request", "call me")
        handled.handled_at = clock.now  # staff saw it first
    run = worker(engine, settings, clock)
    run.run(once=True)
    run.run(once=True)
    assert not [m for m in twilio.messages if m["to"] == CLINIC_PHONE]  # the front desk's line
    alerts = [m for m in twilio.messages if m["to"] == ALERT_PHONE]
    assert [(m["from"], m["body"]) for m in alerts] == [
        (
            CLINIC_SMS,
            "Glow Skin Studio aftercare: RED FLAG, Ana Diaz (212) 555-0123: my face is swelling and I feel hot",
        )
    ]
    assert count(engine, AlertDelivery) == 1


def test_without_an_alert_phone_alerts_are_for_the_console_only(engine, settings, twilio, clock):
    with session_scope(engine) as session:
        clinic = sms_world.add_clinic(session, alert_phone=None)
        alert = conversations.record_alert(session, clinic, None, "red_flag", "my lips are swelling")
        assert alert.text_wanted is False
    done = worker(engine, settings, clock).run(once=True)
    assert done.handled == 0 and twilio.attempts == 0 and count(engine, AlertDelivery) == 0


def test_a_failed_alert_text_is_kept_for_the_console(engine, settings, twilio, clock):
    with session_scope(engine) as session:
        clinic = sms_world.add_clinic(session)
        alert_id = conversations.record_alert(session, clinic, None, "bot_error", "the assistant failed").id
    twilio.fail_next(1, 21614)  # the alert phone cannot receive texts
    done = worker(engine, settings, clock).run(once=True)
    assert done.failed == 1
    with session_scope(engine) as session:
        text = conversations.alert_texts(session, [alert_id])[alert_id]
        assert (text.status.value, text.error_code) == ("failed", 21614)


def test_an_unreachable_twilio_is_retried_without_doubt(engine, db_url, tmp_path, clock, world):
    from tests.fakes.sanic_server import free_port

    settings = sms_world.make_settings(
        db_url,
        tmp_path / "down",
        TWILIO_ACCOUNT_SID="AC1",
        TWILIO_AUTH_TOKEN="t",
        TWILIO_API_URL=f"http://127.0.0.1:{free_port()}",
    )  # nothing listens
    done = worker(engine, settings, clock).run(once=True)
    assert done.retrying == 2
    row = rows(engine)["day0_evening"]
    assert row.in_doubt_since is None and row.next_attempt_at > clock.now  # refused: surely not sent


def test_followups_list_shows_a_retry(engine, settings, twilio, clock, world, db_url, tmp_path):
    twilio.fail_next(1, 429)
    worker(engine, settings, clock).run(once=True)
    listed = CliRunner().invoke(
        main,
        ["followups", "list", "--client", CLIENT_PHONE],
        env={"DATABASE_URL": db_url, "AFTERCARE_DATA_DIR": str(tmp_path)},
    )
    evening = next(line for line in listed.stdout.splitlines() if "day0_evening" in line)
    assert "pending (rate limited (429); next try " in evening
    assert "sent" in next(line for line in listed.stdout.splitlines() if "day1_morning" in line)
