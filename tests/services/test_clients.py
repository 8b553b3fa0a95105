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


def test_search_by_name_or_number_as_typed(session, glow, ana):
    from bot.services import clients as service
    from bot.services import clinics

    cy = service.add(session, glow, "Cy Ng", "+12125550199")
    lumen = clinics.add(session, "lumen", "Lumen Clinic", "+442079460000", "Europe/London")
    ben = service.add(session, lumen, "Ben Okafor", "+447911123456")
    assert service.search(session, glow, "") == [ana, cy]  # by name
    for typed in ("ana", "DIAZ", "555-0123", "(212) 555 0123", "+1 212-555-0123", " ana  diaz "):
        assert service.search(session, glow, typed) == [ana], typed
    assert service.search(session, glow, "555") == [ana, cy]
    assert service.search(session, lumen, "07911 123456") == [ben]  # a UK number as written in the UK
    assert service.search(session, glow, "07911 123456") == []  # another clinic's client
    for nothing in ("%", "_", "\\", "zz"):
        assert service.search(session, glow, nothing) == [], nothing
    assert service.search(session, glow, "a\x00n\x07a") == [ana]  # control characters dropped
    assert len(service.search(session, glow, "", limit=1)) == 1
