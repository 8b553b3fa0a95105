"""The red-flag safety net: a lemma and phrase lexicon that escalates whatever the
classifier thinks, so recall never rests on the model alone.

It reads two things from a message. Red flags (pus, fever, swelling lips, trouble
breathing ...) are never expected and escalate at any hour. Sensations (warmth,
tightness, redness, swelling, soreness) are expected for a while after a treatment: the
lexicon only says which ones the client describes now, and the dialogue, which knows the
hour, judges them against the protocol's expected windows.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import lru_cache
from importlib import resources
from typing import Callable, ClassVar, Iterable, Mapping, Optional

import yaml
from spacy.language import Language
from spacy.matcher import Matcher, PhraseMatcher
from spacy.tokens import Doc, Span
from spacy.util import filter_spans

from bot.nlp import clauses, pipeline

_NEGATORS = {"no", "without", "zero", "never"}
_APOSTROPHES = str.maketrans({"\u2019": "'", "\u2018": "'", "\u02bc": "'"})
_NOT = {"not", "n't", "dont", "don't", "havent", "haven't", "isnt", "isn't", "nt"}
# "ca"+"n't", "wo"+"n't": a "not" after these is the symptom ("can't catch my breath").
_UNABLE = {"ca", "can", "could", "wo"}
# `any` in a pattern of redflags.yml: one optional word, never a negation or punctuation,
# so "pain ... worse" matches "pain is way worse" but not "pain isn't worse".
_ANY_WORD = {"LOWER": {"NOT_IN": sorted(_NOT | _NEGATORS)}, "IS_PUNCT": False, "OP": "?"}
# Where a sentence turns from one time to another ("it was hot, but now it's pink").
_CONTRAST = re.compile(r"\b(?:but|though|although|however|whereas|then|and now|now)\b|[,;:]")


@dataclass(frozen=True)
class RedFlag:
    group: str
    text: str  # the client's words
    start: int = 0  # character offsets in the message
    end: int = 0


@dataclass(frozen=True)
class SensationMention:
    name: str  # as in the protocol's `sensations:`
    text: str
    start: int = 0
    end: int = 0


@dataclass(frozen=True)
class Reading:
    flags: list[RedFlag] = field(default_factory=list)
    sensations: list[SensationMention] = field(default_factory=list)


def _words(nlp: Language, phrase: object) -> list[str]:
    return [t.lower_ for t in nlp.make_doc(str(phrase).lower())]


class _Terms:
    """One section of redflags.yml: named terms matched on lemmas, phrases and token shapes,
    with the cues that, next to a term, make it something else."""

    def __init__(
        self,
        nlp: Language,
        spec: Mapping[str, dict],
        any_word: dict = _ANY_WORD,
        negated: Optional[Callable[[Doc, int], bool]] = None,
    ):
        self.negated = negated or _negated
        self.tokens = Matcher(nlp.vocab)  # lemmas and token patterns
        self.phrases = PhraseMatcher(nlp.vocab, attr="LOWER")
        self.not_after: dict[str, list[list[str]]] = {}
        self.not_before: dict[str, list[list[str]]] = {}
        for name, terms in spec.items():
            self.not_after[name] = [_words(nlp, cue) for cue in terms.get("not_after", ())]
            self.not_before[name] = [_words(nlp, cue) for cue in terms.get("not_before", ())]
            lemmas = [str(t).lower() for t in terms.get("lemmas", ())]
            if lemmas:
                self.tokens.add(name, [[{"LEMMA": {"IN": lemmas}}], [{"LOWER": {"IN": lemmas}}]])
            phrases = [nlp.make_doc(str(p).lower()) for p in terms.get("phrases", ())]
            if phrases:
                self.phrases.add(name, phrases)
            if terms.get("patterns"):
                self.tokens.add(
                    name, [[any_word if t == "any" else t for t in pattern] for pattern in terms["patterns"]]
                )

    def spans(self, doc: Doc, overlap: bool = False) -> list[Span]:
        """Matches in text order. Words two rules cover ("lips are swelling") are one match;
        with `overlap`, only within a name ("hot and tight" is warmth and tightness)."""
        found = []
        for matcher in (self.tokens, self.phrases):
            for match_id, start, end in matcher(doc):
                name = doc.vocab.strings[match_id]
                if (
                    self.negated(doc, start)
                    or _after_cue(doc, start, self.not_after[name])
                    or _before_cue(doc, end, self.not_before[name])
                ):
                    continue
                found.append(Span(doc, start, end, label=name))
        if not overlap:
            return filter_spans(found)  # also in text order
        names = {span.label_ for span in found}
        return sorted(
            (s for name in names for s in filter_spans([f for f in found if f.label_ == name])),
            key=lambda span: (span.start, span.end),
        )


class RedFlagLexicon:
    # What `any` in a pattern stands for, and what negates a term: English here; a lexicon
    # of another language has its own (redflags_es.py).
    any_word: ClassVar[dict] = _ANY_WORD

    def __init__(self, nlp: Language, spec: dict):
        self.nlp = nlp
        self.flags = _Terms(nlp, spec["groups"], self.any_word, self.negated)
        self.sensation_terms = _Terms(nlp, spec.get("sensations") or {}, self.any_word, self.negated)
        tense = spec.get("tense") or {}
        self.tense = {key: _cue_pattern(tense.get(key, ())) for key in ("current", "past", "resolved", "future")}

    @staticmethod
    def negated(doc: Doc, start: int) -> bool:
        return _negated(doc, start)

    @property
    def sensation_names(self) -> set[str]:
        return set(self.sensation_terms.not_after)

    def read(self, text: str) -> Reading:
        # The lookup tables are lower-case: "Blisters" and "BLISTERS" lemmatize only lowered.
        # Phones type curly apostrophes ("can’t breathe"); the lexicon spells them straight.
        # The swap keeps every offset, so what is reported is the client's own words.
        lowered = text.lower()
        plain = lowered.translate(_APOSTROPHES)
        doc = self.nlp(plain)
        flag_spans = self.flags.spans(doc)
        flags = [
            RedFlag(span.label_, lowered[span.start_char : span.end_char], span.start_char, span.end_char)
            for span in flag_spans
        ]
        flagged = {i for span in flag_spans for i in range(span.start, span.end)}
        sensations = [
            SensationMention(span.label_, lowered[span.start_char : span.end_char], span.start_char, span.end_char)
            for span in self.sensation_terms.spans(doc, overlap=True)
            # words a red flag already covers ("lips are swollen") are that flag
            if not flagged.intersection(range(span.start, span.end)) and self._felt_now(plain, span)
        ]
        return Reading(flags, sensations)

    def find(self, text: str) -> list[RedFlag]:
        return self.read(text).flags

    def _felt_now(self, text: str, span: Span) -> bool:
        """A sensation the client has now: not one that has passed ("the first night it was
        hot", "the swelling went down") or one they ask about ahead ("will i be swollen").
        Read in its part of the sentence: "it was hot and tight | but now it's just pink"."""
        sentence = next(((a, b) for a, b in clauses.sentences(text) if a <= span.start_char < b), (0, len(text)))
        start, end = sentence
        for turn in _CONTRAST.finditer(text, *sentence):
            if turn.end() <= span.start_char:
                start = turn.end()
            elif turn.start() >= span.end_char:
                end = min(end, turn.start())
        words = text[start:end]
        if self.tense["resolved"].search(words) or self.tense["future"].search(words):
            return False
        if self.tense["current"].search(words) or re.search(r"\bstill\b", text[span.end_char : sentence[1]]):
            return True
        return not self.tense["past"].search(words)


def _cue_pattern(cues: Iterable[object]) -> re.Pattern:
    words = sorted((re.escape(str(c).lower()) for c in cues), key=len, reverse=True)
    return re.compile(r"(?<![\w'])(?:" + "|".join(words) + r")(?![\w'])") if words else re.compile(r"(?!x)x")


def _after_cue(doc: Doc, start: int, cues: list[list[str]]) -> bool:
    """The term follows a cue ("prone to cold sores"), at most one word between."""
    before = [t.lower_ for t in doc[max(start - 5, 0) : start]]
    for cue in cues:
        for gap in (0, 1):
            end = len(before) - gap
            if end >= len(cue) and before[end - len(cue) : end] == cue:
                return True
    return False


def _before_cue(doc: Doc, end: int, cues: list[list[str]]) -> bool:
    """The term comes right before a cue ("hot shower", "red wine"): something else."""
    after = [t.lower_ for t in doc[end : end + 4]]
    return any(after[: len(cue)] == cue for cue in cues)


def _negated(doc: Doc, start: int) -> bool:
    """'no pus', 'without a fever', 'no signs of infection': the client says it is absent."""
    window = [t.lower_ for t in doc[max(start - 4, 0) : start]]
    if any(word in _NEGATORS for word in window[-3:]):
        return True
    # "not unbearable", "isn't getting worse": a "not" just before, or one word before
    for back in (1, 2):
        if len(window) >= back and window[-back] in _NOT:
            if len(window) > back and window[-back - 1] in _UNABLE:
                return False
            if back == 1 or doc[start - 1].is_alpha:
                return True
    # "not any pus", "don't have any fever"
    return "any" in window[-2:] and any(w in _NOT for w in window)


@lru_cache(maxsize=1)
def lexicon() -> RedFlagLexicon:
    spec = yaml.safe_load(resources.files(__package__).joinpath("redflags.yml").read_text("utf-8"))
    return RedFlagLexicon(pipeline.shared(), spec)
