"""`aftercare widget tag|color`: putting the web chat on a clinic's site."""

from __future__ import annotations

import click

from bot import config
from bot.cli.common import unit_of_work
from bot.services import clinics
from bot.store import queries
from bot.store.models import BRAND_COLOR
from bot.web.pages import embed_tag


@click.group()
def widget() -> None:
    """The web chat widget clinics put on their site."""


@widget.command("tag")
@click.option("--clinic", "slug", required=True, help="The clinic's slug.")
def tag(slug: str) -> None:
    """Print the one <script> tag that puts the chat on a clinic's site (uses PUBLIC_URL)."""
    with unit_of_work() as session:
        clinic = queries.clinic_by_slug(session, slug)
    click.echo(embed_tag(config.from_env().public_url, clinic.slug))


@widget.command("color")
@click.option("--clinic", "slug", required=True, help="The clinic's slug.")
@click.argument("color")
def color(slug: str, color: str) -> None:
    """Set the chat's colour: a hex colour such as '#0f766e', or 'default'."""
    value = None if color == "default" else color
    if value is not None and not BRAND_COLOR.match(value):
        raise click.BadParameter("use a hex colour such as '#0f766e', or 'default'", param_hint="COLOR")
    with unit_of_work() as session:
        clinics.set_brand_color(session, queries.clinic_by_slug(session, slug), value)
    click.echo(f"{slug}: chat colour {value.lower() if value else 'default'}")
