"""Adding clinics, on SQLite and PostgreSQL."""

import pytest
from sqlalchemy import func, select

from bot import protocols
from bot.phones import InvalidPhone
from bot.recovery.protocol import ProtocolError
from bot.services import clinics
from bot.store import queries
from bot.store.errors import DuplicateClinic, InvalidValue
from bot.store.models import Clinic


def test_add_clinic_normalizes_and_validates(session):
    clinic = clinics.add(
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
    clinic = clinics.add(session, "bright", "Bright", "+442071838750", "Europe/London", protocol_yaml=text)
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
        clinics.add(session, **values)
    assert session.scalar(select(func.count()).select_from(Clinic)) == 0


def test_duplicate_clinic(session, glow):
    with pytest.raises(DuplicateClinic, match="glow"):
        clinics.add(session, "glow", "Other", "+12125550101", "America/Chicago")
    assert queries.clinic_by_slug(session, "glow").name == "Glow Skin Studio"  # session still usable
