"""A clinic and a client, made through the services, for the service and store tests."""

import pytest

from bot.services import clients, clinics


@pytest.fixture
def glow(session):
    return clinics.add(session, "glow", "Glow Skin Studio", "+12125550100", "America/New_York")


@pytest.fixture
def ana(session, glow):
    return clients.add(session, glow, "Ana Diaz", "(212) 555-0123")


@pytest.fixture
def clinic(session, glow):
    """glow, committed: the staff tests also read it from other sessions and engines."""
    session.commit()
    return glow
