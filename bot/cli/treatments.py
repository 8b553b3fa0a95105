"""`aftercare treatment reschedule|cancel`: change a recorded treatment; its follow-ups follow.

Registered under the `treatment` group of bot/cli/admin.py (see bot/cli/__init__.py).
"""
from __future__ import annotations

from datetime import datetime, timezone

import click

from bot.cli.admin import describe_time
from bot.cli.common import fail, unit_of_work
from bot.messaging import followups
from bot.store.errors import FutureTreatment
from bot.store.messaging_models import PENDING
from bot.store.models import Treatment, TreatmentStatus
from bot.timeparse import parse_local_time


def _treatment(session, treatment_id: int) -> Treatment:
    treatment = session.get(Treatment, treatment_id)
    if treatment is None:
        fail(f"no treatment with id {treatment_id}")
    return treatment


def _pending_summary(rows, treatment: Treatment) -> str:
    pending = sorted((r for r in rows if r.treatment_id == treatment.id and r.status == PENDING), key=lambda r: r.due_at)
    if not pending:
        return "no follow-ups pending"
    first = pending[0]
    return f"{len(pending)} follow-ups pending, next {first.step_key} at {describe_time(first.due_at, treatment.client.clinic)}"


@click.command("reschedule")
@click.option("--id", "treatment_id", required=True, type=int, help="The treatment's id.")
@click.option(
    "--at", "at_text", required=True,
    help="The new time: 'YYYY-MM-DD HH:MM' in the clinic's local time, or ISO 8601 with an offset.",
)
def reschedule(treatment_id: int, at_text: str) -> None:
    """Move a treatment to another time; its follow-ups move with it."""
    now = datetime.now(timezone.utc)
    with unit_of_work() as session:
        treatment = _treatment(session, treatment_id)
        if treatment.status is TreatmentStatus.cancelled:
            fail(f"treatment {treatment_id} is cancelled; record a new one instead")
        when = parse_local_time(at_text, treatment.client.clinic.tz)
        if treatment.status is TreatmentStatus.done and when > now:
            raise FutureTreatment("a done treatment cannot be in the future (record it as booked)")
        treatment.performed_at = when
        rows = followups.sync_treatment(session, treatment, now)
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
        treatment = _treatment(session, treatment_id)
        treatment.status = TreatmentStatus.cancelled
        rows = followups.sync_treatment(session, treatment, now)
        stopped = sum(1 for r in rows if r.treatment_id == treatment.id and r.reason == followups.TREATMENT_CANCELLED)
    click.echo(f"cancelled treatment {treatment_id}; {stopped} follow-ups will not be sent")


COMMANDS = (reschedule, cancel)
