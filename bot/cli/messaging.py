"""`aftercare followups list|run` and `aftercare outbox`: the texts the assistant sends first."""

from __future__ import annotations

import logging
import signal
import threading
from datetime import datetime, timedelta, timezone
from typing import Optional

import click

from bot import config
from bot.cli.common import database, unit_of_work
from bot.messaging import ledger
from bot.messaging.followups import for_client
from bot.messaging.gateway import Gateway
from bot.messaging.worker import Worker, WorkerOptions
from bot.services import clients
from bot.store.messaging_models import FollowUp, JobStatus
from bot.store.models import Clinic

CLINIC_HELP = "The clinic's slug; needed when the number is a client of several."


def _local(moment: Optional[datetime], clinic: Optional[Clinic]) -> str:
    if moment is None:
        return "-"
    if clinic is None:
        return f"{moment.astimezone(timezone.utc):%Y-%m-%d %H:%M} UTC"
    return f"{moment.astimezone(clinic.tz):%Y-%m-%d %H:%M %Z}"


def _table(header: tuple, rows: list[tuple]) -> None:
    widths = [max(len(str(row[i])) for row in [header, *rows]) for i in range(len(header))]
    for row in [header, *rows]:
        click.echo("  ".join(str(cell).ljust(width) for cell, width in zip(row, widths, strict=True)).rstrip())


def _state(row: FollowUp) -> str:
    if row.status is JobStatus.pending and row.next_attempt_at is not None:
        retry = f"{row.error}; " if row.error else ""  # a failed try, or quiet hours at the clinic
        return f"pending ({retry}next try {_local(row.next_attempt_at, row.clinic)})"
    detail = row.reason or row.error
    return f"{row.status.value} ({detail})" if detail else row.status.value


@click.group("followups")
def followups() -> None:
    """Follow-up texts: what is due when, and the worker that sends them."""


@followups.command("list")
@click.option("--client", "phone", default=None, help="Only this client's follow-ups, sent ones included.")
@click.option("--clinic", "slug", default=None, help=CLINIC_HELP)
@click.option("--all", "everything", is_flag=True, help="Include sent, skipped and cancelled follow-ups.")
def followups_list(phone: Optional[str], slug: Optional[str], everything: bool) -> None:
    """Show follow-ups in the order they go out, in each clinic's local time.

    Without --client only pending ones are shown (add --all for the history).
    """
    with unit_of_work() as session:
        client = clients.find(session, phone, slug) if phone else None
        rows = for_client(session, client.id if client else None)
        if not (client or everything):
            rows = [row for row in rows if row.status is JobStatus.pending]
        if slug and not client:
            rows = [row for row in rows if row.clinic.slug == slug]
        lines = [
            (
                _local(r.due_at, r.clinic),
                r.clinic.slug,
                f"{r.client.name} {r.client.phone}",
                r.step_key,
                f"#{r.treatment_id}",
                _state(r),
            )
            for r in rows
        ]
    if not lines:
        click.echo("no follow-ups" + ("" if everything or client else " pending"))
        return
    _table(("due (clinic time)", "clinic", "client", "step", "treatment", "status"), lines)


@followups.command("run")
@click.option("--once", is_flag=True, help="Send what is due now, then exit (default: keep polling).")
@click.option("--batch", default=50, show_default=True, type=click.IntRange(1, 1000), help="Rows claimed at a time.")
@click.option("--interval", default=5.0, show_default=True, type=click.FloatRange(0.05), help="Seconds between polls.")
@click.option(
    "--lease",
    default=60.0,
    show_default=True,
    type=click.FloatRange(1),
    help="Seconds a claimed row stays this worker's; a killed worker's rows are retried after it.",
)
@click.option(
    "--concurrency",
    default=16,
    show_default=True,
    type=click.IntRange(1, 200),
    help="Texts in flight at once (Twilio's API takes 100-300 ms to answer each).",
)
def followups_run(once: bool, batch: int, interval: float, lease: float, concurrency: int) -> None:
    """Send due follow-ups and staff alerts, each exactly once.

    Several workers may run side by side on PostgreSQL; on SQLite run one.
    Without TWILIO_ACCOUNT_SID/TWILIO_AUTH_TOKEN the texts go to the local outbox.
    """
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")
    settings = config.from_env()
    options = WorkerOptions(batch=batch, interval=interval, lease=timedelta(seconds=lease), concurrency=concurrency)
    stop = threading.Event()
    for signum in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signum, lambda *_: stop.set())  # finish the message in hand, then stop
    with database() as engine:
        gateway = Gateway.from_settings(settings)
        worker = Worker(engine, gateway, settings, options)
        click.echo(f"follow-up worker {worker.worker_id}: sending through {gateway.name.value}", err=True)
        total = worker.run(once=once, stop=stop)
    click.echo(f"done: {total}")


@click.command("outbox")
@click.option("--limit", default=20, show_default=True, type=click.IntRange(1), help="How many of the newest texts.")
def outbox(limit: int) -> None:
    """Show the local outbox: the texts stored instead of sent when Twilio is not configured."""
    with unit_of_work() as session:
        messages = ledger.outbox(session, limit)
        shown = [
            (_local(m.created_at, m.clinic), m.purpose or "", m.from_number, m.to_number, m.body or "")
            for m in reversed(messages)
        ]
    if config.from_env().twilio_enabled:
        click.echo("(Twilio is configured: new texts go to Twilio, not to this outbox)", err=True)
    if not shown:
        click.echo("the outbox is empty")
        return
    for when, purpose, sender, to, body in shown:
        click.echo(f"--- {when}  {purpose}  from {sender} to {to}")
        click.echo(body)
