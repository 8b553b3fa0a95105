"""A booking system's status word, read as one of ours: booked, done or cancelled.

The words are those Acuity, Boulevard, Mangomint, Vagaro, Square, Jane and spreadsheets
write ("Checked out", "No-Show", "CANCELLED_BY_CUSTOMER", "Awaiting confirmation").
A no-show is a cancelled treatment: nothing happened to the skin, so no aftercare texts.
A word that says the client came but not that the visit is over ("arrived", "in
progress") is booked; whether an appointment has happened is then decided by its time
(bot/services/bookings.py: one whose time has passed and was not cancelled is done).
"""

from __future__ import annotations

import re

from bot.store.errors import InvalidValue
from bot.store.models import TreatmentStatus

BOOKED = (
    "booked",
    "scheduled",
    "confirmed",
    "unconfirmed",
    "awaiting confirmation",
    "pending",
    "pending confirmation",
    "accepted",
    "requested",
    "request",
    "new",
    "rescheduled",  # the row is the appointment at its new time
    "arrived",
    "checked in",
    "check in",
    "show",
    "showed",
    "in progress",
    "started",
    "ready to start",
    "not started",
    "unarrived",
)
DONE = (
    "done",
    "completed",
    "complete",
    "checked out",
    "check out",
    "checkout",
    "finished",
    "fulfilled",
    "attended",
    "kept",
    "paid",
    "closed",
    "final",
)
CANCELLED = (
    "cancelled",
    "canceled",
    "cancel",
    "cancellation",
    "late cancel",
    "late cancelled",
    "late canceled",
    "late cancellation",
    "cancelled by client",
    "cancelled by customer",
    "cancelled by seller",
    "cancelled by business",
    "cancelled by staff",
    "canceled by client",
    "canceled by customer",
    "canceled by seller",
    "canceled by business",
    "canceled by staff",
    "declined",
    "denied",
    "rejected",
    "deleted",
    "void",
    "voided",
    "no show",
    "noshow",
    "did not arrive",
    "did not attend",
    "dna",
    "missed",
)

WORDS: dict[str, TreatmentStatus] = {
    **dict.fromkeys(BOOKED, TreatmentStatus.booked),
    **dict.fromkeys(DONE, TreatmentStatus.done),
    **dict.fromkeys(CANCELLED, TreatmentStatus.cancelled),
}


def _normalized(word: str) -> str:
    # "No-Show", "CANCELLED_BY_CUSTOMER", "Checked  Out " -> "no show", "cancelled by customer", "checked out"
    return " ".join(re.sub(r"[_\-/]+", " ", word.strip().lower()).split())


class UnknownStatus(InvalidValue):
    """A status word no booking system we know writes."""


def read_status(word: str, default: TreatmentStatus = TreatmentStatus.done) -> TreatmentStatus:
    """The status a word means; `default` for an empty one. Unknown words are refused:
    guessing could text aftercare to someone whose appointment never happened."""
    normalized = _normalized(word or "")
    if not normalized:
        return default
    found = WORDS.get(normalized)
    if found is None:
        shown = word.strip()[:40]
        raise UnknownStatus(
            f"unknown treatment status {shown!r} (known: booked, confirmed, completed, checked out, cancelled, "
            "no-show and their usual spellings)"
        )
    return found
