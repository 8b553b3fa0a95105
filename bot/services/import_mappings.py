"""Column mappings saved for a clinic, so staff import their booking system's export by
name (`aftercare import FILE --clinic glow --mapping boulevard`) instead of retyping it."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from typing import Optional

from sqlalchemy.orm import Session

from bot.booking_systems.mapping import ColumnMapping
from bot.booking_systems.service_filter import ServiceFilter
from bot.booking_systems.times import DateOrder, parse_date_order
from bot.store import queries
from bot.store.booking_models import ImportMapping
from bot.store.errors import DuplicateImportMapping, InvalidValue, UnknownImportMapping
from bot.store.models import Clinic

_NAME = re.compile(r"^[a-z0-9][a-z0-9_-]{0,63}$")


@dataclass(frozen=True)
class SavedMapping:
    name: str
    columns: ColumnMapping
    services: ServiceFilter
    date_order: Optional[DateOrder]


def _saved(row: ImportMapping) -> SavedMapping:
    return SavedMapping(
        row.name, ColumnMapping.from_json(row.columns), ServiceFilter.of(row.services), parse_date_order(row.date_order)
    )


def save(
    session: Session,
    clinic: Clinic,
    name: str,
    columns: ColumnMapping,
    services: Optional[ServiceFilter],
    date_order: Optional[DateOrder],
    now: datetime,
) -> SavedMapping:
    """Save a mapping under `name`, replacing one of that name."""
    if not _NAME.match(name or ""):
        raise InvalidValue(f"mapping name {name!r}: use lowercase letters, digits, - and _ (e.g. boulevard)")
    row = queries.import_mapping(session, clinic.id, name)
    if row is None:
        row = ImportMapping(clinic_id=clinic.id, name=name, columns="[]", created_at=now)
        row = queries.insert(session, row, DuplicateImportMapping(f"{clinic.slug} already has a mapping {name!r}"))
    row.columns = columns.to_json()
    row.services = services.pattern if services else None
    row.date_order = date_order.value if date_order else None
    row.updated_at = now
    session.flush()
    return _saved(row)


def get(session: Session, clinic: Clinic, name: str) -> SavedMapping:
    row = queries.import_mapping(session, clinic.id, name)
    if row is None:
        raise UnknownImportMapping(f"{clinic.slug} has no saved mapping {name!r} (see `aftercare mapping list`)")
    return _saved(row)


def all_for(session: Session, clinic: Clinic) -> list[SavedMapping]:
    return [_saved(row) for row in queries.import_mappings(session, clinic.id)]


def delete(session: Session, clinic: Clinic, name: str) -> None:
    row = queries.import_mapping(session, clinic.id, name)
    if row is None:
        raise UnknownImportMapping(f"{clinic.slug} has no saved mapping {name!r}")
    session.delete(row)
    session.flush()
