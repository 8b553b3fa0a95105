"""The words of the texts the worker sends: a follow-up step filled in for its client, and
the note that tells a clinic's staff about an alert. The guidance itself comes from the
clinic's protocol; only the frame of the staff note is written here."""

from __future__ import annotations

from bot.alerts import AlertKind
from bot.messaging.split import fit
from bot.phones import display_phone
from bot.recovery.answers import fill
from bot.recovery.protocol import FollowUpStep
from bot.store.models import Alert, Client, Clinic

ALERT_KINDS_SAID = {
    AlertKind.red_flag: "RED FLAG",
    AlertKind.human_request: "asks for a person",
    AlertKind.uncovered_topic: "question the protocol does not cover",
    AlertKind.outside_timeline: "outside the expected recovery",
    AlertKind.photo: "sent a photo",
    AlertKind.bot_error: "the assistant could not answer",
    AlertKind.other_language: "wrote in another language",
}


def followup_body(step: FollowUpStep, clinic: Clinic, client: Client, chat_link: str = "") -> str:
    return fit(fill(step.text, clinic.card, first_name=client.first_name, chat_link=chat_link))


def needs_chat_link(step: FollowUpStep) -> bool:
    return "{chat_link}" in step.text


def alert_body(alert: Alert) -> str:
    """ "Glow Skin Studio aftercare: RED FLAG, Ana Diaz (212) 555-0123: <message>"."""
    who = f"{alert.client.name} {display_phone(alert.client.phone)}" if alert.client else "a client"
    kind = ALERT_KINDS_SAID.get(alert.kind, alert.kind.value)
    return fit(f"{alert.clinic.name} aftercare: {kind}, {who}: {' '.join(alert.message.split())}")
