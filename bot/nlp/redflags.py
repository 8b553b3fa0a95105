"""The red-flag safety net: a lemma and phrase lexicon that escalates whatever the
classifier thinks, so recall never rests on the model alone.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from importlib import resources

import yaml
from spacy.language import Language
from spacy.matcher import Matcher, PhraseMatcher
from spacy.tokens import Doc, Span
from spacy.util import filter_spans

from bot.nlp import pipeline

_NEGATORS = {"no", "without", "zero", "never"}
_APOSTROPHES = str.maketrans({"\u2019": "'", "\u2018": "'", "\u02bc": "'"})
_NOT = {"not", "n't", "dont", "don't", "havent", "haven't", "isnt", "isn't", "nt"}
# "ca"+"n't", "wo"+"n't": a "not" after these is the symptom ("can't catch my breath").
_UNABLE = {"ca", "can", "could", "wo"}
# `any` in a pattern of redflags.yml: one optional word, never a negation or punctuation,
# so "pain ... worse" matches "pain is way worse" but not "pain isn't worse".
_ANY_WORD = {"LOWER": {"NOT_IN": sorted(_NOT | _NEGATORS)}, "IS_PUNCT": False, "OP": "?"}


@dataclass(frozen=True)
class RedFlag:
    group: str
    text: str


class RedFlagLexicon:
    def __init__(self, nlp: Language, spec: dict):
        self.nlp = nlp
        self.tokens = Matcher(nlp.vocab)  # lemmas and token patterns
        self.phrases = PhraseMatcher(nlp.vocab, attr="LOWER")
        self.not_after: dict[str, list[list[str]]] = {}
        for group, terms in spec["groups"].items():
            self.not_after[group] = [
                [t.lower_ for t in nlp.make_doc(str(cue).lower())] for cue in terms.get("not_after", ())
            ]
            lemmas = [str(t).lower() for t in terms.get("lemmas", ())]
            if lemmas:
                self.tokens.add(group, [[{"LEMMA": {"IN": lemmas}}], [{"LOWER": {"IN": lemmas}}]])
            phrases = [nlp.make_doc(str(p).lower()) for p in terms.get("phrases", ())]
            if phrases:
                self.phrases.add(group, phrases)
            if terms.get("patterns"):
                self.tokens.add(
                    group, [[_ANY_WORD if t == "any" else t for t in pattern] for pattern in terms["patterns"]]
                )

    def find(self, text: str) -> list[RedFlag]:
        # The lookup tables are lower-case: "Blisters" and "BLISTERS" lemmatize only lowered.
        # Phones type curly apostrophes ("can’t breathe"); the lexicon spells them straight.
        # The swap keeps every offset, so a flag's text is the client's own words.
        lowered = text.lower()
        doc = self.nlp(lowered.translate(_APOSTROPHES))
        spans = []
        for matcher in (self.tokens, self.phrases):
            for match_id, start, end in matcher(doc):
                group = self.nlp.vocab.strings[match_id]
                if self._negated(doc, start) or self._after_cue(doc, start, self.not_after[group]):
                    continue
                spans.append(Span(doc, start, end, label=group))
        # A phrase and a pattern often cover the same words ("lips are swelling"): one flag.
        # filter_spans also returns them in text order.
        return [RedFlag(span.label_, lowered[span.start_char : span.end_char]) for span in filter_spans(spans)]

    @staticmethod
    def _after_cue(doc: Doc, start: int, cues: list[list[str]]) -> bool:
        """The term follows a cue ("prone to cold sores"), at most one word between."""
        before = [t.lower_ for t in doc[max(start - 5, 0) : start]]
        for cue in cues:
            for gap in (0, 1):
                end = len(before) - gap
                if end >= len(cue) and before[end - len(cue) : end] == cue:
                    return True
        return False

    @staticmethod
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
