"""Which column of a booking system's export holds which of our fields.

Written the way a person types it: `Client Name=name,Mobile=phone,Start Time=treatment_at`
(a column whose name holds a comma is quoted: `"Date, Time"=treatment_at`). Columns are
matched without regard to case or repeated spaces; the export's other columns are ignored.
"""

from __future__ import annotations

import csv
import json
from dataclasses import dataclass
from typing import Optional

from bot.store.errors import InvalidValue

# Our fields: the client (a whole name, or first and last), the appointment's time (one
# column, or a date and a time column), and what the appointment was.
FIELDS = (
    "name",
    "first_name",
    "last_name",
    "phone",
    "treatment_at",
    "date",
    "time",
    "service",
    "status",
    "booking_id",
    "area",
)


def column_key(name: str) -> str:
    return " ".join(name.split()).casefold()


@dataclass(frozen=True)
class ColumnMapping:
    pairs: tuple[tuple[str, str], ...]  # (the export's column, our field), in the order given

    def __post_init__(self) -> None:
        _check(self.pairs)

    @classmethod
    def parse(cls, spec: str) -> "ColumnMapping":
        items = [item for item in next(csv.reader([spec or ""], skipinitialspace=True), []) if item.strip()]
        pairs = []
        for item in items:
            column, equals, field = item.rpartition("=")
            if not equals or not column.strip():
                raise InvalidValue(f"mapping item {item.strip()[:60]!r} is not COLUMN=field")
            pairs.append((" ".join(column.split()), field.strip().lower()))
        return cls(tuple(pairs))

    @classmethod
    def from_json(cls, text: str) -> "ColumnMapping":
        return cls(tuple((str(column), str(field)) for column, field in json.loads(text)))

    def to_json(self) -> str:
        return json.dumps([list(pair) for pair in self.pairs])

    def spec(self) -> str:
        """The mapping as typed: `Client Name=name,Mobile=phone`."""
        return ",".join(f'"{column}"={field}' if "," in column else f"{column}={field}" for column, field in self.pairs)

    def fields(self) -> set[str]:
        return {field for _, field in self.pairs}

    def locate(self, header: list[str]) -> dict[int, str]:
        """Header position -> our field; InvalidValue naming a mapped column the header lacks
        or holds twice."""
        positions: dict[str, list[int]] = {}
        for index, name in enumerate(header):
            positions.setdefault(column_key(name), []).append(index)
        located, missing = {}, []
        for column, field in self.pairs:
            found = positions.get(column_key(column), [])
            if not found:
                missing.append(column)
            elif len(found) > 1:
                raise InvalidValue(f"the header holds column {column!r} twice; the mapping cannot tell which to read")
            else:
                located[found[0]] = field
        if missing:
            names = ", ".join(repr(name[:40]) for name in missing[:3])
            raise InvalidValue(f"the header has no column {names} (the mapping names it)")
        return located


def _check(pairs: tuple[tuple[str, str], ...]) -> None:
    if not pairs:
        raise InvalidValue("the mapping is empty (give COLUMN=field pairs)")
    fields = [field for _, field in pairs]
    unknown = [field for field in fields if field not in FIELDS]
    if unknown:
        raise InvalidValue(f"unknown field {unknown[0][:40]!r} in the mapping (fields: {', '.join(FIELDS)})")
    twice = sorted({field for field in fields if fields.count(field) > 1})
    if twice:
        raise InvalidValue(f"field {twice[0]} is mapped twice")
    columns = [column_key(column) for column, _ in pairs]
    if len(set(columns)) != len(columns):
        raise InvalidValue("a column is mapped twice")
    present = set(fields)
    problem = _missing(present)
    if problem:
        raise InvalidValue(f"the mapping {problem}")


def _missing(present: set[str]) -> Optional[str]:
    if "phone" not in present:
        return "needs a phone column (…=phone)"
    if "name" in present and present & {"first_name", "last_name"}:
        return "maps name and first/last name: use one or the other"
    if not present & {"name", "first_name"}:
        return "needs the client's name (…=name, or …=first_name and …=last_name)"
    if "treatment_at" in present and present & {"date", "time"}:
        return "maps treatment_at and date/time: use one or the other"
    if "treatment_at" not in present and not {"date", "time"} <= present:
        return "needs the appointment's time (…=treatment_at, or …=date and …=time)"
    return None
