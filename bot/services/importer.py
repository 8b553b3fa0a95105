"""Import a booking system's CSV export: clients and their treatments, row by row.

Two shapes of file:

- Our own columns (any order): clinic, name, phone, treatment_at, and optionally area,
  status, booking_id, service. The clinic column may be left out when the import is for
  one clinic (`clinic=`); a row naming another clinic is then refused.
- An export as the booking system writes it, read through a column mapping
  (bot/booking_systems/mapping.py): its other columns are ignored, and it is for one clinic.

Times are read in the clinic's time zone in the forms exports use, dates in numbers in
the clinic's date order (given, or its country's), an ambiguous date refused with its
line (bot/booking_systems/times.py). Status words are the booking systems' own
(bot/booking_systems/statuses.py); a row without one is an appointment, done once its time
has passed. When the file names the service, only microneedling appointments become
treatments (bot/booking_systems/service_filter.py): other rows are skipped, not errors.

Each line is read on its own, so a broken line (a stray quote, a NUL byte) is reported
with its number and cannot swallow the lines after it; the price is that a field may not
span lines, which names, phones and times never do. Each row is imported in its own
savepoint: a rejected row leaves no trace and loses none of the good ones. Each row is
a booking (bot/services/bookings.py), so importing the same file twice changes nothing,
and importing an updated export moves, completes or cancels what its booking ids say.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Iterable, Iterator, Optional

from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session

from bot.booking_systems.mapping import ColumnMapping
from bot.booking_systems.service_filter import ServiceFilter
from bot.booking_systems.statuses import read_status
from bot.booking_systems.times import DateOrder, country_languages, country_order, read_time
from bot.phones import normalize_phone, region_of
from bot.services import bookings, import_mappings
from bot.services.bookings import Booking, Outcome
from bot.store import queries
from bot.store.errors import InvalidValue, StoreError
from bot.store.models import Clinic, TreatmentStatus

REQUIRED = ("clinic", "name", "phone", "treatment_at")
OPTIONAL = ("area", "status", "booking_id", "service")


class ImportFileError(ValueError):
    """The file as a whole cannot be imported (not text, no usable header)."""


@dataclass(frozen=True)
class CsvRow:
    line: int
    values: dict[str, str]  # our field -> stripped value; empty when `broken`
    broken: str = ""  # why the line could not be read as a row


@dataclass(frozen=True)
class RowResult:
    line: int
    outcome: Outcome  # the treatment's fate
    reason: str = ""  # why it was rejected or skipped
    new_client: bool = False
    name: str = ""  # the client's name as the row writes it (cut short), to show the row

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
    def skipped(self) -> list[RowResult]:
        return [r for r in self.results if r.outcome is Outcome.skipped]

    @property
    def new_clients(self) -> int:
        return sum(1 for r in self.results if r.new_client)

    def summary(self) -> str:
        skipped = self.count(Outcome.skipped)
        return (
            f"{len(self.results)} rows: {self.count(Outcome.added)} treatments added, "
            f"{self.count(Outcome.updated)} updated, {self.count(Outcome.unchanged)} already there, "
            + (f"{skipped} skipped, " if skipped else "")
            + f"{self.count(Outcome.rejected)} rejected; {self.new_clients} new clients"
        )


@dataclass(frozen=True)
class ImportOptions:
    """How the rows of one file are read."""

    clinic: Optional[Clinic] = None  # the file is this clinic's (a clinic column may not name another)
    services: Optional[ServiceFilter] = None  # None: the default (microneedling and its brand names)
    date_order: Optional[DateOrder] = None  # None: the order the clinic's country writes dates in


def decode(data: bytes) -> str:
    """The file's text; UTF-8 with or without the BOM spreadsheets add."""
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise ImportFileError(f"the file is not UTF-8 text (byte {exc.start}); export it as UTF-8 CSV") from None


