"""Alerts for a clinic's staff, on SQLite and PostgreSQL."""

from datetime import datetime, timezone

import pytest
from sqlalchemy import func, select

from bot.services import clinics, conversations
from bot.store.errors import InvalidValue
from bot.store.models import Alert

NOW = datetime(2024, 6, 1, 12, 0, tzinfo=timezone.utc)


def test_record_alert(session, glow, ana):
    alert = conversations.record_alert(session, glow, ana, "red_flag", "Pus and fever since yesterday", at=NOW)
    assert (alert.clinic, alert.client, alert.kind, alert.created_at, alert.handled_at) == (
        glow,
        ana,
        "red_flag",
        NOW,
        None,
    )
    anonymous = conversations.record_alert(session, glow, None, "bot_error", "the model did not load")
    assert anonymous.client is None and anonymous.created_at.tzinfo == timezone.utc
    with pytest.raises(InvalidValue, match="alert kind"):
        conversations.record_alert(session, glow, ana, "gossip", "x")


def test_record_alert_refuses_a_client_of_another_clinic(session, glow, ana):
    bright = clinics.add(session, "bright", "Bright", "+12125550111", "America/New_York")
    with pytest.raises(InvalidValue):
        conversations.record_alert(session, bright, ana, "human_request", "call me")
    assert session.scalar(select(func.count()).select_from(Alert)) == 0
