"""`aftercare clinic|client|treatment ...`: the records clinic staff keep by hand."""

from __future__ import annotations

from datetime import datetime, timezone
from pathlib import Path
from typing import Optional

import click

from bot.cli.common import fail, read_protocol, unit_of_work, user_errors
from bot.phones import normalize_phone
from bot.services import clients, clinics, treatments
from bot.services.audit import audit
from bot.store import queries
from bot.store.models import Clinic, check_timezone
from bot.store.staff_models import AuditAction
from bot.timeparse import parse_local_time


def describe_time(moment: datetime, clinic: Clinic) -> str:
    local = moment.astimezone(clinic.tz)
    return f"{local:%Y-%m-%d %H:%M %Z} ({moment.astimezone(timezone.utc):%H:%M} UTC)"


def protocol_label(clinic: Clinic) -> str:
    return f"custom ({clinic.protocol.name})" if clinic.protocol_yaml else "default"


@click.group()
def clinic() -> None:
    """Add and list clinics."""


@clinic.command("add")
@click.option("--slug", required=True, help="Short unique id used in commands and links, e.g. glow.")
@click.option("--name", required=True, help="The clinic's name as clients know it.")
@click.option("--timezone", "tz_name", required=True, help="IANA timezone, e.g. America/New_York.")
@click.option("--phone", required=True, help="The clinic's phone, with +country code (US numbers may omit it).")
@click.option("--booking-url", default=None, help="Where clients book their next session (http/https).")
@click.option(
    "--protocol",
    "protocol_file",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="YAML file overriding parts of the default protocol (see bot/protocols/examples).",
)
@click.option("--sms-number", default=None, help="Number SMS are sent from, when it is not --phone.")
@click.option(
    "--alert-phone",
    default=None,
    help="A staff mobile texted about alerts (red flags ...); without it alerts are in the console only.",
)
def clinic_add(
    slug: str,
    name: str,
    tz_name: str,
    phone: str,
    booking_url: Optional[str],
    protocol_file: Optional[Path],
    sms_number: Optional[str],
    alert_phone: Optional[str],
) -> None:
    """Add a clinic."""
    # Checks that need no database come first, so bad input never creates one.
    with user_errors():
        check_timezone(tz_name)
        normalize_phone(phone)
    protocol_yaml = read_protocol(protocol_file) if protocol_file else None
    with unit_of_work() as session:
        added = clinics.add(session, slug, name, phone, tz_name, booking_url, protocol_yaml, sms_number, alert_phone)
    click.echo(
        f"added clinic {added.slug}: {added.name}, {added.timezone}, {added.phone}, protocol {protocol_label(added)}"
    )


@clinic.command("alert-phone")
@click.option("--clinic", "slug", required=True, help="The clinic's slug.")
@click.argument("phone", required=False)
@click.option("--none", "remove", is_flag=True, help="Text nobody: alerts are in the console only.")
def clinic_alert_phone(slug: str, phone: Optional[str], remove: bool) -> None:
    """Set the mobile texted about alerts (PHONE), or --none. Out of the clinic's opening
    hours (the protocol's `opening_hours:`) only red flags are texted."""
    if bool(phone) == remove:
        fail("give the mobile's number, or --none")
    with unit_of_work() as session:
        found = queries.clinic_by_slug(session, slug)
        clinics.set_alert_phone(session, found, None if remove else phone)
        audit(session, None, AuditAction.alert_phone_set, now=datetime.now(timezone.utc), clinic_id=found.id)
        said = found.alert_phone
    click.echo(f"alerts of {slug} are texted to {said}" if said else f"alerts of {slug} are in the console only")


@clinic.command("list")
def clinic_list() -> None:
    """List the clinics with their timezone, numbers, protocol and client count."""
    with unit_of_work() as session:
        counts = queries.client_counts(session)
        rows = [
            (
                c.slug,
                c.name,
                c.timezone,
                c.phone,
                c.sms_from,
                c.alert_phone or "-",
                protocol_label(c),
                str(counts.get(c.id, 0)),
            )
            for c in queries.all_clinics(session)
        ]
    if not rows:
        click.echo("no clinics yet; add one with `aftercare clinic add`")
        return
    header = ("slug", "name", "timezone", "phone", "sms from", "alerts to", "protocol", "clients")
    widths = [max(len(row[i]) for row in [header, *rows]) for i in range(len(header))]
    for row in [header, *rows]:
        click.echo("  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)).rstrip())


@click.group()
def client() -> None:
    """Add clients."""


@client.command("add")
@click.option("--clinic", "slug", required=True, help="The clinic's slug.")
@click.option("--name", required=True, help="The client's name; the first word greets them.")
@click.option("--phone", required=True, help="Mobile number; without +country code it is read in the clinic's country.")
def client_add(slug: str, name: str, phone: str) -> None:
    """Add a client to a clinic."""
    with unit_of_work() as session:
        added = clients.add(session, queries.clinic_by_slug(session, slug), name, phone)
    click.echo(f"added client {added.name} ({added.phone}) at {slug}")


@click.group()
def treatment() -> None:
    """Record treatments."""


@treatment.command("add")
@click.option("--phone", required=True, help="The client's phone number.")
@click.option(
    "--at",
    "at_text",
    required=True,
    help="When the treatment ended: 'YYYY-MM-DD HH:MM' in the clinic's local time, or ISO 8601 with an offset.",
)
@click.option("--area", default="face", show_default=True, help="The treated area.")
@click.option(
    "--clinic", "slug", default=None, help="The clinic's slug; needed when the number is a client of several."
)
@click.option(
    "--status",
    type=click.Choice(["done", "booked"]),
    default="done",
    show_default=True,
    help="done: it happened (not in the future); booked: it is planned.",
)
def treatment_add(phone: str, at_text: str, area: str, slug: Optional[str], status: str) -> None:
    """Record a client's treatment."""
    now = datetime.now(timezone.utc)
    with unit_of_work() as session:
        who = clients.find(session, phone, slug)
        performed_at = parse_local_time(at_text, who.clinic.tz)
        added = treatments.add(session, who, performed_at, area, status, now=now)
        summary = (
            f"recorded {added.status.value} treatment ({added.area}) for {who.name} ({who.phone}) "
            f"at {who.clinic.slug}: {describe_time(added.performed_at, who.clinic)}"
        )
    click.echo(summary)  # only once committed
