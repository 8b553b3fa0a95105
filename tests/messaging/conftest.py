"""The fake Twilio server, a settable clock, and settings pointing at the test database."""
from __future__ import annotations

from datetime import datetime, timedelta

import pytest

from tests.fakes import sms_world
from tests.fakes.twilio_server import FakeTwilio


class Clock:
    """`clock()` is the worker's "now"; tests move it with `advance`."""

    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta) -> datetime:
        self.now += timedelta(**delta)
        return self.now


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
