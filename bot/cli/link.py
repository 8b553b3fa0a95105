"""`aftercare link --phone P`: a client's personal chat link; `aftercare link revoke`."""

from __future__ import annotations

from contextlib import contextmanager
from datetime import datetime, timedelta, timezone
from typing import Iterator, Optional

import click

from bot import config, links, local_secret
from bot.cli.common import fail, unit_of_work
from bot.messaging.gateway import Gateway
from bot.services import chat_links, clients

PHONE_HELP = "The client's phone number."
CLINIC_HELP = "The clinic's slug; needed when the number is a client of several."


@contextmanager
def secret_errors() -> Iterator[None]:
    try:
        yield
    except local_secret.SecretError as exc:
        fail(str(exc))


@click.group(invoke_without_command=True)
@click.option("--phone", default=None, help=PHONE_HELP)
@click.option("--clinic", "slug", default=None, help=CLINIC_HELP)
@click.option("--send", is_flag=True, help="Text the link to the client from the clinic's number instead.")
@click.pass_context
def link(ctx: click.Context, phone: Optional[str], slug: Optional[str], send: bool) -> None:
    """Print a client's personal chat link (the link goes to stdout, a note to stderr),
    or with --send text it to them (through Twilio, or into the local outbox).

    The link opens the clinic's chat page already knowing the client's treatment. It
    expires after AFTERCARE_LINK_TTL_DAYS days; `aftercare link revoke` cancels every
    link the client was given so far. Nothing is texted to a client who opted out.
    """
    if ctx.invoked_subcommand is not None:
        return
    if not phone:
        raise click.UsageError("give the client's --phone (or use `aftercare link revoke --phone P`)")
    settings = config.from_env()
    now = datetime.now(timezone.utc)
    with unit_of_work() as session, secret_errors():
        client = clients.find(session, phone, slug)
        who = f"{client.name} ({client.phone}) at {client.clinic.slug}"
        if send:
            sent = chat_links.send(session, settings, Gateway.from_settings(settings), client, now)
            summary = f"texted a chat link to {who} ({sent.message.transport.value} {sent.message.sid})"
        else:
            url = links.chat_link(settings, client, now)
    if send:
        click.echo(summary)  # only once committed
        return
    until = now + timedelta(days=settings.link_ttl_days)
    click.echo(url)
    click.echo(f"chat link for {who}, valid until {until:%Y-%m-%d %H:%M} UTC", err=True)


@link.command("revoke")
@click.option("--phone", required=True, help=PHONE_HELP)
@click.option("--clinic", "slug", default=None, help=CLINIC_HELP)
def revoke(phone: str, slug: Optional[str]) -> None:
    """Cancel every chat link a client was given so far.

    Open chats with those links fall back to general guidance at their next message;
    `aftercare link --phone P` then issues a new link that works.
    """
    with unit_of_work() as session:
        client = clients.find(session, phone, slug)
        chat_links.revoke(session, client, datetime.now(timezone.utc))
        who = f"{client.name} ({client.phone}) at {client.clinic.slug}"
    click.echo(f"revoked every chat link issued so far to {who}")
