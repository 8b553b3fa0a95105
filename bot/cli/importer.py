"""`aftercare import FILE.csv`: clients and treatments from a booking system's export."""

from __future__ import annotations

import sys
from datetime import datetime, timezone
from pathlib import Path

import click

from bot.cli.common import fail, unit_of_work, user_errors
from bot.services import importer

COLUMNS = ",".join(importer.REQUIRED + importer.OPTIONAL)


@click.command(
    "import",
    help=f"""Import clients and treatments from a CSV export.

\b
The first line is the header: {COLUMNS}
(area, status and booking_id are optional; area defaults to face, status to done).
treatment_at is clinic local time 'YYYY-MM-DD HH:MM' or ISO 8601 with an offset.

Rejected rows are listed with their line numbers; the good rows are kept, and importing
the same file again adds nothing twice. Exit code 0 when every row was imported, 1 when
some were rejected, 2 when the file could not be read.""",
)
@click.argument("csv_file", metavar="FILE.csv", type=click.Path(dir_okay=False, path_type=Path))
def import_command(csv_file: Path) -> None:
    try:
        data = csv_file.read_bytes()
    except OSError as exc:
        fail(f"cannot read {csv_file}: {exc.strerror or exc}")
    with user_errors():
        rows = importer.read_csv(importer.decode(data))

    now = datetime.now(timezone.utc)
    progress = click.progressbar(rows, label=f"importing {csv_file.name}", file=sys.stderr)
    with unit_of_work() as session, progress as shown:
        report = importer.ImportReport(list(importer.import_rows(session, shown, now)))

    for rejected in report.rejected:
        click.echo(f"line {rejected.line}: {rejected.reason}", err=True)
    click.echo(report.summary())
    click.get_current_context().exit(1 if report.rejected else 0)
