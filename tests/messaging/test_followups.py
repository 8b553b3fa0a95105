"""Follow-up rows follow their treatments: created, moved, cancelled, skipped, revived."""

from datetime import datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest
from click.testing import CliRunner

from bot.cli import main
from bot.messaging import followups
from bot.services import clients, importer
from bot.store.messaging_models import JobStatus
from bot.store.models import TreatmentStatus
from tests.fakes import sms_world

NY = ZoneInfo("America/New_York")
TREATED = datetime(2024, 5, 1, 14, 0, tzinfo=NY)
NOW = datetime(2024, 5, 1, 15, 0, tzinfo=NY)
STEPS = ["day0_evening", "day1_morning", "day3_peeling", "day7_results", "rebook"]


def by_step(rows, treatment=None):
    return {r.step_key: r for r in rows if treatment is None or r.treatment_id == treatment.id}


def local(row):
    return row.due_at.astimezone(NY).replace(tzinfo=None)


@pytest.fixture
def ana(session):
    clinic = sms_world.add_clinic(session)
    client = sms_world.add_client(session, clinic)
    session.commit()
    return client


def test_recording_a_treatment_schedules_the_protocol(session, ana):
    treatment = sms_world.add_treatment(session, ana, TREATED, NOW)
    rows = by_step(followups.for_client(session, ana.id))
    assert list(rows) == STEPS
    assert {k: (r.status, local(r)) for k, r in rows.items()} == {
        "day0_evening": (JobStatus.pending, datetime(2024, 5, 1, 19, 0)),
        "day1_morning": (JobStatus.pending, datetime(2024, 5, 2, 9, 0)),
        "day3_peeling": (JobStatus.pending, datetime(2024, 5, 4, 10, 0)),
        "day7_results": (JobStatus.pending, datetime(2024, 5, 8, 11, 0)),
        "rebook": (JobStatus.pending, datetime(2024, 6, 5, 11, 0)),
    }
    assert all(r.treatment_id == treatment.id and r.clinic_id == ana.clinic_id for r in rows.values())


def test_steps_already_past_when_recorded_are_skipped(session, ana):
    sms_world.add_treatment(session, ana, TREATED, now=TREATED + timedelta(days=2))
    rows = by_step(followups.for_client(session, ana.id))
    assert rows["day0_evening"].status == rows["day1_morning"].status == JobStatus.skipped
    assert rows["day0_evening"].reason == followups.PAST
    assert rows["day3_peeling"].status == JobStatus.pending


def test_a_booked_treatment_follows_its_booked_time_and_moves_with_it(session, ana):
    booked = sms_world.add_treatment(session, ana, TREATED + timedelta(days=9), NOW, status="booked")
    rows = by_step(followups.for_client(session, ana.id))
    assert local(rows["day0_evening"]) == datetime(2024, 5, 10, 19, 0)
    rows["day0_evening"].status, rows["day0_evening"].sid = JobStatus.sent, "SMsent"  # as if it went out

    booked.performed_at = TREATED + timedelta(days=12)  # rescheduled
    followups.sync_treatment(session, booked, NOW)
    rows = by_step(followups.for_client(session, ana.id))
    assert rows["day0_evening"].status == JobStatus.sent and local(rows["day0_evening"]) == datetime(2024, 5, 10, 19, 0)
    assert local(rows["day1_morning"]) == datetime(2024, 5, 14, 9, 0)
    assert local(rows["rebook"]) == datetime(2024, 6, 17, 11, 0)
    assert len(followups.for_client(session, ana.id)) == 5  # moved, not duplicated


def test_moving_a_treatment_into_the_past_skips_what_is_now_late(session, ana):
    booked = sms_world.add_treatment(session, ana, TREATED + timedelta(days=1), NOW, status="booked")
    booked.performed_at, booked.status = TREATED - timedelta(days=2), TreatmentStatus.done
    followups.sync_treatment(session, booked, NOW)
    rows = by_step(followups.for_client(session, ana.id))
    assert [rows[k].status for k in STEPS] == [
        JobStatus.skipped,
        JobStatus.skipped,
        JobStatus.pending,
        JobStatus.pending,
        JobStatus.pending,
    ]


def test_cancelling_a_treatment_cancels_what_was_not_sent(session, ana):
    treatment = sms_world.add_treatment(session, ana, TREATED, NOW)
    rows = by_step(followups.for_client(session, ana.id))
    rows["day0_evening"].status, rows["day0_evening"].sid = JobStatus.sent, "SMsent"
    treatment.status = TreatmentStatus.cancelled
    followups.sync_treatment(session, treatment, NOW)
    rows = by_step(followups.for_client(session, ana.id))
    assert rows["day0_evening"].status == JobStatus.sent
    assert {rows[k].status for k in STEPS[1:]} == {JobStatus.cancelled}
    assert rows["day1_morning"].reason == followups.TREATMENT_CANCELLED

    treatment.status = TreatmentStatus.booked  # un-cancelled: what is still ahead comes back
    followups.sync_treatment(session, treatment, NOW)
    assert {r.status for k, r in by_step(followups.for_client(session, ana.id)).items() if k != "day0_evening"} == {
        JobStatus.pending
    }


def test_opting_out_cancels_and_opting_back_in_revives_what_is_ahead(session, ana):
    sms_world.add_treatment(session, ana, TREATED, NOW)
    clients.set_opted_out(session, ana, True, NOW)
    assert {r.status for r in followups.for_client(session, ana.id)} == {JobStatus.cancelled}

    back = datetime(2024, 5, 3, 12, 0, tzinfo=NY)
    clients.set_opted_out(session, ana, False, back)
    rows = by_step(followups.for_client(session, ana.id))
    assert [rows[k].status for k in STEPS] == [
        JobStatus.skipped,
        JobStatus.skipped,
        JobStatus.pending,
        JobStatus.pending,
        JobStatus.pending,
    ]


