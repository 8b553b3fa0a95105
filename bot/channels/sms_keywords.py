"""The carrier keywords an SMS channel must honour, read the way Twilio reads them:
the whole message, any case, surrounding spaces and punctuation ignored."""

from __future__ import annotations

from typing import Optional

STOP, START, HELP, YES = "stop", "start", "help", "yes"

# Twilio's own opt-out and opt-in keywords; it confirms both to the client itself.
_KEYWORDS = {
    **dict.fromkeys(("STOP", "STOPALL", "UNSUBSCRIBE", "CANCEL", "END", "QUIT", "OPTOUT", "REVOKE"), STOP),
    **dict.fromkeys(("START", "UNSTOP"), START),
    **dict.fromkeys(("HELP", "INFO"), HELP),
    # YES opts back in only a client who opted out; otherwise it is an answer for the bot.
    "YES": YES,
}


def keyword(text: Optional[str]) -> Optional[str]:
    """STOP, START, HELP or YES when the whole message is one of their keywords."""
    text = (text or "").strip()
    if len(text) > 20:  # no keyword is that long: a question, not a keyword
        return None
    return _KEYWORDS.get(text.strip(".!?,;:'\"()").strip().upper())