def read_csv(text: str, mapping: Optional[ColumnMapping] = None, *, clinic_given: bool = False) -> list[CsvRow]:
    """The data rows of `text`, each with its line number; raises ImportFileError for the
    header. With a `mapping` the header is the export's own; without, it is ours (and
    the clinic column may be left out when `clinic_given`)."""
    lines = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    numbered = [(number, line) for number, line in enumerate(lines, start=1) if line.strip()]
    if not numbered:
        raise ImportFileError("the file is empty (expected a header line)")
    header_line, header_text = numbered[0]
    columns = _mapped_header(header_line, header_text, mapping) if mapping else _header(header_line, header_text)
    if not mapping and "clinic" not in columns and not clinic_given:
        raise ImportFileError(f"line {header_line}: the header lacks clinic (or import for one clinic)")
    return [_row(number, line, columns) for number, line in numbered[1:]]


def _split(line: str) -> list[str]:
    return next(csv.reader([line], strict=True))


def _header_fields(number: int, text: str) -> list[str]:
    try:
        return _split(text)
    except csv.Error as exc:
        raise ImportFileError(f"line {number}: the header is not valid CSV ({exc})") from None


def _header(number: int, text: str) -> list[Optional[str]]:
    expected = ",".join(REQUIRED) + " and optionally " + ",".join(OPTIONAL)
    columns = [c.strip().lower() for c in _header_fields(number, text)]
    unknown = [c for c in columns if c not in REQUIRED + OPTIONAL]
    if unknown:
        names = ", ".join(repr(c[:40]) for c in unknown[:3])
        raise ImportFileError(
            f"line {number} must be the header ({expected}); unknown column(s) {names} "
            "(an export with columns of its own needs a column mapping)"
        )
    duplicated = sorted({c for c in columns if columns.count(c) > 1})
    if duplicated:
        raise ImportFileError(f"line {number}: column(s) {', '.join(duplicated)} appear twice")
    missing = [c for c in REQUIRED if c not in columns and c != "clinic"]
    if missing:
        raise ImportFileError(f"line {number}: the header lacks {', '.join(missing)} (expected {expected})")
    return list(columns)


def _mapped_header(number: int, text: str, mapping: ColumnMapping) -> list[Optional[str]]:
    """Our field for each of the export's columns (None: a column the mapping leaves out)."""
    header = [c.strip() for c in _header_fields(number, text)]
    try:
        located = mapping.locate(header)
    except InvalidValue as exc:
        raise ImportFileError(f"line {number}: {exc}") from None
    return [located.get(index) for index in range(len(header))]


def _row(number: int, line: str, columns: list[Optional[str]]) -> CsvRow:
    try:
        fields = _split(line)
    except csv.Error as exc:
        return CsvRow(number, {}, broken=f"broken CSV ({exc})")
    if len(fields) != len(columns):
        return CsvRow(number, {}, broken=f"expected {len(columns)} fields, found {len(fields)}")
    return CsvRow(number, {c: v.strip() for c, v in zip(columns, fields, strict=True) if c is not None})


def import_rows(
    session: Session,
    rows: Iterable[CsvRow],
    now: datetime,
    *,
    clinic: Optional[Clinic] = None,
    services: Optional[ServiceFilter] = None,
    date_order: Optional[DateOrder] = None,
) -> Iterator[RowResult]:
    """Import each row in its own savepoint, yielding its result as it is done."""
    reader = _RowReader(session, now, ImportOptions(clinic, services, date_order))
    for row in rows:
        if row.broken:
            yield RowResult(row.line, Outcome.rejected, row.broken)
            continue
        name = _one_line(_name(row.values), 80)
        try:
            with session.begin_nested():
                result = replace(reader.import_row(row), name=name)
        except (StoreError, ValueError) as exc:
            result = RowResult(row.line, Outcome.rejected, _one_line(str(exc)), name=name)
        except SQLAlchemyError as exc:
            detail = getattr(exc, "orig", None) or exc
            result = RowResult(
                row.line, Outcome.rejected, _one_line(f"the database refused the row: {detail}"), name=name
            )
        yield result


