"""Acuity Scheduling end to end: staff book, move and cancel in (a local copy of) Acuity,
Acuity posts its signed webhook, the channel fetches the appointment from Acuity's API and
the treatment and its follow-ups follow. Forged, unsigned and repeated events change nothing."""

import logging
import threading
from datetime import datetime, timedelta, timezone

import requests

from bot.devtools.acuity_server import FACIAL_TYPE
from bot.store.booking_models import EventOutcome
from bot.store.messaging_models import JobStatus
from bot.store.models import TreatmentStatus
from tests.fakes.bookings_world import ACUITY_PATH


def hour(days: float = 0) -> datetime:
    """A whole hour `days` from now, in UTC."""
    return (datetime.now(timezone.utc) + timedelta(days=days)).replace(minute=0, second=0, microsecond=0)


def test_scheduled_creates_the_client_and_treatment_and_its_followups(booking_line):
    start = hour(days=3)
    booked = booking_line.acuity.book("Ana", "Diaz", "(212) 555-0123", start, minutes=60)
    answer = booking_line.acuity_event("scheduled", booked["id"])
    assert answer.status_code == 200, answer.text
    assert answer.json() == {"outcome": "applied"}
    assert booking_line.acuity.fetches == [str(booked["id"])]

    (client,) = booking_line.clients()
    assert (client.name, client.phone) == ("Ana Diaz", "+12125550123")
    (treatment,) = booking_line.treatments()
    assert treatment.external_ref == str(booked["id"])
    assert treatment.status is TreatmentStatus.booked
    assert treatment.performed_at == start + timedelta(minutes=60)  # aftercare starts when the treatment ends
    followups = booking_line.followups(treatment.id)
    assert len(followups) >= 4 and {f.status for f in followups} == {JobStatus.pending}
    assert min(f.due_at for f in followups) > treatment.performed_at


def test_rescheduled_moves_the_treatment_and_its_followups(booking_line):
    booked = booking_line.acuity.book("Ana", "Diaz", "+12125550123", hour(days=3))
    booking_line.acuity_event("scheduled", booked["id"])
    (before,) = booking_line.treatments()
    due_before = {f.step_key: f.due_at for f in booking_line.followups(before.id)}

    booking_line.acuity.reschedule(booked["id"], hour(days=5))
    answer = booking_line.acuity_event("rescheduled", booked["id"])
    assert answer.json() == {"outcome": "applied"}
    (after,) = booking_line.treatments()
    assert after.id == before.id and after.performed_at == before.performed_at + timedelta(days=2)
    due_after = {f.step_key: f.due_at for f in booking_line.followups(after.id)}
    assert due_after.keys() == due_before.keys()
    assert all(due_after[key] > due_before[key] for key in due_before)


def test_canceled_cancels_the_treatment_and_its_followups(booking_line):
    booked = booking_line.acuity.book("Ana", "Diaz", "+12125550123", hour(days=3))
    booking_line.acuity_event("scheduled", booked["id"])
    booking_line.acuity.cancel(booked["id"])
    assert booking_line.acuity_event("canceled", booked["id"]).json() == {"outcome": "applied"}
    (treatment,) = booking_line.treatments()
    assert treatment.status is TreatmentStatus.cancelled
    assert {f.status for f in booking_line.followups(treatment.id)} == {JobStatus.cancelled}


def test_a_forged_or_unsigned_event_changes_nothing(booking_line):
    booked = booking_line.acuity.book("Ana", "Diaz", "+12125550123", hour(days=3))
    forged = booking_line.acuity_event("scheduled", booked["id"], api_key="somebody-elses-api-key-123")
    unsigned = booking_line.acuity_event("scheduled", booked["id"], signed=False)
    assert (forged.status_code, unsigned.status_code) == (403, 403)
    assert booking_line.counts() == (0, 0, 0, 0)
    assert booking_line.acuity.fetches == []  # refused before anything was read or fetched


def test_the_same_event_twice_changes_nothing_twice(booking_line):
    booked = booking_line.acuity.book("Ana", "Diaz", "+12125550123", hour(days=3))
    first = booking_line.acuity_event("scheduled", booked["id"])
    # `changed` is Acuity's catch-all: it arrives beside `scheduled` for the same change.
    again = booking_line.acuity_event("changed", booked["id"])
    repeated = booking_line.acuity_event("scheduled", booked["id"])
    assert [first.json(), again.json(), repeated.json()] == [
        {"outcome": "applied"},
        {"outcome": "unchanged"},
        {"outcome": "unchanged"},
    ]
    clients, treatments, followups, events = booking_line.counts()
    assert (clients, treatments, events) == (1, 1, 3)
    (treatment,) = booking_line.treatments()
    assert followups == len(booking_line.followups(treatment.id))
    assert [e.outcome for e in booking_line.events()] == [
        EventOutcome.applied,
        EventOutcome.unchanged,
        EventOutcome.unchanged,
    ]


def test_deliveries_at_the_same_moment_record_one_treatment(booking_line):
    booked = booking_line.acuity.book("Ana", "Diaz", "+12125550123", hour(days=3))
    answers = []

    def deliver(action):
        answers.append(booking_line.acuity_event(action, booked["id"]).status_code)

    threads = [threading.Thread(target=deliver, args=(action,)) for action in ("scheduled", "changed") * 2]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert answers == [200] * 4
    assert booking_line.counts()[:2] == (1, 1)


