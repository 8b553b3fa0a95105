"""Times as the console shows them: on the clinic's clocks, with the zone's abbreviation,
and the value a datetime-local field holds."""

from __future__ import annotations

from datetime import datetime

from bot.store.models import Clinic


def shown(moment: datetime, clinic: Clinic) -> str:
    """'Fri 4 Dec 2026, 2:30 pm EST'."""
    local = moment.astimezone(clinic.tz)
    hour = local.hour % 12 or 12
    return (
        f"{local:%a} {local.day} {local:%b %Y}, {hour}:{local:%M} {'am' if local.hour < 12 else 'pm'} {local.tzname()}"
    )


def field_value(moment: datetime, clinic: Clinic) -> str:
    """What an <input type="datetime-local"> holds for `moment`: '2026-12-04T14:30'."""
    return f"{moment.astimezone(clinic.tz):%Y-%m-%dT%H:%M}"


def iso(moment: datetime) -> str:
    """For <time datetime=...>."""
    return moment.isoformat(timespec="minutes")
