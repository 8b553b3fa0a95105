"""Status words, column mappings, the service filter, and what Acuity and the webhook send."""

import json
from datetime import datetime, timedelta, timezone

import pytest

from bot.booking_systems import acuity, webhook
from bot.booking_systems.mapping import ColumnMapping
from bot.booking_systems.service_filter import ServiceFilter
from bot.booking_systems.statuses import UnknownStatus, read_status
from bot.devtools.acuity_server import FakeAcuity
from bot.store.errors import InvalidValue
from bot.store.models import TreatmentStatus

BOOKED, DONE, CANCELLED = TreatmentStatus.booked, TreatmentStatus.done, TreatmentStatus.cancelled


@pytest.mark.parametrize(
    "word, status",
    [
        ("Completed", DONE),  # Mangomint, Boulevard
        ("Checked Out", DONE),
        ("checked-out", DONE),
        ("Paid", DONE),  # booking systems that close a visit at checkout
        ("Confirmed", BOOKED),
        ("Booked", BOOKED),
        ("Awaiting Confirmation", BOOKED),  # Vagaro
        ("ACCEPTED", BOOKED),  # Square's booking status
        ("Arrived", BOOKED),  # here, not finished: the time decides
        ("Rescheduled", BOOKED),
        ("Cancelled", CANCELLED),
        ("canceled", CANCELLED),
        ("CANCELLED_BY_CUSTOMER", CANCELLED),  # Square
        ("Late Cancellation", CANCELLED),
        ("No-Show", CANCELLED),
        ("no show", CANCELLED),
        ("Declined", CANCELLED),
    ],
)
def test_status_words(word, status):
    assert read_status(word) is status


def test_an_empty_status_takes_the_default_and_an_unknown_one_is_refused():
    assert read_status("  ", default=BOOKED) is BOOKED
    with pytest.raises(UnknownStatus, match="unknown treatment status 'Lost'"):
        read_status("Lost")


def test_a_mapping_as_typed():
    mapping = ColumnMapping.parse("Client Name=name,Mobile=phone,Start Time=treatment_at,Service=service,Status=status")
    assert mapping.pairs[0] == ("Client Name", "name")
    assert mapping.locate(["Appointment ID", " client  NAME", "Mobile", "Start Time", "Service", "Status"]) == {
        1: "name",
        2: "phone",
        3: "treatment_at",
        4: "service",
        5: "status",
    }
    assert ColumnMapping.from_json(mapping.to_json()) == mapping
    assert ColumnMapping.parse(mapping.spec()) == mapping


def test_a_column_with_a_comma_is_quoted_and_first_and_last_names_and_split_times_work():
    mapping = ColumnMapping.parse('First Name=first_name,Last Name=last_name,Phone=phone,"Date, local"=date,Time=time')
    assert ("Date, local", "date") in mapping.pairs
    assert ColumnMapping.parse(mapping.spec()) == mapping


@pytest.mark.parametrize(
    "spec, fragment",
    [
        ("", "empty"),
        ("Name=name,Start=treatment_at", "needs a phone"),
        ("Mobile=phone,Start=treatment_at", "needs the client's name"),
        ("Name=name,Mobile=phone", "needs the appointment's time"),
        ("Name=name,Mobile=phone,Day=date", "needs the appointment's time"),
        ("Name=name,Mobile=phone,Start=treatment_at,Notes=notes", "unknown field 'notes'"),
        ("Name=name,Mobile=phone,Start=treatment_at,Cell=phone", "field phone is mapped twice"),
        ("Name=name,First=first_name,Mobile=phone,Start=treatment_at", "one or the other"),
        ("Name=name,Mobile=phone,Start=treatment_at,start=status", "a column is mapped twice"),
        ("Name name,Mobile=phone", "is not COLUMN=field"),
    ],
)
def test_mappings_that_cannot_work_are_refused(spec, fragment):
    with pytest.raises(InvalidValue, match=fragment):
        ColumnMapping.parse(spec)


