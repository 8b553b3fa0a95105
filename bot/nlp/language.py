"""Which language a client's message is in, so that a message the assistant cannot read is
answered as such rather than guessed at by the English classifier.

lingua (the lingua-language-detector package, models inside the wheel) tells the languages
below apart. On its own it misreads short English texts ("k thx" as Vietnamese, brand names
as French), so the names of products and medicines the project's entity ruler knows
(entities.yml: "Avène", "Sol de Janeiro") are taken out first, and a message in Latin
letters counts as another language only when
- it has at least three words;
- it has no English function or chat word ("i", "my", "the", "ok", "thx") that is not also
  a function word of that language (spaCy's stop-word lists);
- lingua finds that language at least twice as likely as English.
A message in another script (Chinese, Korean, Cyrillic, Arabic ...) is never English.
Measured on real-style messages in README ("Languages").
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache
from typing import Iterable, Optional

import spacy
from lingua import IsoCode639_1, Language, LanguageDetector, LanguageDetectorBuilder
from spacy.lang.en.tokenizer_exceptions import TOKENIZER_EXCEPTIONS

from bot.languages import ENGLISH, UNKNOWN
from bot.nlp import pipeline

# Latin-script languages clients of US clinics write in, and languages of other scripts.
# Every language added makes English short texts likelier to be misread: measure first.
LATIN = ("en", "es", "pt", "fr", "vi")
OTHER_SCRIPTS = ("zh", "ja", "ko", "ru", "uk", "ar", "fa", "hi")

MIN_WORDS = 3
MIN_ODDS = 2.0
# Entity labels that are names, in no language (bot/nlp/entities.yml).
NAME_LABELS = ("PRODUCT", "MEDICINE")

_WORD = re.compile(r"[^\W\d_]+(?:['’][^\W\d_]+)*")
# Texting words that are English whatever the letters around them look like.
_CHAT = frozenset(
    {
        "ok", "okay", "okk", "kk", "k", "thx", "thanx", "thnx", "ty", "tysm", "tyvm", "lol", "lmao", "omg",
        "idk", "tbh", "btw", "pls", "plz", "u", "ur", "r", "ya", "yea", "yeah", "yep", "yup", "nah", "nope",
        "hun", "xx", "xo", "tmrw", "tmr", "tn", "tonite", "np", "ttyl", "brb", "gtg", "rn", "asap", "wdym",
        "ngl", "smh", "imo",
    }
)  # fmt: skip


def _english_words() -> frozenset[str]:
    stop = spacy.util.get_lang_class(ENGLISH).Defaults.stop_words
    contractions = {k.lower() for k in TOKENIZER_EXCEPTIONS if k.replace("'", "").isalpha()}
    return frozenset(stop) | frozenset(contractions) | _CHAT


def _is_latin(word: str) -> bool:
    return unicodedata.name(word[0], "").startswith("LATIN")


class LanguageIdentifier:
    def __init__(self) -> None:
        codes = LATIN + OTHER_SCRIPTS
        languages = [Language.from_iso_code_639_1(getattr(IsoCode639_1, c.upper())) for c in codes]
        self.detector: LanguageDetector = LanguageDetectorBuilder.from_languages(*languages).build()
        self.english_words = _english_words()
        self.function_words = {code: frozenset(spacy.util.get_lang_class(code).Defaults.stop_words) for code in LATIN}

    def warm(self) -> None:
        """Load the Latin-script models now (a few seconds) rather than at the first message."""
        self.identify("hola, ¿puedo usar maquillaje hoy? can i wear makeup today?")

    def identify(self, text: str, names: Iterable[tuple[int, int]] = ()) -> Optional[str]:
        """The language's ISO 639-1 code; "en" unless another language is clear; None when
        the message is too short to tell (fewer than three words in Latin letters).
        `names`: (start, end) character spans of product and medicine names, left out."""
        text = text or ""
        for start, end in names:
            text = text[:start] + " " * (end - start) + text[end:]
        words = [w.lower().replace("’", "'") for w in _WORD.findall(text)]
        if not words:
            return None
        if sum(map(_is_latin, words)) * 2 < len(words):  # mostly another script
            others = [code for code in self._odds(text) if code not in LATIN]
            return others[0] if others else UNKNOWN
        if len(words) < MIN_WORDS:
            return None
        odds = self._odds(text)
        latin = [code for code in odds if code in LATIN and code != ENGLISH]
        if not latin:
            return ENGLISH
        best = latin[0]
        english = self.english_words - self.function_words[best]
        if any(word in english for word in words):
            return ENGLISH
        return best if odds[best] >= MIN_ODDS * odds.get(ENGLISH, 0.0) else ENGLISH

    def _odds(self, text: str) -> dict[str, float]:
        """Language code -> lingua's confidence, most likely first; only languages with a chance."""
        values = self.detector.compute_language_confidence_values(text)
        return {v.language.iso_code_639_1.name.lower(): v.value for v in values if v.value > 0}


@lru_cache(maxsize=1)
def identifier() -> LanguageIdentifier:
    return LanguageIdentifier()


def identify(text: str) -> Optional[str]:
    """The language of a message outside Rasa, the names found by the project's pipeline."""
    names = [(e.start_char, e.end_char) for e in pipeline.shared()(text or "").ents if e.label_ in NAME_LABELS]
    return identifier().identify(text, names)
