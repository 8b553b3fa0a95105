"""The named reads and the one insert, on SQLite and PostgreSQL."""

from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import func, select

from bot.services import clients, clinics, treatments
from bot.store import queries
from bot.store.db import session_scope
from bot.store.errors import AmbiguousClient, DuplicateClinic, UnknownClient, UnknownClinic
from bot.store.models import Client, Clinic

NOW = datetime(2024, 6, 1, 12, 0, tzinfo=timezone.utc)


@pytest.fixture
def glow(session):
    return clinics.add(session, "glow", "Glow Skin Studio", "+12125550100", "America/New_York")


@pytest.fixture
def ana(session, glow):
    return clients.add(session, glow, "Ana Diaz", "(212) 555-0123")


def test_a_lost_race_on_a_unique_key_is_a_domain_error(engine, session, glow):
    session.commit()
    with session_scope(engine) as other:  # checked before the first one committed, say
        racer = Clinic(slug="glow", name="Racer", phone="+12125550101", timezone="America/Chicago")
        with pytest.raises(DuplicateClinic):
            queries.insert(other, racer, DuplicateClinic("taken"))
        assert queries.clinic_by_slug(other, "glow").name == "Glow Skin Studio"  # still usable


def test_client_counts(session, glow, ana):
    empty = clinics.add(session, "bright", "Bright", "+12125550111", "America/New_York")
    assert queries.client_counts(session) == {glow.id: 1}
    assert empty.id not in queries.client_counts(session)


def test_unknown_clinic(session):
    with pytest.raises(UnknownClinic, match="'nope'"):
        queries.clinic_by_slug(session, "nope")


def test_client_by_phone(session, glow, ana):
    assert queries.client_by_phone(session, "+12125550123") is ana
    assert queries.client_by_phone(session, "+12125550123", glow) is ana
    with pytest.raises(UnknownClient):
        queries.client_by_phone(session, "+12125550199")


def test_a_number_at_several_clinics_needs_the_clinic(session, glow, ana):
    bright = clinics.add(session, "bright", "Bright", "+12125550111", "America/New_York")
    other = clients.add(session, bright, "Ana D.", "+12125550123")
    assert queries.clients_by_phone(session, "+12125550123") == [ana, other]
    with pytest.raises(AmbiguousClient, match="bright, glow"):
        queries.client_by_phone(session, "+12125550123")
    assert queries.client_by_phone(session, "+12125550123", bright) is other
    with pytest.raises(UnknownClient, match="at glow"):
        queries.client_by_phone(session, "+12125550177", glow)


def test_latest_done_treatment(session, ana):
    assert queries.latest_done_treatment(session, ana, NOW) is None
    older = treatments.add(session, ana, NOW - timedelta(days=40), now=NOW)
    recent = treatments.add(session, ana, NOW - timedelta(days=2), now=NOW)
    treatments.add(session, ana, NOW - timedelta(days=1), status="cancelled", now=NOW)
    treatments.add(session, ana, NOW + timedelta(days=20), status="booked", now=NOW)
    assert queries.latest_done_treatment(session, ana, NOW) is recent
    assert queries.latest_done_treatment(session, ana, NOW - timedelta(days=3)) is older
    # A done treatment recorded later than a given "now" is not yet the current one.
    assert queries.latest_done_treatment(session, ana, NOW - timedelta(days=41)) is None


def test_session_scope_commits_or_rolls_back(engine):
    with session_scope(engine) as session:
        clinics.add(session, "glow", "Glow", "+12125550100", "America/New_York")
    with pytest.raises(UnknownClinic), session_scope(engine) as session:
        clinic = queries.clinic_by_slug(session, "glow")
        clients.add(session, clinic, "Ana", "+12125550123")
        queries.clinic_by_slug(session, "nope")
    with session_scope(engine) as session:
        assert queries.clinic_by_slug(session, "glow").name == "Glow"
        assert session.scalar(select(func.count()).select_from(Client)) == 0