def import_upload(
    session: Session,
    clinic: Clinic,
    data: bytes,
    now: datetime,
    mapping_name: Optional[str] = None,
    *,
    max_rows: Optional[int] = None,
) -> ImportReport:
    """A file as a person uploaded it for `clinic`: in our columns, or an export read
    through the clinic's saved mapping `mapping_name` (with its service filter and date
    order). A file of more than `max_rows` rows is refused whole, before any is read.
    Raises ImportFileError for the file as a whole, UnknownImportMapping."""
    text = decode(data)
    saved = import_mappings.get(session, clinic, mapping_name) if mapping_name else None
    rows = read_csv(text, saved.columns if saved else None, clinic_given=True)
    if max_rows is not None and len(rows) > max_rows:
        raise ImportFileError(
            f"the file has {len(rows)} rows, more than the {max_rows} imported at a time: split it into smaller files"
        )
    services, date_order = (saved.services, saved.date_order) if saved else (None, None)
    results = import_rows(session, rows, now, clinic=clinic, services=services, date_order=date_order)
    return ImportReport(list(results))


def import_csv(
    session: Session,
    text: str,
    now: datetime,
    *,
    clinic: Optional[Clinic] = None,
    mapping: Optional[ColumnMapping] = None,
    services: Optional[ServiceFilter] = None,
    date_order: Optional[DateOrder] = None,
) -> ImportReport:
    """Import a whole file. An export with columns of its own needs `mapping` and `clinic`."""
    if mapping is not None and clinic is None:
        raise ImportFileError("an export read through a column mapping is imported for one clinic: name it")
    rows = read_csv(text, mapping, clinic_given=clinic is not None)
    return ImportReport(list(import_rows(session, rows, now, clinic=clinic, services=services, date_order=date_order)))


class _RowReader:
    """Reads rows into bookings, remembering each clinic's lookup and date conventions."""

    def __init__(self, session: Session, now: datetime, options: ImportOptions) -> None:
        self.session, self.now, self.options = session, now, options
        self.services = options.services or ServiceFilter()
        self.clinics: dict[str, Optional[Clinic]] = {}

    def import_row(self, row: CsvRow) -> RowResult:
        values = row.values
        clinic = self._clinic(values.get("clinic", ""))
        if "service" in values and not self.services.matches(values["service"]):
            service = values["service"][:60]
            why = f"service {service!r} is not microneedling" if service else "no service named"
            return RowResult(row.line, Outcome.skipped, why)
        when = values.get("treatment_at") or " ".join(v for v in (values.get("date"), values.get("time")) if v)
        name = _name(values)
        missing = [
            what
            for what, value in (("name", name), ("phone", values.get("phone")), ("treatment_at", when))
            if not value
        ]
        if missing:
            raise InvalidValue(f"missing {', '.join(missing)}")
        region = region_of(clinic.phone)
        order = self.options.date_order or country_order(region)
        booking = Booking(
            clinic=clinic,
            name=name,
            phone=normalize_phone(values["phone"], region),
            performed_at=read_time(when, clinic.tz, order, country_languages(region)),
            status=read_status(values.get("status", ""), default=TreatmentStatus.booked),
            area=values.get("area") or "face",
            booking_id=values.get("booking_id") or None,
        )
        recorded = bookings.record(self.session, booking, self.now)
        reason = "cancelled, and not on file" if recorded.outcome is Outcome.skipped else ""
        return RowResult(row.line, recorded.outcome, reason, new_client=recorded.new_client)

    def _clinic(self, slug: str) -> Clinic:
        given = self.options.clinic
        if given is not None:
            if slug and slug != given.slug:
                raise InvalidValue(f"the row is for clinic {slug[:64]!r}, the import for {given.slug!r}")
            return given
        if not slug:
            raise InvalidValue("missing clinic")
        if slug not in self.clinics:
            try:
                self.clinics[slug] = queries.clinic_by_slug(self.session, slug)
            except StoreError:
                self.clinics[slug] = None
        found = self.clinics[slug]
        if found is None:
            raise InvalidValue(f"unknown clinic {slug[:64]!r}")
        return found


def _name(values: dict[str, str]) -> str:
    return values.get("name") or " ".join(v for v in (values.get("first_name"), values.get("last_name")) if v)


def _one_line(text: str, limit: int = 300) -> str:
    line = " ".join(text.split())
    return line if len(line) <= limit else line[: limit - 3] + "..."