def test_a_header_without_a_mapped_column_is_refused():
    mapping = ColumnMapping.parse("Client=name,Mobile=phone,Start=treatment_at")
    with pytest.raises(InvalidValue, match="no column 'Mobile'"):
        mapping.locate(["Client", "Phone", "Start"])
    with pytest.raises(InvalidValue, match="twice"):
        mapping.locate(["Client", "Mobile", "Start", "mobile"])


@pytest.mark.parametrize(
    "service, wanted",
    [
        ("Microneedling", True),
        ("Microneedling with PRP", True),
        ("Micro-Needling (face + neck)", True),
        ("Collagen Induction Therapy", True),
        ("SkinPen Precision", True),
        ("DERMAPEN 4", True),
        ("Botox - 20 units", False),
        ("HydraFacial", False),
        ("", False),
    ],
)
def test_the_default_service_filter(service, wanted):
    assert ServiceFilter().matches(service) is wanted


def test_a_bad_service_filter_is_refused():
    with pytest.raises(InvalidValue, match="not a regular expression"):
        ServiceFilter("micro(needling")


def test_acuity_notifications_and_appointments():
    note = acuity.read_notification(b"action=rescheduled&id=900000001&calendarID=4455&appointmentTypeID=31001")
    assert (note.action, note.appointment_id, note.about_an_appointment) == ("rescheduled", "900000001", True)
    assert not acuity.read_notification(b"action=order.completed&id=12").about_an_appointment
    for body in (b"id=1", b"action=scheduled&id=abc", b"\xff\xfe"):
        with pytest.raises(acuity.Unreadable):
            acuity.read_notification(body)

    fake = FakeAcuity()
    start = datetime(2026, 11, 21, 19, 30, tzinfo=timezone.utc)
    payload = fake.book("Ana", "Diaz", "(212) 555-0123", start, minutes=75)
    assert payload["datetime"] == "2026-11-21T14:30:00-0500"  # Acuity's own form, no colon in the offset
    appointment = acuity.read_appointment(json.loads(json.dumps(payload)))
    assert (appointment.name, appointment.start, appointment.end) == ("Ana Diaz", start, start + timedelta(minutes=75))
    assert not appointment.canceled
    for broken in (
        [],
        {**payload, "datetime": "November 21"},
        {**payload, "duration": "long"},
        {**payload, "id": None},
    ):
        with pytest.raises(acuity.Unreadable):
            acuity.read_appointment(broken)


def test_webhook_events():
    event = webhook.read_event(
        json.dumps(
            {
                "event_id": "evt_1",
                "booking_id": 1001,
                "start": "2026-11-21T14:30:00-05:00",
                "end": "2026-11-21T15:30:00-05:00",
                "name": "Ana Diaz",
                "phone": "+12125550123",
                "service": "Microneedling",
                "zap_meta": {"ignored": True},
            }
        ).encode()
    )
    assert (event.booking_id, event.status, event.event_id) == ("1001", "booked", "evt_1")
    assert event.treatment_at == datetime(2026, 11, 21, 20, 30, tzinfo=timezone.utc)


@pytest.mark.parametrize(
    "body, fragment",
    [
        (b"booking_id=1", "JSON object"),
        (b"[1, 2]", "JSON object"),
        (b'{"start": "2026-11-21T14:30:00Z"}', "booking_id is required"),
        (b'{"booking_id": "A1"}', "start is required"),
        (b'{"booking_id": "A1", "start": "2026-11-21 14:30"}', "has no offset"),
        (b'{"booking_id": "A1", "start": "next tuesday"}', "ISO 8601"),
        (b'{"booking_id": "A1", "start": "2026-11-21T14:30:00Z", "name": 7}', "name must be a string"),
        (b'{"booking_id": "A1", "start": "2026-11-21T14:30:00Z", "end": "2026-11-21T13:30:00Z"}', "end is before"),
        (b'{"booking_id": "' + b"x" * 200 + b'", "start": "2026-11-21T14:30:00Z"}', "too long"),
    ],
)
def test_malformed_webhook_events(body, fragment):
    with pytest.raises(webhook.BadEvent, match=fragment):
        webhook.read_event(body)
