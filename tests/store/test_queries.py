"""The named queries, on SQLite and PostgreSQL."""
from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import func, select

from bot import protocols
from bot.phones import InvalidPhone
from bot.recovery.protocol import ProtocolError
from bot.store import queries
from bot.store.db import session_scope
from bot.store.errors import (
    AmbiguousClient,
    DuplicateClient,
    DuplicateClinic,
    DuplicateTreatment,
    FutureTreatment,
    InvalidValue,
    UnknownClient,
    UnknownClinic,
)
from bot.store.models import Alert, Client, Clinic, TreatmentStatus

NOW = datetime(2024, 6, 1, 12, 0, tzinfo=timezone.utc)


@pytest.fixture
def glow(session):
    return queries.add_clinic(session, "glow", "Glow Skin Studio", "+12125550100", "America/New_York")


@pytest.fixture
def ana(session, glow):
    return queries.add_client(session, glow, "Ana Diaz", "(212) 555-0123")


def test_add_clinic_normalizes_and_validates(session):
    clinic = queries.add_clinic(
        session,
        "bright",
        " Bright Skin ",
        "+44 20 7183 8750",
        "Europe/London",
        booking_url="https://bright.example/book",
        sms_number="07911 123456",  # read in the clinic's country
    )
    assert (clinic.name, clinic.phone, clinic.sms_number) == ("Bright Skin", "+442071838750", "+447911123456")
    assert queries.clinic_by_slug(session, "bright") is clinic


def test_add_clinic_stores_a_valid_protocol_override(session):
    text = protocols.example_path("seed004_late_sunscreen.yml").read_text()
    clinic = queries.add_clinic(session, "bright", "Bright", "+442071838750", "Europe/London", protocol_yaml=text)
    assert clinic.protocol_yaml == text
    assert clinic.protocol.topic("sun").windows[0].end == 12


@pytest.mark.parametrize(
    "kwargs, error",
    [
        ({"timezone": "Mars/Base"}, InvalidValue),
        ({"phone": "12"}, InvalidPhone),
        ({"slug": "Not A Slug"}, InvalidValue),
        ({"booking_url": "glow.example"}, InvalidValue),
        ({"protocol_yaml": "topics:\n  sun: {windows: []}\n"}, ProtocolError),
        ({"name": "  "}, InvalidValue),
    ],
)
def test_add_clinic_refuses_bad_values(session, kwargs, error):
    values = dict(slug="glow", name="Glow", phone="+12125550100", timezone="America/New_York")
    values.update(kwargs)
    with pytest.raises(error):
        queries.add_clinic(session, **values)
    assert session.scalar(select(func.count()).select_from(Clinic)) == 0


def test_duplicate_clinic(session, glow):
    with pytest.raises(DuplicateClinic, match="glow"):
        queries.add_clinic(session, "glow", "Other", "+12125550101", "America/Chicago")
    assert queries.clinic_by_slug(session, "glow").name == "Glow Skin Studio"  # session still usable


def test_a_lost_race_on_a_unique_key_is_a_domain_error(engine, session, glow):
    session.commit()
    with session_scope(engine) as other:  # checked before the first one committed, say
        racer = Clinic(slug="glow", name="Racer", phone="+12125550101", timezone="America/Chicago")
        with pytest.raises(DuplicateClinic):
            queries._insert(other, racer, DuplicateClinic("taken"))
        assert queries.clinic_by_slug(other, "glow").name == "Glow Skin Studio"  # still usable


def test_client_counts(session, glow, ana):
    empty = queries.add_clinic(session, "bright", "Bright", "+12125550111", "America/New_York")
    assert queries.client_counts(session) == {glow.id: 1}
    assert empty.id not in queries.client_counts(session)


def test_unknown_clinic(session):
    with pytest.raises(UnknownClinic, match="'nope'"):
        queries.clinic_by_slug(session, "nope")


def test_add_client_normalizes_the_phone_and_refuses_duplicates(session, glow, ana):
    assert ana.phone == "+12125550123"
    assert ana.clinic is glow
    with pytest.raises(DuplicateClient):
        queries.add_client(session, glow, "Ana Again", "+1 212 555 0123")


def test_client_by_phone(session, glow, ana):
    assert queries.client_by_phone(session, "+12125550123") is ana
    assert queries.client_by_phone(session, "+12125550123", glow) is ana
    with pytest.raises(UnknownClient):
        queries.client_by_phone(session, "+12125550199")


