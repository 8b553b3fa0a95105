"""Texts in several languages in a protocol (bot/recovery/localized.py): the shape, its
validation, and how a clinic's override of a phrase merges with the default's languages."""

from __future__ import annotations

import pytest

from bot import protocols
from bot.recovery import localized
from bot.recovery.localized import Localized, LocalizedError
from bot.recovery.protocol import ProtocolError, load

SOURCE = "clinics/glow.yml"


def load_override(text: str):
    return load(text, protocols.catalog(), SOURCE, base=protocols.default_raw())


def test_a_string_is_english_and_a_mapping_gives_each_language():
    assert localized.parse("Call us.") == Localized({"en": "Call us."})
    text = localized.parse({"en": "Call us.", "es": "Llámenos."})
    assert text.get("es") == "Llámenos." and text.get("pt") is None
    assert text.text("pt") == "Call us." and text.text("es") == "Llámenos."
    assert text.languages == ("en", "es")


@pytest.mark.parametrize(
    "value, message",
    [
        ({"es": "Llámenos."}, "English"),
        ({"en": "Call us.", "xx": "?"}, "unknown language 'xx'"),
        ({"en": "Call us.", "es": "  "}, "Spanish text \\(es\\) is empty"),
        ({"en": "Call us.", "es": 3}, "Spanish text \\(es\\) is empty"),
        ([], "must be a text"),
        (12, "must be a text"),
    ],
)
def test_a_bad_text_is_refused_with_the_reason(value, message):
    with pytest.raises(LocalizedError, match=message):
        localized.parse(value)


def test_the_default_protocol_says_the_safety_phrases_in_spanish():
    protocol = protocols.default()
    assert "{emergency_number}" in protocol.phrase("escalate", "es")
    assert protocol.phrase("escalate", "es") != protocol.phrase("escalate")
    assert protocol.phrase_in("other_language", "es")
    assert set(protocol.phrases["other_language"].languages) >= {"en", "es", "pt", "fr", "vi", "zh", "ko"}
    # a phrase without a text in a language falls back on English
    assert protocol.phrase_in("human", "es") is None and protocol.phrase("human", "es") == protocol.phrase("human")


def test_a_clinic_rewording_the_english_keeps_the_default_spanish():
    protocol = load_override('phrases:\n  escalate: "Call {clinic_phone} now, we will see you today."\n')
    assert protocol.phrase("escalate") == "Call {clinic_phone} now, we will see you today."
    assert protocol.phrase("escalate", "es") == protocols.default().phrase("escalate", "es")


def test_a_clinic_may_give_its_own_text_in_another_language():
    protocol = load_override("phrases:\n  human:\n    en: Call us.\n    es: Llámenos.\n")
    assert protocol.phrase("human", "es") == "Llámenos." and protocol.phrase("human") == "Call us."
    protocol = load_override("phrases:\n  escalate:\n    es: Llame a la clínica ya.\n")
    assert protocol.phrase("escalate", "es") == "Llame a la clínica ya."
    assert protocol.phrase("escalate") == protocols.default().phrase("escalate")


@pytest.mark.parametrize(
    "text, message",
    [
        ("phrases:\n  human:\n    de: Rufen Sie an.\n    en: Call.\n", "phrase 'human': unknown language 'de'"),
        ("phrases:\n  extra:\n    es: Solo en español.\n", "phrase 'extra': needs an English text"),
        ("phrases: [escalate]\n", "'phrases:' must be a mapping"),
    ],
)
def test_a_bad_phrase_names_the_file_and_the_phrase(text, message):
    with pytest.raises(ProtocolError, match=f"{SOURCE}: {message}"):
        load_override(text)