def test_a_past_appointment_is_a_done_treatment(booking_line):
    booked = booking_line.acuity.book("Bea", "Lopez", "+12125550124", hour(days=-0.25), minutes=45)
    booking_line.acuity_event("scheduled", booked["id"])
    (treatment,) = booking_line.treatments()
    assert treatment.status is TreatmentStatus.done


def test_other_appointment_types_are_skipped_and_a_type_changed_away_cancels(booking_line):
    facial = booking_line.acuity.book("Cy", "Ng", "+12125550125", hour(days=2), type_id=FACIAL_TYPE)
    skipped = booking_line.acuity_event("scheduled", facial["id"])
    assert skipped.json() == {"outcome": "skipped", "reason": "not_microneedling"}
    assert booking_line.counts()[:2] == (0, 0)

    booked = booking_line.acuity.book("Ana", "Diaz", "+12125550123", hour(days=3))
    booking_line.acuity_event("scheduled", booked["id"])
    booking_line.acuity.change_type(booked["id"], FACIAL_TYPE)
    assert booking_line.acuity_event("changed", booked["id"]).json() == {"outcome": "applied"}
    (treatment,) = booking_line.treatments()
    assert treatment.status is TreatmentStatus.cancelled


def test_an_appointment_deleted_at_acuity_is_cancelled(booking_line):
    booked = booking_line.acuity.book("Ana", "Diaz", "+12125550123", hour(days=3))
    booking_line.acuity_event("scheduled", booked["id"])
    booking_line.acuity.delete(booked["id"])
    assert booking_line.acuity_event("changed", booked["id"]).json() == {"outcome": "applied"}
    assert booking_line.treatments()[0].status is TreatmentStatus.cancelled


def test_a_cancelled_appointment_never_on_file_creates_nobody(booking_line):
    booked = booking_line.acuity.book("Ana", "Diaz", "+12125550123", hour(days=3))
    booking_line.acuity.cancel(booked["id"], no_show=True)
    answer = booking_line.acuity_event("canceled", booked["id"])
    assert answer.json() == {"outcome": "skipped", "reason": "cancelled_not_on_file"}
    assert booking_line.counts()[:2] == (0, 0)


def test_when_acuity_does_not_answer_nothing_is_applied_and_a_later_delivery_works(booking_line):
    booked = booking_line.acuity.book("Ana", "Diaz", "+12125550123", hour(days=3))
    booking_line.acuity.fail_next(1, 503)
    failed = booking_line.acuity_event("scheduled", booked["id"])
    assert failed.status_code == 502 and failed.json()["error"] == "acuity_503"
    assert booking_line.counts()[:2] == (0, 0)
    assert booking_line.acuity_event("scheduled", booked["id"]).json() == {"outcome": "applied"}
    assert [(e.outcome, e.reason) for e in booking_line.events()] == [
        (EventOutcome.failed, "acuity_503"),
        (EventOutcome.applied, None),
    ]


def test_an_appointment_with_a_bad_phone_is_refused_whole(booking_line):
    booked = booking_line.acuity.book("Ana", "Diaz", "555-01", hour(days=3))
    answer = booking_line.acuity_event("scheduled", booked["id"])
    assert answer.status_code == 400 and answer.json()["error"] == "invalid_phone"
    assert booking_line.counts()[:3] == (0, 0, 0)
    assert booking_line.events()[0].reason == "invalid_phone"


def test_unknown_clinics_other_actions_and_odd_bodies(booking_line, acuity):
    booked = acuity.book("Ana", "Diaz", "+12125550123", hour(days=3))
    elsewhere = acuity.notify(booking_line.base_url + "/webhooks/bookings/acuity/nowhere", "scheduled", booked["id"])
    assert elsewhere.status_code == 403
    order = b"action=order.completed&id=77"
    from bot.devtools.acuity_server import signature

    headers = {"Content-Type": "application/x-www-form-urlencoded", "X-Acuity-Signature": signature(order)}
    assert requests.post(booking_line.base_url + ACUITY_PATH, data=order, headers=headers, timeout=10).json() == {
        "outcome": "ignored"
    }
    no_id = b"action=scheduled"
    headers["X-Acuity-Signature"] = signature(no_id)
    answer = requests.post(booking_line.base_url + ACUITY_PATH, data=no_id, headers=headers, timeout=10)
    assert answer.status_code == 400 and "appointment id" in answer.json()["message"]
    assert booking_line.counts() == (0, 0, 0, 0)


def test_a_body_over_the_limit_is_refused_before_it_is_read(booking_line):
    big = b"action=scheduled&id=1&pad=" + b"x" * 20_000
    answer = requests.post(
        booking_line.base_url + ACUITY_PATH,
        data=big,
        headers={"Content-Type": "application/x-www-form-urlencoded", "X-Acuity-Signature": "x"},
        timeout=10,
    )
    assert answer.status_code == 413


def test_nothing_personal_is_logged(booking_line, caplog):
    caplog.set_level(logging.DEBUG)
    booked = booking_line.acuity.book("Zelda", "Quintanilla", "+12125550177", hour(days=3))
    booking_line.acuity_event("scheduled", booked["id"])
    booking_line.acuity_event("scheduled", booked["id"], api_key="forged-api-key-1234567")
    assert f"acuity event for glow: scheduled {booked['id']} -> applied" in caplog.text
    for personal in ("Zelda", "Quintanilla", "2125550177", "555-0177"):
        assert personal not in caplog.text
