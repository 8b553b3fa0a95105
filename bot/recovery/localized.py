"""A text a client reads, in one or more languages.

In a protocol file such a text is either a string, which is English, or a mapping from
language code to text with English always among them:

    escalate: "Please contact {clinic_name} now ..."
    escalate:
      en: "Please contact {clinic_name} now ..."
      es: "Comuníquese ahora con {clinic_name} ..."

Pure: parsing and merging work on values, never on files.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Mapping, Optional

from bot.languages import ENGLISH, NAMES


class LocalizedError(ValueError):
    """A text that is not a string or a {language: text} mapping with English in it."""


@dataclass(frozen=True)
class Localized:
    texts: Mapping[str, str]  # language code -> text; English is always there

    def __post_init__(self) -> None:
        if not (self.texts.get(ENGLISH) or "").strip():
            raise LocalizedError("needs an English text ('en')")

    @property
    def english(self) -> str:
        return self.texts[ENGLISH]

    @property
    def languages(self) -> tuple[str, ...]:
        return tuple(self.texts)

    def get(self, language: Optional[str]) -> Optional[str]:
        """The text in `language`, or None when there is none in it."""
        return self.texts.get(language) if language else None

    def text(self, language: Optional[str] = ENGLISH) -> str:
        """The text in `language`, else in English."""
        return self.get(language) or self.english


def parse(value: Any) -> Localized:
    """A protocol value (a string, or a {language: text} mapping) as a Localized text."""
    if isinstance(value, str):
        return Localized({ENGLISH: value.strip()})
    if not isinstance(value, Mapping) or not value:
        raise LocalizedError("must be a text, or a mapping from language code to text (en: ..., es: ...)")
    texts = {}
    for code, text in value.items():
        code = str(code)
        if code not in NAMES:
            raise LocalizedError(f"unknown language {code!r} (known: {', '.join(sorted(NAMES))})")
        if not isinstance(text, str) or not text.strip():
            raise LocalizedError(f"the {NAMES[code]} text ({code}) is empty")
        texts[code] = text.strip()
    return Localized(texts)


def merge(base: Any, override: Any) -> Any:
    """A clinic's text replaces the default's language by language: a clinic that rewords the
    English keeps the default's other languages rather than silently losing them."""
    if isinstance(base, Mapping):
        if isinstance(override, str):
            return {**base, ENGLISH: override}
        if isinstance(override, Mapping):
            return {**base, **override}
    return override
