"""The spaCy pipeline the project builds for itself: blank English, a lookup
lemmatizer (tables from the spacy-lookups-data package) and an entity ruler with
our own patterns. Nothing is downloaded; `python -m bot.nlp.build DIR` (run by `make
setup`) writes it to disk for Rasa's SpacyNLP component to load by path.
"""

from __future__ import annotations

import unicodedata
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import Callable

import spacy
import yaml
from spacy.language import Language
from spacy.lookups import Lookups
from spacy.pipeline import EntityRuler, Lemmatizer
from spacy.tokens import Doc
from spacy.util import load_language_data, registry

PIPELINE_NAME = "aftercare_en"


def _patterns() -> list[dict]:
    text = resources.files(__package__).joinpath("entities.yml").read_text(encoding="utf-8")
    raw = yaml.safe_load(text)
    return [{"label": label, "pattern": term} for label, terms in raw.items() for term in terms]


def build() -> Language:
    nlp = spacy.blank("en")
    nlp.add_pipe("lemmatizer", config={"mode": "lookup"})
    ruler = nlp.add_pipe("entity_ruler", config={"phrase_matcher_attr": "LOWER"})
    nlp.initialize()
    assert isinstance(ruler, EntityRuler)
    ruler.add_patterns(_patterns())
    nlp.meta["name"] = PIPELINE_NAME
    nlp.meta["description"] = "Blank English + lookup lemmatizer + entity ruler, built by aftercare"
    return nlp


def build_to(path: Path) -> Path:
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    build().to_disk(path)
    return path


@lru_cache(maxsize=1)
def shared() -> Language:
    """One pipeline per process, for code outside Rasa (the safety net, the CLI)."""
    return build()


# Accented Latin letters -> the letter alone (one character for one, so offsets hold).
_FOLD = {
    c: unicodedata.normalize("NFD", chr(c))[0]
    for c in range(0xC0, 0x250)
    if len(unicodedata.normalize("NFD", chr(c))) > 1
}


def fold_accents(text: str) -> str:
    """'Está hinchándose' -> 'Esta hinchandose'."""
    return text.translate(_FOLD)


class _FoldingTokenizer:
    """Spanish is texted with accents or without: the pipeline reads it without."""

    def __init__(self, tokenizer: Callable[[str], Doc]) -> None:
        self.tokenizer = tokenizer

    def __call__(self, text: str) -> Doc:
        return self.tokenizer(fold_accents(text))


@lru_cache(maxsize=2)
def spanish(lemmas: frozenset[str] = frozenset()) -> Language:
    """Blank Spanish with a lookup lemmatizer (spacy-lookups-data), accents folded in the
    text and in the lemma table alike ("hincharon" and "hinchó" -> "hinchar"). With
    `lemmas`, only the words of those lemmas are looked up: the whole table (half a million
    forms) takes seconds to load, which a server would spend at its first Spanish message."""
    nlp = spacy.blank("es")
    lemmatizer = nlp.add_pipe("lemmatizer", config={"mode": "lookup"})
    assert isinstance(lemmatizer, Lemmatizer)
    forms = load_language_data(registry.lookups.get("es")["lemma_lookup"])
    assert isinstance(forms, dict)
    table: dict[str, str] = {}
    for form, lemma in forms.items():
        folded_form, folded_lemma = fold_accents(form), fold_accents(lemma)
        if lemmas and folded_lemma not in lemmas:
            continue
        # Two forms may fold to one ("está", "esta"): the one written without accents wins.
        if folded_form not in table or form == folded_form:
            table[folded_form] = folded_lemma
    lookups = Lookups()
    lookups.add_table("lemma_lookup", table)
    lemmatizer.initialize(lookups=lookups)
    nlp.tokenizer = _FoldingTokenizer(nlp.tokenizer)
    return nlp
