"""`aftercare demo seed`: the demo clinic and client that `make run` shows."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import click
from sqlalchemy.orm import Session

from bot import config, local_secret
from bot.cli.admin import describe_time
from bot.cli.common import unit_of_work
from bot.services import clients, clinics, passwords, treatments
from bot.services import staff as accounts
from bot.store import queries
from bot.store.errors import UnknownClinic, UnknownStaff
from bot.store.models import TreatmentStatus
from bot.store.staff_models import StaffRole

DEMO_CLINIC = {
    "slug": "glow",
    "name": "Glow Skin Studio",
    "timezone": "America/New_York",
    "phone": "+12125550100",
    "booking_url": "https://glow.example/book",
}
DEMO_CLIENT = {"name": "Ana Diaz", "phone": "+12125550123"}
DEMO_STAFF = {"email": "staff@glow.example", "name": "Sam Rivera"}
DEMO_BOOKING_ID = "demo-seed"  # marks the demo treatment, so a re-run finds it
HOURS_AGO = 6


@click.group()
def demo() -> None:
    """Demo data for trying the assistant locally."""


@demo.command("seed")
def seed() -> None:
    """Create the demo clinic and client (safe to re-run).

    The demo client's treatment is set to 6 hours before now on every run, so the demo
    always starts at the same point of recovery.
    """
    now = datetime.now(timezone.utc)
    performed_at = now - timedelta(hours=HOURS_AGO)
    done = []
    with unit_of_work() as session:
        try:
            clinic = queries.clinic_by_slug(session, DEMO_CLINIC["slug"])
            done.append(f"demo clinic {clinic.slug} already exists")
        except UnknownClinic:
            clinic = clinics.add(session, **DEMO_CLINIC)
            done.append(f"added demo clinic {clinic.slug} ({clinic.name}, {clinic.timezone})")

        client = queries.find_client(session, clinic, DEMO_CLIENT["phone"])
        if client is None:
            client = clients.add(session, clinic, **DEMO_CLIENT)
            done.append(f"added demo client {client.name} ({client.phone})")
        else:
            done.append(f"demo client {client.name} ({client.phone}) already exists")

        treatment = queries.treatment_by_ref(session, clinic.id, DEMO_BOOKING_ID)
        when = describe_time(performed_at, clinic)
        if treatment is None:
            treatments.add(session, client, performed_at, external_ref=DEMO_BOOKING_ID, now=now)
            done.append(f"added a done treatment {HOURS_AGO} hours ago: {when}")
        else:
            treatments.change(session, treatment, now=now, performed_at=performed_at, status=TreatmentStatus.done)
            done.append(f"moved the demo treatment to {HOURS_AGO} hours ago: {when}")
        done.extend(_seed_staff(session, now))
    for line in done:
        click.echo(line)


def demo_staff_password() -> str:
    """Random per machine, generated once into the data dir (mode 0600), so the printed
    demo login stays the same across runs and is known to nobody else."""
    return local_secret.generated(config.from_env().data_dir / "demo_staff_password")[:20]


def _seed_staff(session: Session, now: datetime) -> list[str]:
    """The demo clinic's staff account, signed in to the console with the printed password."""
    password, email = demo_staff_password(), DEMO_STAFF["email"]
    try:
        member = accounts.find_staff(session, email)
    except UnknownStaff:
        issued = accounts.add_staff(
            session,
            email=email,
            name=DEMO_STAFF["name"],
            role=StaffRole.owner,
            clinic_slug=DEMO_CLINIC["slug"],
            now=now,
        )
        accounts.set_password(session, issued.token, password, now)
        said = f"added demo staff account {email}"
    else:
        if member.disabled:
            return [f"demo staff account {email} is disabled"]
        if passwords.verify(member.password_hash, password):
            said = f"demo staff account {email} already exists"
        else:  # its password was changed: the demo login must work as printed
            accounts.set_password(session, accounts.issue_password_link(session, email, now).token, password, now)
            said = f"reset the demo staff account's password ({email})"
    return [said, f"demo staff login: {email} / {password}"]
