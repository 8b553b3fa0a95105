"""`aftercare staff add|list|disable|reset` (console accounts) and `aftercare audit`."""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Optional

import click

from bot import config
from bot.cli.common import fail, unit_of_work
from bot.console.paths import set_password_url
from bot.services import audit as audit_log
from bot.services import staff as accounts
from bot.services.staff import IssuedLink
from bot.store import queries
from bot.store.staff_models import StaffRole

ROLES = [StaffRole.owner.value, StaffRole.staff.value]


def _print_link(issued: IssuedLink, what: str) -> None:
    """The link on stdout (a secret: hand it to that person only), the note on stderr."""
    click.echo(set_password_url(config.from_env().console_url, issued.token))
    click.echo(
        f"{what}; set-password link for {issued.staff.email}, single use, "
        f"valid until {issued.expires_at:%Y-%m-%d %H:%M} UTC",
        err=True,
    )


@click.group()
def staff() -> None:
    """Staff console accounts: add, list, disable, reset a password."""


@staff.command("add")
@click.option("--email", required=True, help="The person's email: their sign-in name.")
@click.option("--clinic", "slug", default=None, help="The clinic's slug (not for --operator).")
@click.option("--name", default=None, help="Their name as colleagues and clients see it.")
@click.option(
    "--role",
    type=click.Choice(ROLES),
    default=StaffRole.staff.value,
    show_default=True,
    help="owner: the clinic's owner or manager; staff: everyone else.",
)
@click.option("--operator", is_flag=True, help="Runs the service: sees every clinic, belongs to none.")
def add(email: str, slug: Optional[str], name: Optional[str], role: str, operator: bool) -> None:
    """Add an account and print its one-time set-password link (valid 72 hours)."""
    if operator and slug:
        fail("an operator belongs to no clinic: leave out --clinic")
    if not operator and not slug:
        fail("give the staff member's --clinic (or --operator for an operator)")
    with unit_of_work() as db:
        issued = accounts.add_staff(
            db,
            email=email,
            clinic_slug=slug,
            name=name,
            role=StaffRole.operator if operator else StaffRole(role),
            now=datetime.now(timezone.utc),
        )
        where = "operator of every clinic" if operator else f"{issued.staff.role.value} at {slug}"
    _print_link(issued, f"added {issued.staff.email} ({where})")


@staff.command("reset")
@click.option("--email", required=True, help="The account's email.")
def reset(email: str) -> None:
    """Print a new set-password link (a forgotten password, a lost link); earlier links stop working."""
    with unit_of_work() as db:
        issued = accounts.issue_password_link(db, email, datetime.now(timezone.utc))
    _print_link(issued, "new link")


@staff.command("list")
@click.option("--clinic", "slug", default=None, help="Only this clinic's staff.")
def list_command(slug: Optional[str]) -> None:
    """Every account: email, clinic, role, name and state."""
    now = datetime.now(timezone.utc)
    with unit_of_work() as db:
        rows = []
        for member in accounts.list_staff(db, slug):
            if member.disabled:
                state = "disabled"
            elif accounts.is_locked(db, member, now):
                state = "locked"
            elif member.password_hash is None:
                state = "no password yet"
            else:
                state = "active"
            clinic = member.clinic.slug if member.clinic else "(all clinics)"
            rows.append((member.email, clinic, member.role.value, member.name or "-", state))
    if not rows:
        click.echo("no staff accounts" + (f" at {slug}" if slug else ""))
        return
    for row in rows:
        click.echo("  ".join(row))


@staff.command("disable")
@click.option("--email", required=True, help="The account's email.")
def disable(email: str) -> None:
    """Stop an account signing in; its open sessions end at once. The account is kept for the audit log."""
    with unit_of_work() as db:
        member = accounts.disable(db, email, datetime.now(timezone.utc))
        click.echo(f"disabled {member.email}")


@click.command("audit")
@click.option("--clinic", "slug", default=None, help="Only this clinic's entries.")
@click.option("--limit", type=click.IntRange(1, 10000), default=50, show_default=True, help="How many, newest first.")
def audit(slug: Optional[str], limit: int) -> None:
    """Print the audit log: when (UTC), who, clinic, client id, action."""
    with unit_of_work() as db:
        clinic_id = queries.clinic_by_slug(db, slug).id if slug else None
        lines = []
        for entry in audit_log.recent(db, clinic_id, limit):
            who = entry.staff.email if entry.staff else "(command line)"
            about = f" account={entry.about_staff.email}" if entry.about_staff else ""
            client = f" client={entry.client_id}" if entry.client_id is not None else ""
            clinic = entry.clinic.slug if entry.clinic else "-"
            lines.append(f"{entry.at:%Y-%m-%d %H:%M:%S}  {who}  {clinic}  {entry.action.value}{client}{about}")
    for line in lines or ["no audit entries" + (f" for {slug}" if slug else "")]:
        click.echo(line)
