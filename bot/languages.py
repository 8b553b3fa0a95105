"""The languages the project knows, by ISO 639-1 code: those the language identifier tells
apart in a client's message, and those a protocol may give its texts in."""
from __future__ import annotations

ENGLISH = "en"

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


def name(code: str) -> str:
    return NAMES.get(code, code)
