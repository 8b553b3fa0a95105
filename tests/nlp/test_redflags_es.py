"""The Spanish red-flag net (bot/nlp/redflags_es.yml) and how the NLU guards use it."""

from __future__ import annotations

import pytest
from rasa.shared.nlu.training_data.message import Message

from bot.nlp.components import RED_FLAG_INTENT, RedFlagGuard, other_flags
from bot.nlp.language_guard import LANGUAGE, OTHER_LANGUAGE_INTENT, LanguageGuard
from bot.nlp.redflags import lexicon as lexicon_en
from bot.nlp.redflags_es import lexicon


def groups(text: str) -> set[str]:
    return {flag.group for flag in lexicon().find(text)}


@pytest.mark.parametrize(
    "text, group",
    [
        ("se me hincharon los labios y me cuesta respirar", "allergy"),
        ("tengo los labios hinchados", "allergy"),
        ("Tengo Los Labios HINCHADOS", "allergy"),
        ("los labios se me están hinchando", "allergy"),
        ("se me hinchó la garganta", "allergy"),
        ("tengo los ojos hinchados", "allergy"),
        ("siento que se me esta cerrando la garganta", "allergy"),
        ("me salieron ronchas por todo el cuerpo", "allergy"),
        ("no puedo respirar", "breathing"),
        ("casi no puedo respirar bien", "breathing"),
        ("me cuesta mucho respirar", "breathing"),
        ("me falta el aire", "breathing"),
        ("tengo pus", "infection"),
        ("le sale como pus amarillo", "infection"),
        ("tengo fiebre", "infection"),
        ("tengo calentura desde anoche", "infection"),
        ("tengo escalofrios", "infection"),
        ("me salio una costra amarilla en la barbilla", "infection"),
        ("tengo costritas como amarillas", "infection"),
        ("el enrojecimiento se está extendiendo", "infection"),
        ("lo rojo se esta extendiendo hacia el cuello", "infection"),
        ("el enrojecimiento se extiende", "infection"),
        ("el dolor empeora", "infection"),
        ("el dolor esta empeorando cada dia", "infection"),
        ("me duele cada vez más", "infection"),
        ("huele mal", "infection"),
        ("creo que se infectó", "infection"),
        ("no sé si es pus", "infection"),
        ("tengo ampollas", "blistering"),
        ("me salieron ampollitas en la frente", "blistering"),
        ("tengo herpes", "cold_sore"),
        ("me salio un fuego en el labio", "cold_sore"),
        ("me salieron fuegos", "cold_sore"),
        ("tengo calenturas en el labio", "cold_sore"),
        ("no para de sangrar", "bleeding"),
        ("veo borroso", "vision"),
        ("el dolor es insoportable", "severe_pain"),
        ("me duele como 9 de 10", "severe_pain"),
        ("el tylenol no me hace nada", "severe_pain"),
    ],
)
def test_spanish_red_flags_with_accents_or_without(text, group):
    assert group in groups(text)


@pytest.mark.parametrize(
    "text",
    [
        "no tengo fiebre",
        "sin fiebre, gracias",
        "no tengo ni fiebre ni pus",
        "nada de pus",
        "no me ha salido ninguna ampolla",
        "no se me hincharon los labios",
        "los labios no están hinchados",
        "el dolor no empeora",
        "ya no tengo fiebre",
        "¿Puedo usar maquillaje hoy?",
        "mi cara está muy roja, ¿es normal?",
        "tengo la cara hinchada",  # expected in the first days
        "me arde la cara como fuego",
        "me pica mucho",
        "tengo la piel seca y se me pela",
        "¿el sudor puede causar una infección?",
        "soy propensa a los fuegos, ¿me lo puedo hacer?",
        "¿qué hago si me da fiebre?",
        "tengo 38 años",
    ],
)
def test_negated_expected_or_hypothetical_is_no_red_flag(text):
    assert lexicon().find(text) == []


def test_a_flag_keeps_the_clients_own_words():
    flags = lexicon().find("Hola, tengo una COSTRA amarilla y fiebre")
    assert [flag.text for flag in flags] == ["costra amarilla", "fiebre"]


def run(*texts_and_entities):
    messages = [Message(data={"text": text, "entities": entities}) for text, entities in texts_and_entities]
    LanguageGuard.create(LanguageGuard.get_default_config(), None, None, None).process(messages)
    return RedFlagGuard.create({}, None, None, None).process(messages)


def test_a_spanish_red_flag_escalates_in_spanish_whatever_came_before():
    [breathing, short, long] = run(
        ("se me hincharon los labios y me cuesta respirar", []),
        ("tengo fiebre", []),  # too short for the identifier: the red flag tells the language
        (
            "hola buenas tardes, ayer me hice el microneedling y queria preguntar si puedo ir al gimnasio "
            "manana, y tambien note que se me esta formando una costra amarilla en la barbilla",
            [],
        ),
    )
    for message in (breathing, short, long):
        assert message.get("intent")["name"] == RED_FLAG_INTENT
        assert message.get(LANGUAGE) == "es"
        assert any(e["entity"] == "red_flag" for e in message.get("entities"))


def test_spanish_without_a_red_flag_is_another_language_and_english_stays_english():
    [spanish, english, short] = run(
        ("¿Puedo usar maquillaje hoy?", []),
        ("can i wear makeup tomorrow?", []),
        ("k thx", []),
    )
    assert spanish.get("intent")["name"] == OTHER_LANGUAGE_INTENT and spanish.get(LANGUAGE) == "es"
    assert english.get(LANGUAGE) == "en" and english.get("intent") is None
    assert short.get(LANGUAGE) is None and short.get("intent") is None


def test_the_spanish_net_reads_what_is_not_clearly_english():
    english = lexicon_en().find("tengo pus y fiebre")
    assert [flag.text for _, flag in other_flags("tengo fiebre", None, [])] == ["fiebre"]
    # where English found a flag ("pus"), only the rest is Spanish's
    assert [flag.text for _, flag in other_flags("tengo pus y fiebre", "es", english)] == ["fiebre"]
    assert other_flags("tengo fiebre", "en", []) == []


def test_an_english_red_flag_stays_one_in_english():
    [message] = run(("my lips are swelling and i can't breathe", []))
    assert message.get("intent")["name"] == RED_FLAG_INTENT and message.get(LANGUAGE) == "en"


def test_product_names_are_no_language():
    text = "Sol de Janeiro ok?"
    [message] = run((text, [{"entity": "PRODUCT", "start": 0, "end": 14, "value": "sol de janeiro"}]))
    assert message.get(LANGUAGE) is None and message.get("intent") is None
