"""The project's own spaCy pipeline: blank English, lookup lemmatizer, entity ruler."""

from __future__ import annotations

import pytest
import spacy

from bot.nlp import pipeline


@pytest.fixture(scope="module")
def nlp():
    return pipeline.build()


def test_blank_english_with_lemmatizer_and_entity_ruler(nlp):
    assert nlp.lang == "en"
    assert nlp.pipe_names == ["lemmatizer", "entity_ruler"]
    assert nlp.meta["name"] == pipeline.PIPELINE_NAME == "aftercare_en"
    assert nlp.get_pipe("lemmatizer").mode == "lookup"
    # Nothing downloaded: no tagger, parser or vectors from a packaged model.
    assert not {"tagger", "parser", "ner", "tok2vec"} & set(nlp.pipe_names)
    assert nlp.vocab.vectors.shape[0] == 0


@pytest.mark.parametrize(
    "word, lemma",
    [("blisters", "blister"), ("hives", "hive"), ("used", "use"), ("took", "take"), ("swelling", "swell")],
)
def test_lemmas(nlp, word, lemma):
    assert nlp(word)[0].lemma_ == lemma


@pytest.mark.parametrize(
    "text, entity, label",
    [
        ("i washed with cerave this morning", "cerave", "PRODUCT"),
        ("I washed with CeraVe", "CeraVe", "PRODUCT"),
        ("can i take advil", "advil", "MEDICINE"),
        ("my forehead is peeling", "forehead", "BODY_AREA"),
        ("is la roche-posay ok", "la roche-posay", "PRODUCT"),
        ("can i use vitamin c", "vitamin c", "PRODUCT"),
        ("bruises under my eyes", "under my eyes", "BODY_AREA"),
    ],
)
def test_entities(nlp, text, entity, label):
    assert (entity, label) in [(ent.text, ent.label_) for ent in nlp(text).ents]


def test_several_entities_in_one_message(nlp):
    doc = nlp("used cerave on my forehead and took advil")
    assert [(ent.text, ent.label_) for ent in doc.ents] == [
        ("cerave", "PRODUCT"),
        ("forehead", "BODY_AREA"),
        ("advil", "MEDICINE"),
    ]
    assert nlp("is peeling normal").ents == ()


def test_build_to_writes_a_loadable_directory(tmp_path):
    target = pipeline.build_to(tmp_path / "models" / "spacy_en")
    assert target.is_dir() and (target / "meta.json").is_file() and (target / "config.cfg").is_file()
    loaded = spacy.load(target)
    assert loaded.meta["name"] == "aftercare_en"
    assert loaded.pipe_names == ["lemmatizer", "entity_ruler"]
    assert loaded("blisters")[0].lemma_ == "blister"
    assert [(e.text, e.label_) for e in loaded("took advil for my forehead").ents] == [
        ("advil", "MEDICINE"),
        ("forehead", "BODY_AREA"),
    ]


def test_shared_is_built_once():
    assert pipeline.shared() is pipeline.shared()
    assert pipeline.shared().meta["name"] == "aftercare_en"
