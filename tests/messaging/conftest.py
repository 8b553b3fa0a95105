"""The fake Twilio server and settings pointing at the test database."""

from __future__ import annotations

import pytest

from bot.devtools.twilio_server import FakeTwilio
from tests.fakes import sms_world


@pytest.fixture
def twilio():
    with FakeTwilio() as fake:
        yield fake


@pytest.fixture
def settings(db_url, tmp_path, twilio):
    return sms_world.make_settings(db_url, tmp_path / "data", twilio)


@pytest.fixture
def offline_settings(db_url, tmp_path):
    """No Twilio credentials: texts go to the local outbox."""
    return sms_world.make_settings(db_url, tmp_path / "data")
