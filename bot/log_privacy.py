"""Phone numbers are masked in every log record a process of ours writes.

Message bodies and names are never logged by our code; phone numbers, though, reach
log lines through third-party messages (an error quoting the number it refused, a
conversation id in a library's warning). A record factory masks them as each record is
made, in its message and its traceback, whichever handler writes it.
"""

from __future__ import annotations

import logging
import re
import traceback
from typing import Any

# E.164 and what people type ("+1 (212) 555-0123"); North American local forms
# ("(212) 555-0123", "212.555.0123"). Not dates, times or ids.
_PHONE = re.compile(
    r"(?<![\w+])\+\d[\d\s().\-]{5,20}\d(?!\w)"
    r"|(?<![\w(])\(?\d{3}\)?[\s.\-]\d{3}[\s.\-]\d{4}(?!\w)"
)


def mask(text: str) -> str:
    """'+12125550123' -> '+*********23': enough to tell two numbers apart in a log."""

    def masked(found: re.Match) -> str:
        digits = re.sub(r"\D", "", found.group())
        return ("+" if found.group().startswith("+") else "") + "*" * (len(digits) - 2) + digits[-2:]

    return _PHONE.sub(masked, text)


def _masked_record(record: logging.LogRecord) -> logging.LogRecord:
    try:
        message = record.getMessage()
    except Exception:  # a malformed record is the handler's to report
        return record
    clean = mask(message)
    if clean != message:
        record.msg, record.args = clean, None
    if record.exc_info and record.exc_info[0] is not None and not record.exc_text:
        text = "".join(traceback.format_exception(*record.exc_info)).rstrip("\n")
        clean = mask(text)
        if clean != text:
            record.exc_text = clean  # formatters use it instead of formatting again
    return record


_installed = False


def install() -> None:
    """Mask from now on, in this process (idempotent)."""
    global _installed
    if _installed:
        return
    previous = logging.getLogRecordFactory()

    def factory(*args: Any, **kwargs: Any) -> logging.LogRecord:
        return _masked_record(previous(*args, **kwargs))

    logging.setLogRecordFactory(factory)
    _installed = True
