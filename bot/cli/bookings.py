"""`aftercare acuity ...`, `aftercare clinic webhook-secret`, `aftercare bookings events`:
connecting a clinic's booking system, and what it has sent."""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Optional

import click

from bot import config
from bot.cli.common import unit_of_work, user_errors
from bot.sealing import sealer_for
from bot.services import booking_events, booking_sources
from bot.store import queries
from bot.store.booking_models import SourceKind


def _now() -> datetime:
    return datetime.now(timezone.utc)


def _url(path: str) -> str:
    return f"{config.from_env().public_url}/webhooks/bookings/{path}"


@click.group()
def acuity() -> None:
    """Acuity Scheduling: appointments arrive by its webhooks."""


@acuity.command("connect")
@click.option("--clinic", "slug", required=True, help="The clinic's slug.")
@click.option("--user-id", required=True, help="Acuity's user id (Integrations > API).")
@click.option(
    "--api-key",
    default=None,
    help="Acuity's API key; asked for (not echoed) when left out, so it stays out of the shell history.",
)
@click.option(
    "--types",
    default="",
    help="Acuity's ids of the microneedling appointment types, e.g. 31001,31002; "
    "without them, a type is microneedling when its name says so.",
)
def acuity_connect(slug: str, user_id: str, api_key: Optional[str], types: str) -> None:
    """Connect a clinic's Acuity account (replaces an earlier one)."""
    with user_errors():
        type_ids = booking_sources.parse_types(types)
        booking_sources.check_acuity_user(user_id)
    if api_key is None:
        api_key = click.prompt("Acuity API key", hide_input=True, err=True)
    sealer = sealer_for(config.from_env())
    with unit_of_work() as session:
        clinic = queries.clinic_by_slug(session, slug)
        account = booking_sources.connect_acuity(session, clinic, user_id, api_key, type_ids, sealer, _now())
    which = ", ".join(str(t) for t in account.appointment_types) or "those whose name says microneedling"
    click.echo(f"connected Acuity user {account.user_id} to {slug}; appointment types: {which}")
    click.echo(f"In Acuity, Integrations > Webhooks: set every appointment event to {_url(f'acuity/{slug}')}")


@acuity.command("show")
@click.option("--clinic", "slug", required=True, help="The clinic's slug.")
def acuity_show(slug: str) -> None:
    """The clinic's Acuity settings (the API key is never shown)."""
    with unit_of_work() as session:
        clinic = queries.clinic_by_slug(session, slug)
        source = queries.booking_source(session, clinic.id, SourceKind.acuity)
        shown = (source.account, source.appointment_types, source.updated_at) if source else None
    if shown is None:
        click.echo(f"{slug} has no Acuity account; connect one with `aftercare acuity connect`")
        return
    user_id, types, updated = shown
    click.echo(f"user id: {user_id}")
    click.echo("API key: set (not shown)")
    click.echo(f"appointment types: {types or 'by name (microneedling, collagen induction, SkinPen, Dermapen)'}")
    click.echo(f"webhook URL: {_url(f'acuity/{slug}')}")
    click.echo(f"updated: {updated:%Y-%m-%d %H:%M} UTC")


@acuity.command("disconnect")
@click.option("--clinic", "slug", required=True, help="The clinic's slug.")
def acuity_disconnect(slug: str) -> None:
    """Forget the clinic's Acuity account and key; its webhooks are refused from now on."""
    with unit_of_work() as session:
        removed = booking_sources.disconnect(session, queries.clinic_by_slug(session, slug), SourceKind.acuity)
    click.echo(f"disconnected Acuity from {slug}" if removed else f"{slug} had no Acuity account")


@click.command("webhook-secret")
@click.option("--clinic", "slug", required=True, help="The clinic's slug.")
def webhook_secret(slug: str) -> None:
    """Make a new signing secret for the clinic's booking webhook, shown this once.

    It replaces any earlier secret at once: update the sender (the Zap) with it."""
    sealer = sealer_for(config.from_env())
    with unit_of_work() as session:
        clinic = queries.clinic_by_slug(session, slug)
        secret = booking_sources.rotate_webhook_secret(session, clinic, sealer, _now())
    click.echo(f"webhook URL: {_url(slug)}")
    click.echo(f"secret:      {secret}")
    click.echo("Keep the secret in the sender only: it is not shown again (run this again to replace it).")


@click.group()
def bookings() -> None:
    """What booking systems sent."""


@bookings.command("events")
@click.option("--clinic", "slug", required=True, help="The clinic's slug.")
@click.option("--limit", default=50, show_default=True, type=click.IntRange(1, 1000))
def bookings_events(slug: str, limit: int) -> None:
    """The latest events from Acuity and the webhook, newest first, with what became of them."""
    with unit_of_work() as session:
        clinic = queries.clinic_by_slug(session, slug)
        rows = [
            (
                f"{event.received_at:%Y-%m-%d %H:%M}",
                event.source.value,
                event.action,
                event.booking_ref or "-",
                event.outcome.value,
                event.reason or "",
            )
            for event in booking_events.recent(session, clinic, limit)
        ]
    if not rows:
        click.echo(f"no booking events for {slug} yet")
        return
    header = ("received (UTC)", "source", "action", "booking", "outcome", "reason")
    widths = [max(len(row[i]) for row in [header, *rows]) for i in range(len(header))]
    for row in [header, *rows]:
        click.echo("  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)).rstrip())
