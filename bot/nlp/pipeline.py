"""The spaCy pipeline the project builds for itself: blank English, a lookup
lemmatizer (tables from the spacy-lookups-data package) and an entity ruler with
our own patterns. Nothing is downloaded; `python -m bot.nlp.build DIR` (run by `make
setup`) writes it to disk for Rasa's SpacyNLP component to load by path.
"""

from __future__ import annotations

from functools import lru_cache
from importlib import resources
from pathlib import Path

import spacy
import yaml
from spacy.language import Language
from spacy.pipeline import EntityRuler

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
