"""`aftercare import FILE.csv` and `aftercare mapping ...`: clients and treatments from a
booking system's export, in our columns or through a column mapping saved for the clinic."""

from __future__ import annotations

import sys
from datetime import datetime, timezone
from pathlib import Path
from typing import Optional

import click

from bot.booking_systems.mapping import FIELDS, ColumnMapping
from bot.booking_systems.service_filter import DEFAULT_SERVICES, ServiceFilter
from bot.booking_systems.times import DateOrder, parse_date_order
from bot.cli.common import fail, unit_of_work, user_errors
from bot.services import import_mappings, importer
from bot.store import queries

COLUMNS = ",".join(importer.REQUIRED + importer.OPTIONAL)
DATE_ORDERS = click.Choice([order.value for order in DateOrder])


@click.command(
    "import",
    help=f"""Import clients and treatments from a CSV export.

\b
Our own columns: {COLUMNS}
(area, status, booking_id and service are optional; clinic too with --clinic).
A booking system's export: --clinic and --map (or a mapping saved with
`aftercare mapping save`), e.g.
  --map "Client Name=name,Mobile=phone,Start Time=treatment_at,Service=service,Status=status"
Fields: {", ".join(FIELDS)}.

Times are the clinic's local time, written as exports write them (11/21/2026 2:30 PM,
21/11/2026 14:30, 2026-11-21 14:30, ISO 8601); dates in numbers are read in the
order of the clinic's country, or --dates; an ambiguous one is refused. Status words
are the booking systems' (completed, checked out, confirmed, cancelled, no-show ...);
without one, an appointment is done once its time has passed. With a service column,
only --service appointments become treatments (default "{DEFAULT_SERVICES}");
the others are listed as skipped.

Rejected rows are listed with their line numbers; the good rows are kept. Importing the
same file again adds nothing twice; an updated export moves and cancels what changed
(rows are matched on the booking id). Exit code 0 when no row was rejected, 1 when
some were, 2 when the file could not be read.""",
)
@click.argument("csv_file", metavar="FILE.csv", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--clinic", "slug", default=None, help="The clinic the file is for (needed with a mapping).")
@click.option("--map", "map_spec", default=None, help='The export\'s columns: "Column=field,...".')
@click.option("--mapping", "mapping_name", default=None, help="A mapping saved for the clinic.")
@click.option("--service", "service_pattern", default=None, help="Which services are microneedling (a regex).")
@click.option("--dates", "dates", type=DATE_ORDERS, default=None, help="How the export writes dates in numbers.")
def import_command(
    csv_file: Path,
    slug: Optional[str],
    map_spec: Optional[str],
    mapping_name: Optional[str],
    service_pattern: Optional[str],
    dates: Optional[str],
) -> None:
    if map_spec and mapping_name:
        fail("give --map or --mapping, not both")
    if (map_spec or mapping_name) and not slug:
        fail("an export read through a mapping is for one clinic: add --clinic")
    # What needs no database is checked first, so bad input never creates one.
    with user_errors():
        mapping = ColumnMapping.parse(map_spec) if map_spec else None
        services = ServiceFilter(service_pattern) if service_pattern else None
        date_order = parse_date_order(dates)
    try:
        data = csv_file.read_bytes()
    except OSError as exc:
        fail(f"cannot read {csv_file}: {exc.strerror or exc}")
    with user_errors():
        text = importer.decode(data)
        # Without a saved mapping the header is checked before the database is opened.
        rows = [] if mapping_name else importer.read_csv(text, mapping, clinic_given=slug is not None)

    now = datetime.now(timezone.utc)
    with unit_of_work() as session:
        clinic = queries.clinic_by_slug(session, slug) if slug else None
        if clinic is not None and mapping_name:
            saved = import_mappings.get(session, clinic, mapping_name)
            services, date_order = services or saved.services, date_order or saved.date_order
            rows = importer.read_csv(text, saved.columns, clinic_given=True)
        progress = click.progressbar(rows, label=f"importing {csv_file.name}", file=sys.stderr)
        with progress as shown:
            results = importer.import_rows(session, shown, now, clinic=clinic, services=services, date_order=date_order)
            report = importer.ImportReport(list(results))

    for skipped in report.skipped:
        click.echo(f"line {skipped.line}: skipped: {skipped.reason}")
    for rejected in report.rejected:
        click.echo(f"line {rejected.line}: {rejected.reason}", err=True)
    click.echo(report.summary())
    click.get_current_context().exit(1 if report.rejected else 0)


@click.group()
def mapping() -> None:
    """Column mappings saved for a clinic's exports (used by `aftercare import --mapping`)."""


@mapping.command("save")
@click.argument("name")
@click.option("--clinic", "slug", required=True, help="The clinic's slug.")
@click.option("--map", "map_spec", required=True, help='The export\'s columns: "Column=field,...".')
@click.option("--service", "service_pattern", default=None, help="Which services are microneedling (a regex).")
@click.option("--dates", "dates", type=DATE_ORDERS, default=None, help="How the export writes dates in numbers.")
def mapping_save(name: str, slug: str, map_spec: str, service_pattern: Optional[str], dates: Optional[str]) -> None:
    """Save (or replace) a mapping under NAME, e.g. boulevard."""
    with user_errors():
        columns = ColumnMapping.parse(map_spec)
        services = ServiceFilter(service_pattern) if service_pattern else None
        date_order = parse_date_order(dates)
    with unit_of_work() as session:
        clinic = queries.clinic_by_slug(session, slug)
        saved = import_mappings.save(session, clinic, name, columns, services, date_order, datetime.now(timezone.utc))
    click.echo(f"saved mapping {saved.name} for {slug}: {saved.columns.spec()}")


@mapping.command("list")
@click.option("--clinic", "slug", required=True, help="The clinic's slug.")
def mapping_list(slug: str) -> None:
    """The clinic's saved mappings."""
    with unit_of_work() as session:
        saved = import_mappings.all_for(session, queries.clinic_by_slug(session, slug))
    if not saved:
        click.echo(f"no mappings saved for {slug}; save one with `aftercare mapping save`")
    for item in saved:
        order = item.date_order.value if item.date_order else "the clinic's country"
        click.echo(f"{item.name}: {item.columns.spec()}")
        click.echo(f"  services: {item.services.pattern}; dates: {order}")


@mapping.command("delete")
@click.argument("name")
@click.option("--clinic", "slug", required=True, help="The clinic's slug.")
def mapping_delete(name: str, slug: str) -> None:
    """Delete a saved mapping."""
    with unit_of_work() as session:
        import_mappings.delete(session, queries.clinic_by_slug(session, slug), name)
    click.echo(f"deleted mapping {name} of {slug}")
