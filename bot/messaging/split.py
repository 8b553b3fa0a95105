"""Cutting a long reply into SMS-sized parts a person can read in order.

Parts end at a paragraph when the part is already well filled, else at a sentence, else
between words; a word is never cut (a single word longer than a part, such as a long
link, gets a part of its own). Parts are numbered "(1/3) " only when there are several,
because handsets may show separately sent texts out of order.
"""

from __future__ import annotations

import re
from typing import Iterator

PART_CHARS = 320  # about two GSM segments; Twilio joins longer texts itself up to 1600
MAX_MESSAGE_CHARS = 1600  # Twilio refuses a longer body (error 21617)

_PARAGRAPHS = re.compile(r"\n\s*\n")
_SENTENCE_END = re.compile(r"(?<=[.!?…])\s+")


def _units(text: str, room: int) -> Iterator[tuple[str, str]]:
    """(joiner, piece) pairs: sentences, or words of sentences longer than `room`.
    The joiner says what stood before the piece: a paragraph break or a space."""
    for index, paragraph in enumerate(p.strip() for p in _PARAGRAPHS.split(text)):
        if not paragraph:
            continue
        joiner = "\n\n" if index else ""
        for sentence in _SENTENCE_END.split(paragraph):
            sentence = " ".join(sentence.split())
            if not sentence:
                continue
            pieces = [sentence] if len(sentence) <= room else sentence.split(" ")
            for piece in pieces:
                yield joiner, piece
                joiner = " "


def _pack(text: str, room: int) -> list[str]:
    parts: list[str] = []
    current = ""
    for joiner, piece in _units(text, room):
        if not current:
            current = piece
        elif joiner == "\n\n" and len(current) >= room // 2:
            parts.append(current)  # a paragraph break in a well-filled part: end it here
            current = piece
        elif len(current) + len(joiner) + len(piece) <= room:
            current += joiner + piece
        else:
            parts.append(current)
            current = piece
    if current:
        parts.append(current)
    return parts


def split_sms(text: str, limit: int = PART_CHARS) -> list[str]:
    """`text` as one or more SMS bodies of at most `limit` characters (numbering included)."""
    text = (text or "").strip()
    if not text:
        return []
    if len(text) <= limit:
        return [text]
    count = 2
    while True:  # the numbering's width depends on the number of parts: settle it
        prefix = len(f"({count}/{count}) ")
        parts = _pack(text, limit - prefix)
        if len(f"({len(parts)}/{len(parts)}) ") == prefix or len(parts) < count:
            break
        count = len(parts)
    total = len(parts)
    if total == 1:
        return parts
    return [f"({number}/{total}) {part}" for number, part in enumerate(parts, start=1)]


def fit(text: str, limit: int = MAX_MESSAGE_CHARS) -> str:
    """`text` shortened to one message of at most `limit` characters, cut between words."""
    text = (text or "").strip()
    if len(text) <= limit:
        return text
    cut = text[: limit - 1]
    if not text[limit - 1].isspace() and " " in cut:
        cut = cut.rsplit(" ", 1)[0]  # don't end on half a word
    return cut.rstrip() + "…"
