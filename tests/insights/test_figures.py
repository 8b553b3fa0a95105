"""A clinic's insights from a scripted month, on SQLite and PostgreSQL: exactly the
figures counted from the script."""

from __future__ import annotations

from sqlalchemy import select

from bot.services import insights
from bot.store.models import Clinic
from tests.insights.month import NOW, expected, seed


def test_a_scripted_month_gives_the_figures_counted_from_the_script(session):
    seed(session)
    session.commit()
    glow = session.scalar(select(Clinic).where(Clinic.slug == "glow"))
    got = insights.figures(session, glow, 30, NOW).as_json()
    want = expected()
    for key in want:
        assert got[key] == want[key], key
    assert got == want