def test_a_number_at_several_clinics_needs_the_clinic(session, glow, ana):
    bright = queries.add_clinic(session, "bright", "Bright", "+12125550111", "America/New_York")
    other = queries.add_client(session, bright, "Ana D.", "+12125550123")
    assert queries.clients_by_phone(session, "+12125550123") == [ana, other]
    with pytest.raises(AmbiguousClient, match="bright, glow"):
        queries.client_by_phone(session, "+12125550123")
    assert queries.client_by_phone(session, "+12125550123", bright) is other
    with pytest.raises(UnknownClient, match="at glow"):
        queries.client_by_phone(session, "+12125550177", glow)


def test_add_treatment(session, ana):
    done = queries.add_treatment(session, ana, NOW - timedelta(hours=6), now=NOW)
    assert (done.status, done.area, done.clinic_id) == (TreatmentStatus.done, "face", ana.clinic_id)
    booked = queries.add_treatment(session, ana, NOW + timedelta(days=30), status="booked", area="Neck", now=NOW)
    assert (booked.status, booked.area) == (TreatmentStatus.booked, "neck")


def test_a_done_treatment_cannot_be_in_the_future(session, ana):
    with pytest.raises(FutureTreatment):
        queries.add_treatment(session, ana, NOW + timedelta(minutes=1), now=NOW)
    with pytest.raises(FutureTreatment):  # without `now`, the current time
        queries.add_treatment(session, ana, datetime.now(timezone.utc) + timedelta(hours=1))


def test_add_treatment_refuses_naive_times_and_unknown_status(session, ana):
    with pytest.raises(InvalidValue):
        queries.add_treatment(session, ana, datetime(2024, 5, 1, 12, 0), now=NOW)
    with pytest.raises(InvalidValue):
        queries.add_treatment(session, ana, NOW, status="lost", now=NOW)


def test_duplicate_booking_id(session, ana):
    queries.add_treatment(session, ana, NOW - timedelta(days=2), external_ref="B-1", now=NOW)
    with pytest.raises(DuplicateTreatment):
        queries.add_treatment(session, ana, NOW - timedelta(days=1), external_ref="B-1", now=NOW)


def test_latest_done_treatment(session, ana):
    assert queries.latest_done_treatment(session, ana, NOW) is None
    older = queries.add_treatment(session, ana, NOW - timedelta(days=40), now=NOW)
    recent = queries.add_treatment(session, ana, NOW - timedelta(days=2), now=NOW)
    queries.add_treatment(session, ana, NOW - timedelta(days=1), status="cancelled", now=NOW)
    queries.add_treatment(session, ana, NOW + timedelta(days=20), status="booked", now=NOW)
    assert queries.latest_done_treatment(session, ana, NOW) is recent
    assert queries.latest_done_treatment(session, ana, NOW - timedelta(days=3)) is older
    # A done treatment recorded later than a given "now" is not yet the current one.
    assert queries.latest_done_treatment(session, ana, NOW - timedelta(days=41)) is None


def test_record_alert(session, glow, ana):
    alert = queries.record_alert(session, glow, ana, "red_flag", "Pus and fever since yesterday", at=NOW)
    assert (alert.clinic, alert.client, alert.kind, alert.created_at, alert.handled_at) == (glow, ana, "red_flag", NOW, None)
    anonymous = queries.record_alert(session, glow, None, "bot_error", "the model did not load")
    assert anonymous.client is None and anonymous.created_at.tzinfo == timezone.utc
    with pytest.raises(InvalidValue, match="alert kind"):
        queries.record_alert(session, glow, ana, "gossip", "x")


def test_record_alert_refuses_a_client_of_another_clinic(session, glow, ana):
    bright = queries.add_clinic(session, "bright", "Bright", "+12125550111", "America/New_York")
    with pytest.raises(InvalidValue):
        queries.record_alert(session, bright, ana, "human_request", "call me")
    assert session.scalar(select(func.count()).select_from(Alert)) == 0


def test_set_opt_out_keeps_the_first_stop(session, ana):
    queries.set_opt_out(session, ana, True, NOW)
    queries.set_opt_out(session, ana, True, NOW + timedelta(hours=1))
    assert (ana.opted_out, ana.opted_out_at) == (True, NOW)
    queries.set_opt_out(session, ana, False, NOW + timedelta(hours=2))
    assert (ana.opted_out, ana.opted_out_at) == (False, None)


def test_session_scope_commits_or_rolls_back(engine):
    with session_scope(engine) as session:
        queries.add_clinic(session, "glow", "Glow", "+12125550100", "America/New_York")
    with pytest.raises(UnknownClinic):
        with session_scope(engine) as session:
            clinic = queries.clinic_by_slug(session, "glow")
            queries.add_client(session, clinic, "Ana", "+12125550123")
            queries.clinic_by_slug(session, "nope")
    with session_scope(engine) as session:
        assert queries.clinic_by_slug(session, "glow").name == "Glow"
        assert session.scalar(select(func.count()).select_from(Client)) == 0