def test_a_treatment_for_an_opted_out_client_schedules_nothing(session, ana):
    clients.set_opted_out(session, ana, True, NOW)
    sms_world.add_treatment(session, ana, TREATED, NOW)
    rows = followups.for_client(session, ana.id)
    assert {(r.status, r.reason) for r in rows} == {(JobStatus.cancelled, followups.OPTED_OUT)}


def test_the_rebooking_reminder_waits_on_no_later_booking(session, ana):
    first = sms_world.add_treatment(session, ana, TREATED, NOW)
    second = sms_world.add_treatment(session, ana, TREATED + timedelta(weeks=4), NOW, status="booked")
    rows = by_step(followups.for_client(session, ana.id), first)
    assert (rows["rebook"].status, rows["rebook"].reason) == (JobStatus.skipped, followups.REBOOKED)
    assert rows["day7_results"].status == JobStatus.pending

    second.status = TreatmentStatus.cancelled
    followups.sync_treatment(session, second, NOW)
    assert by_step(followups.for_client(session, ana.id), first)["rebook"].status == JobStatus.pending


def test_a_later_treatment_takes_over_the_messages_after_it(session, ana):
    first = sms_world.add_treatment(session, ana, TREATED, NOW)
    sms_world.add_treatment(session, ana, TREATED + timedelta(days=4), NOW, status="booked")
    rows = by_step(followups.for_client(session, ana.id), first)
    assert rows["day3_peeling"].status == JobStatus.pending
    assert (rows["day7_results"].status, rows["day7_results"].reason) == (JobStatus.skipped, followups.SUPERSEDED)


def test_a_clinics_quiet_hours_and_schedule_apply(session):
    override = """
quiet_hours: {start: "18:00", end: "09:30"}
followups:
  - {key: evening, day: 0, at: "19:00", text: "Hi {first_name}"}
  - {key: later, day: 2, at: "12:00", text: "Hello again {first_name}"}
"""
    clinic = sms_world.add_clinic(session, "calm", protocol_yaml=override)
    client = sms_world.add_client(session, clinic)
    sms_world.add_treatment(session, client, TREATED, NOW)
    rows = by_step(followups.for_client(session, client.id))
    assert {k: local(r) for k, r in rows.items()} == {
        "evening": datetime(2024, 5, 2, 9, 30),  # 19:00 is quiet at this clinic: next morning
        "later": datetime(2024, 5, 3, 12, 0),
    }


def test_the_importer_moves_and_cancels_followups(session, ana):
    header = "clinic,name,phone,treatment_at,status,booking_id\n"
    importer.import_csv(session, header + "glow,Ana Diaz,+12125550123,2024-05-10 14:00,booked,B1\n", NOW)
    assert local(by_step(followups.for_client(session, ana.id))["day1_morning"]) == datetime(2024, 5, 11, 9, 0)

    importer.import_csv(session, header + "glow,Ana Diaz,+12125550123,2024-05-12 14:00,booked,B1\n", NOW)
    rows = followups.for_client(session, ana.id)
    assert len(rows) == 5 and local(by_step(rows)["day1_morning"]) == datetime(2024, 5, 13, 9, 0)

    importer.import_csv(session, header + "glow,Ana Diaz,+12125550123,2024-05-12 14:00,cancelled,B1\n", NOW)
    assert {r.status for r in followups.for_client(session, ana.id)} == {JobStatus.cancelled}


def test_the_cli_lists_reschedules_and_cancels(db_url, tmp_path, engine):
    runner = CliRunner()
    env = {"DATABASE_URL": db_url, "AFTERCARE_DATA_DIR": str(tmp_path)}

    def run(*args):
        return runner.invoke(main, list(args), env=env, catch_exceptions=False)

    assert (
        run(
            "clinic",
            "add",
            "--slug",
            "glow",
            "--name",
            "Glow",
            "--timezone",
            "America/New_York",
            "--phone",
            "+12125550100",
            "--sms-number",
            "+12125550199",
        ).exit_code
        == 0
    )
    assert run("client", "add", "--clinic", "glow", "--name", "Ana Diaz", "--phone", "+12125550123").exit_code == 0
    start = (datetime.now(timezone.utc) + timedelta(days=3)).astimezone(NY).replace(hour=14, minute=0)
    result = run("treatment", "add", "--phone", "+12125550123", "--at", f"{start:%Y-%m-%d %H:%M}", "--status", "booked")
    assert result.exit_code == 0, result.output

    listed = run("followups", "list", "--client", "+12125550123")
    assert listed.exit_code == 0
    lines = listed.stdout.splitlines()
    assert len(lines) == 6 and "day0_evening" in lines[1] and "pending" in lines[1]
    assert f"{start:%Y-%m-%d} 19:00 E" in lines[1]  # clinic local time, EST or EDT

    later = start + timedelta(days=2)
    moved = run("treatment", "reschedule", "--id", "1", "--at", f"{later:%Y-%m-%d %H:%M}")
    assert moved.exit_code == 0, moved.output
    assert "5 follow-ups pending, next day0_evening" in moved.stdout
    assert f"{later:%Y-%m-%d} 19:00 E" in run("followups", "list").stdout

    cancelled = run("treatment", "cancel", "--id", "1")
    assert cancelled.stdout.strip() == "cancelled treatment 1; 5 follow-ups will not be sent"
    assert run("followups", "list").stdout.strip() == "no follow-ups pending"
    assert "cancelled (treatment cancelled)" in run("followups", "list", "--all").stdout

    missing = run("treatment", "cancel", "--id", "99")
    assert missing.exit_code == 2 and "no treatment with id 99" in missing.stderr
