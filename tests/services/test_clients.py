"""Adding clients, finding them by a typed number, opting out and in, on SQLite and PostgreSQL."""

from datetime import datetime, timedelta, timezone

import pytest

from bot.services import clients
from bot.store.errors import DuplicateClient

NOW = datetime(2024, 6, 1, 12, 0, tzinfo=timezone.utc)


def test_add_client_normalizes_the_phone_and_refuses_duplicates(session, glow, ana):
    assert ana.phone == "+12125550123"
    assert ana.clinic is glow
    with pytest.raises(DuplicateClient):
        clients.add(session, glow, "Ana Again", "+1 212 555 0123")


def test_set_opt_out_keeps_the_first_stop(session, ana):
    clients.set_opted_out(session, ana, True, NOW)
    clients.set_opted_out(session, ana, True, NOW + timedelta(hours=1))
    assert (ana.opted_out, ana.opted_out_at) == (True, NOW)
    clients.set_opted_out(session, ana, False, NOW + timedelta(hours=2))
    assert (ana.opted_out, ana.opted_out_at) == (False, None)
