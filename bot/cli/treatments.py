"""`aftercare treatment reschedule|cancel`: change a recorded treatment; its follow-ups follow.

Registered under the `treatment` group of bot/cli/admin.py (see bot/cli/__init__.py).
"""

from __future__ import annotations

from datetime import datetime, timezone

import click

from bot.cli.admin import describe_time
from bot.cli.common import unit_of_work
from bot.messaging import followups
from bot.services import treatments
from bot.store.messaging_models import FollowUp, JobStatus
from bot.store.models import Treatment
from bot.timeparse import parse_local_time


def _pending_summary(rows: list[FollowUp], treatment: Treatment) -> str:
    pending = sorted((r for r in rows if r.status is JobStatus.pending), key=lambda r: r.due_at)
    if not pending:
        return "no follow-ups pending"
    first = pending[0]
    return f"{len(pending)} follow-ups pending, next {first.step_key} at {describe_time(first.due_at, treatment.client.clinic)}"


@click.command("reschedule")
@click.option("--id", "treatment_id", required=True, type=int, help="The treatment's id.")
@click.option(
    "--at",
    "at_text",
    required=True,
    help="The new time: 'YYYY-MM-DD HH:MM' in the clinic's local time, or ISO 8601 with an offset.",
)
def reschedule(treatment_id: int, at_text: str) -> None:
    """Move a treatment to another time; its follow-ups move with it."""
    now = datetime.now(timezone.utc)
    with unit_of_work() as session:
        treatment = treatments.get(session, treatment_id)
        when = parse_local_time(at_text, treatment.client.clinic.tz)
        rows = treatments.reschedule(session, treatment, when, now=now)
        summary = (
            f"moved treatment {treatment_id} to {describe_time(when, treatment.client.clinic)}; "
            f"{_pending_summary(rows, treatment)}"
        )
    click.echo(summary)


@click.command("cancel")
@click.option("--id", "treatment_id", required=True, type=int, help="The treatment's id.")
def cancel(treatment_id: int) -> None:
    """Cancel a treatment; its follow-ups not sent yet are cancelled too."""
    now = datetime.now(timezone.utc)
    with unit_of_work() as session:
        rows = treatments.cancel(session, treatments.get(session, treatment_id), now=now)
        stopped = sum(1 for r in rows if r.reason == followups.TREATMENT_CANCELLED)
    click.echo(f"cancelled treatment {treatment_id}; {stopped} follow-ups will not be sent")


COMMANDS = (reschedule, cancel)
