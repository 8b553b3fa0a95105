"""The `aftercare` command. Each module holds one command group; register it below."""

from __future__ import annotations

import click

from bot.cli import (
    admin,
    ask,
    bookings,
    console,
    demo,
    importer,
    insights,
    link,
    messaging,
    protocol,
    serve,
    staff,
    treatments,
    widget,
)


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
def main() -> None:
    """Aftercare: the microneedling aftercare assistant's admin tool.

    The database comes from DATABASE_URL (default: a SQLite file under var/);
    commands that use it bring its schema up to date first.
    """


# One entry per command group; other groups (ask, outbox, followups, link) join the list.
COMMANDS = (
    admin.clinic,
    admin.client,
    admin.treatment,
    importer.import_command,
    importer.mapping,  # column mappings saved for a clinic's exports
    protocol.protocol,
    demo.demo,
    ask.ask_command,
    serve.serve_command,
    link.link,
    widget.widget,  # web chat: personal links, the embed tag and colour
    messaging.followups,
    messaging.outbox,  # SMS: follow-ups, their worker, the local outbox
    staff.staff,
    staff.audit,
    console.console_command,  # the staff console: accounts, the audit log, its server
    bookings.acuity,  # bookings that arrive by themselves: Acuity, the signed webhook, their events
    bookings.bookings,
    insights.insights_command,  # a clinic's figures, as the console's Insights page
    insights.nlu,  # the review queue's verdicts as training data
)
for command in COMMANDS:
    main.add_command(command)
admin.clinic.add_command(bookings.webhook_secret)
for command in treatments.COMMANDS:  # treatment reschedule / cancel (their follow-ups follow)
    admin.treatment.add_command(command)
