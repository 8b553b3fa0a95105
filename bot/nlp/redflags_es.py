"""The Spanish red-flag lexicon (redflags_es.yml): the English net's matcher on a Spanish
pipeline that folds accents, with Spanish negation."""

from __future__ import annotations

from functools import lru_cache
from importlib import resources
from typing import ClassVar

import yaml
from spacy.tokens import Doc

from bot.nlp import pipeline
from bot.nlp.redflags import RedFlagLexicon

_NEGATORS = {"no", "sin", "ni", "nunca", "tampoco", "ningun", "ninguna", "ninguno", "ningunas", "ningunos", "nada"}
# "no se si es pus", "no se que es": a doubt, not a denial ("no se me hincharon" denies)
_DOUBT = (["no", "se", "si"], ["no", "se", "que"], ["no", "estoy", "segura"], ["no", "estoy", "seguro"])


class SpanishRedFlagLexicon(RedFlagLexicon):
    any_word: ClassVar[dict] = {"LOWER": {"NOT_IN": sorted(_NEGATORS)}, "IS_PUNCT": False, "OP": "?"}

    @staticmethod
    def negated(doc: Doc, start: int) -> bool:
        """'no tengo fiebre', 'sin pus', 'ni fiebre ni pus', 'nada de pus', within the clause."""
        window = list(doc[max(start - 3, 0) : start])
        for index in range(len(window) - 1, -1, -1):
            if window[index].is_punct:
                window = window[index + 1 :]
                break
        words = [t.lower_ for t in window]
        if any(words[i : i + 3] == doubt for doubt in _DOUBT for i in range(len(words))):
            return False
        return any(word in _NEGATORS for word in words)


def _lemmas(spec: dict) -> frozenset[str]:
    """Every lemma the lexicon matches on: the only ones its pipeline needs to know."""
    found: set[str] = set()

    def visit(node: object) -> None:
        if isinstance(node, dict):
            lemma = node.get("LEMMA")
            if isinstance(lemma, str):
                found.add(lemma)
            elif isinstance(lemma, dict):
                found.update(lemma.get("IN", ()))
            for value in node.values():
                visit(value)
        elif isinstance(node, list):
            for value in node:
                visit(value)

    for terms in spec["groups"].values():
        found.update(str(lemma) for lemma in terms.get("lemmas", ()))
        visit(terms.get("patterns", []))
    return frozenset(found)


@lru_cache(maxsize=1)
def lexicon() -> SpanishRedFlagLexicon:
    spec = yaml.safe_load(resources.files(__package__).joinpath("redflags_es.yml").read_text("utf-8"))
    return SpanishRedFlagLexicon(pipeline.spanish(_lemmas(spec)), spec)
