"""What a clinic sends from: a phone number, or a Twilio Messaging Service ("MG" + 32 hex)."""
from __future__ import annotations

from bot.phones import normalize_phone
from bot.store.models import MESSAGING_SERVICE


def is_messaging_service(sender: str) -> bool:
    return bool(sender) and MESSAGING_SERVICE.match(sender) is not None


def normalize_sender(raw: str, region: str = "US") -> str:
    """A Messaging Service SID as it is, anything else as an E.164 phone number."""
    text = (raw or "").strip()
    return text if is_messaging_service(text) else normalize_phone(text, region)
