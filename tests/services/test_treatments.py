"""Recording, rescheduling and cancelling treatments, on SQLite and PostgreSQL."""

from datetime import datetime, timedelta, timezone

import pytest

from bot.messaging import followups
from bot.services import treatments
from bot.store.errors import DuplicateTreatment, FutureTreatment, InvalidValue
from bot.store.models import TreatmentStatus

NOW = datetime(2024, 6, 1, 12, 0, tzinfo=timezone.utc)


def test_add_treatment(session, ana):
    done = treatments.add(session, ana, NOW - timedelta(hours=6), now=NOW)
    assert (done.status, done.area, done.clinic_id) == (TreatmentStatus.done, "face", ana.clinic_id)
    booked = treatments.add(session, ana, NOW + timedelta(days=30), status="booked", area="Neck", now=NOW)
    assert (booked.status, booked.area) == (TreatmentStatus.booked, "neck")


def test_a_done_treatment_cannot_be_in_the_future(session, ana):
    with pytest.raises(FutureTreatment):
        treatments.add(session, ana, NOW + timedelta(minutes=1), now=NOW)
    with pytest.raises(FutureTreatment):  # without `now`, the current time
        treatments.add(session, ana, datetime.now(timezone.utc) + timedelta(hours=1))


def test_add_treatment_refuses_naive_times_and_unknown_status(session, ana):
    with pytest.raises(InvalidValue):
        treatments.add(session, ana, datetime(2024, 5, 1, 12, 0), now=NOW)
    with pytest.raises(InvalidValue):
        treatments.add(session, ana, NOW, status="lost", now=NOW)


def test_duplicate_booking_id(session, ana):
    treatments.add(session, ana, NOW - timedelta(days=2), external_ref="B-1", now=NOW)
    with pytest.raises(DuplicateTreatment):
        treatments.add(session, ana, NOW - timedelta(days=1), external_ref="B-1", now=NOW)


def test_booked_treatments_whose_time_has_come_are_done(session, ana):
    soon = treatments.add(session, ana, NOW + timedelta(hours=2), status="booked", now=NOW)
    later = treatments.add(session, ana, NOW + timedelta(days=30), status="booked", now=NOW)
    dropped = treatments.add(session, ana, NOW + timedelta(hours=1), status="booked", now=NOW)
    treatments.cancel(session, dropped, now=NOW)
    due = {f.step_key: (f.status, f.due_at) for f in followups.for_client(session, ana.id) if f.treatment_id == soon.id}

    assert treatments.complete_past(session, NOW + timedelta(hours=3)) == 1
    assert (soon.status, later.status, dropped.status) == (
        TreatmentStatus.done,
        TreatmentStatus.booked,
        TreatmentStatus.cancelled,
    )
    after = {
        f.step_key: (f.status, f.due_at) for f in followups.for_client(session, ana.id) if f.treatment_id == soon.id
    }
    assert after == due  # its follow-ups were already scheduled from the booked time
    assert treatments.complete_past(session, NOW + timedelta(hours=3)) == 0
