"""The few texts the SMS channel sends on its own (HELP, a photo received, a failure).
They are not guidance; a clinic may still reword them in its protocol's `phrases:`
under the keys below. Placeholders: {clinic_name}, {clinic_phone}, {first_name}."""

from __future__ import annotations

from bot.identity import Correspondent
from bot.recovery.answers import fill

DEFAULTS = {
    "sms_help": "{clinic_name} aftercare texts. Questions about your recovery: reply here, "
    "or call {clinic_phone}. Reply STOP to opt out.",
    "sms_photo": "Thank you, we got your photo. I can't assess photos, so I've passed it to the team "
    "at {clinic_name} and someone will get back to you. If it's urgent, call {clinic_phone}.",
    "sms_fallback": "Thanks, we'll get back to you shortly.",
}


def text(who: Correspondent, key: str) -> str:
    phrase = who.protocol.phrases.get(key)
    return fill(phrase.english if phrase else DEFAULTS[key], who.card, first_name=who.first_name or "")
