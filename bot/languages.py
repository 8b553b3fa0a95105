"""The languages the project knows, by ISO 639-1 code: those the language identifier tells
apart in a client's message, and those a protocol may give its texts in."""

from __future__ import annotations

ENGLISH = "en"
UNKNOWN = "und"  # ISO 639-2 "undetermined": a script the identifier was not asked to tell

# English names, for the clinic's staff ("wrote in Spanish").
NAMES = {
    "en": "English",
    "es": "Spanish",
    "pt": "Portuguese",
    "fr": "French",
    "vi": "Vietnamese",
    "zh": "Chinese",
    "ja": "Japanese",
    "ko": "Korean",
    "ru": "Russian",
    "uk": "Ukrainian",
    "ar": "Arabic",
    "fa": "Persian",
    "hi": "Hindi",
}


def name(code: str | None) -> str:
    """'es' -> 'Spanish'."""
    return NAMES.get(code or UNKNOWN, "a language the assistant does not recognise")
