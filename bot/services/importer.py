"""Import a booking system's CSV export: clients and their treatments, row by row.

The header names the columns (any order): clinic, name, phone, treatment_at, and
optionally area, status, booking_id. treatment_at is clinic local time "YYYY-MM-DD HH:MM"
or ISO 8601 with an offset.

Each line is read on its own, so a broken line (a stray quote, a NUL byte) is reported
with its number and cannot swallow the lines after it; the price is that a field may not
span lines, which names, phones and times never do. Each row is imported in its own
savepoint: a rejected row leaves no trace and loses none of the good ones. Each row is
a booking (bot/services/bookings.py), so importing the same file twice changes nothing.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass, field
from datetime import datetime
from typing import Iterable, Iterator, Optional

from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session

from bot.phones import normalize_phone, region_of
from bot.services import bookings
from bot.services.bookings import Booking, Outcome
from bot.store import queries
from bot.store.errors import InvalidValue, StoreError
from bot.store.models import Clinic, parse_status
from bot.timeparse import parse_local_time

REQUIRED = ("clinic", "name", "phone", "treatment_at")
OPTIONAL = ("area", "status", "booking_id")


class ImportFileError(ValueError):
    """The file as a whole cannot be imported (not text, no usable header)."""


@dataclass(frozen=True)
class CsvRow:
    line: int
    values: dict[str, str]  # column -> stripped value; empty when `broken`
    broken: str = ""  # why the line could not be read as a row


@dataclass(frozen=True)
class RowResult:
    line: int
    outcome: Outcome  # the treatment's fate
    reason: str = ""
    new_client: bool = False

    @property
    def ok(self) -> bool:
        return self.outcome is not Outcome.rejected


@dataclass
class ImportReport:
    results: list[RowResult] = field(default_factory=list)

    def count(self, outcome: Outcome) -> int:
        return sum(1 for r in self.results if r.outcome == outcome)

    @property
    def rejected(self) -> list[RowResult]:
        return [r for r in self.results if not r.ok]

    @property
    def new_clients(self) -> int:
        return sum(1 for r in self.results if r.new_client)

    def summary(self) -> str:
        return (
            f"{len(self.results)} rows: {self.count(Outcome.added)} treatments added, "
            f"{self.count(Outcome.updated)} updated, {self.count(Outcome.unchanged)} already there, "
            f"{self.count(Outcome.rejected)} rejected; {self.new_clients} new clients"
        )


def decode(data: bytes) -> str:
    """The file's text; UTF-8 with or without the BOM spreadsheets add."""
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise ImportFileError(f"the file is not UTF-8 text (byte {exc.start}); export it as UTF-8 CSV") from None


def read_csv(text: str) -> list[CsvRow]:
    """The data rows of `text`, each with its line number; raises ImportFileError for the header."""
    lines = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    numbered = [(number, line) for number, line in enumerate(lines, start=1) if line.strip()]
    if not numbered:
        raise ImportFileError("the file is empty (expected a header line)")
    header_line, header_text = numbered[0]
    columns = _header(header_line, header_text)
    return [_row(number, line, columns) for number, line in numbered[1:]]


def _split(line: str) -> list[str]:
    return next(csv.reader([line], strict=True))


def _header(number: int, text: str) -> list[str]:
    expected = ",".join(REQUIRED) + " and optionally " + ",".join(OPTIONAL)
    try:
        columns = [c.strip().lower() for c in _split(text)]
    except csv.Error as exc:
        raise ImportFileError(f"line {number}: the header is not valid CSV ({exc})") from None
    unknown = [c for c in columns if c not in REQUIRED + OPTIONAL]
    if unknown:
        names = ", ".join(repr(c[:40]) for c in unknown[:3])
        raise ImportFileError(f"line {number} must be the header ({expected}); unknown column(s) {names}")
    duplicated = sorted({c for c in columns if columns.count(c) > 1})
    if duplicated:
        raise ImportFileError(f"line {number}: column(s) {', '.join(duplicated)} appear twice")
    missing = [c for c in REQUIRED if c not in columns]
    if missing:
        raise ImportFileError(f"line {number}: the header lacks {', '.join(missing)} (expected {expected})")
    return columns


def _row(number: int, line: str, columns: list[str]) -> CsvRow:
    try:
        fields = _split(line)
    except csv.Error as exc:
        return CsvRow(number, {}, broken=f"broken CSV ({exc})")
    if len(fields) != len(columns):
        return CsvRow(number, {}, broken=f"expected {len(columns)} fields, found {len(fields)}")
    return CsvRow(number, {c: v.strip() for c, v in zip(columns, fields, strict=True)})


def import_rows(session: Session, rows: Iterable[CsvRow], now: datetime) -> Iterator[RowResult]:
    """Import each row in its own savepoint, yielding its result as it is done."""
    clinics: dict[str, Optional[Clinic]] = {}
    for row in rows:
        if row.broken:
            yield RowResult(row.line, Outcome.rejected, row.broken)
            continue
        try:
            with session.begin_nested():
                result = _import_row(session, row, now, clinics)
        except (StoreError, ValueError) as exc:
            result = RowResult(row.line, Outcome.rejected, _one_line(str(exc)))
        except SQLAlchemyError as exc:
            detail = getattr(exc, "orig", None) or exc
            result = RowResult(row.line, Outcome.rejected, _one_line(f"the database refused the row: {detail}"))
        yield result


def import_csv(session: Session, text: str, now: datetime) -> ImportReport:
    return ImportReport(list(import_rows(session, read_csv(text), now)))


def _import_row(session: Session, row: CsvRow, now: datetime, clinics: dict) -> RowResult:
    values = row.values
    missing = [c for c in REQUIRED if not values.get(c)]
    if missing:
        raise InvalidValue(f"missing {', '.join(missing)}")
    clinic = _clinic(session, values["clinic"], clinics)
    booking = Booking(
        clinic=clinic,
        name=values["name"],
        phone=normalize_phone(values["phone"], region_of(clinic.phone)),
        performed_at=parse_local_time(values["treatment_at"], clinic.tz),
        status=parse_status((values.get("status") or "done").lower()),
        area=values.get("area") or "face",
        booking_id=values.get("booking_id") or None,
    )
    recorded = bookings.record(session, booking, now)
    return RowResult(row.line, recorded.outcome, new_client=recorded.new_client)


def _clinic(session: Session, slug: str, cache: dict) -> Clinic:
    if slug not in cache:
        try:
            cache[slug] = queries.clinic_by_slug(session, slug)
        except StoreError:
            cache[slug] = None
    if cache[slug] is None:
        raise InvalidValue(f"unknown clinic {slug[:64]!r}")
    return cache[slug]


def _one_line(text: str, limit: int = 300) -> str:
    line = " ".join(text.split())
    return line if len(line) <= limit else line[: limit - 3] + "..."
