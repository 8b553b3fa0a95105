"""The parameters of a request from Twilio, read from the raw body exactly as Twilio sent
and signed them: every pair in order, blank values and repeated names included.

Twilio posts `application/x-www-form-urlencoded` (UTF-8, a space as '+') and signs every
parameter it sends, empty ones too; a framework's form parser that drops blanks makes the
signature fail. A body that is not such a form cannot be Twilio's: `Unreadable`.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass
from email.message import Message
from typing import Iterator, Optional
from urllib.parse import parse_qsl

FORM_TYPE = "application/x-www-form-urlencoded"
MAX_FIELDS = 1000  # Twilio sends a few dozen; more is not Twilio

# The parameters the channel reads. Twilio never repeats them, and the signature could
# not tell which of a repeated name's values came first (they are signed sorted, and a
# value sent twice counts once), so a request repeating one is refused.
READ = re.compile(r"(?:MessageSid|From|To|Body|NumMedia|MediaUrl\d+|MessageStatus|ErrorCode)\Z")


class Unreadable(ValueError):
    """Not a body Twilio sends."""


@dataclass(frozen=True)
class TwilioForm:
    pairs: tuple[tuple[str, str], ...]

    @classmethod
    def parse(cls, body: bytes, content_type: Optional[str]) -> "TwilioForm":
        header = Message()
        header["Content-Type"] = content_type or ""
        if not content_type or header.get_content_type() != FORM_TYPE:
            raise Unreadable(f"content type {content_type!r} is not {FORM_TYPE}")
        charset = (header.get_content_charset() or "utf-8").replace("_", "-")
        if charset not in ("utf-8", "utf8"):
            raise Unreadable(f"charset {charset!r} is not UTF-8")
        try:
            pairs = parse_qsl(
                body.decode("utf-8"),
                keep_blank_values=True,
                strict_parsing=False,
                encoding="utf-8",
                errors="strict",
                max_num_fields=MAX_FIELDS,
            )
        except ValueError as error:  # UnicodeDecodeError included
            raise Unreadable(str(error)) from None
        form = cls(tuple(pairs))
        repeated = sorted(
            name for name, count in Counter(name for name, _ in pairs).items() if count > 1 and READ.match(name)
        )
        if repeated:
            raise Unreadable(f"repeated parameters: {', '.join(repeated)}")
        return form

    def get(self, name: str) -> str:
        """The value of a parameter the channel reads ("" when absent)."""
        return next((value for key, value in self.pairs if key == name), "")

    # What twilio's RequestValidator reads: the names, then each name's values (MultiDict's API).

    def __iter__(self) -> Iterator[str]:
        return iter(dict.fromkeys(name for name, _ in self.pairs))

    def __len__(self) -> int:
        return len(self.pairs)

    def getall(self, name: str) -> list[str]:
        return [value for key, value in self.pairs if key == name]
