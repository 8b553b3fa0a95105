"""The red-flag safety net: the lexicon, its negation rule, and the Rasa component around it."""

from __future__ import annotations

import pytest
from rasa.shared.nlu.training_data.message import Message

from bot.nlp.components import RED_FLAG_INTENT, RedFlagGuard
from bot.nlp.redflags import lexicon


def groups(text: str) -> set[str]:
    return {flag.group for flag in lexicon().find(text)}


def first(text: str):
    found = lexicon().find(text)
    return found[0] if found else None


@pytest.mark.parametrize(
    "text, group",
    [
        ("there's pus coming out", "infection"),
        ("some puss on my chin", "infection"),
        ("there's a yellow crust on my cheek", "infection"),
        ("I have a fever", "infection"),
        ("feeling feverish and have chills", "infection"),
        ("I think it's infected", "infection"),
        ("the redness is spreading and it's hot to the touch", "infection"),
        ("Blisters on my forehead", "blistering"),
        ("BLISTERS", "blistering"),
        ("my skin is blistering", "blistering"),
        ("can't breathe", "breathing"),
        ("cant breathe", "breathing"),
        ("I CANT BREATHE", "breathing"),
        ("i can’t breathe", "breathing"),  # a phone's curly apostrophe
        ("having trouble breathing", "breathing"),
        ("my lips are swelling", "allergy"),
        ("My Lips Are Swelling!!", "allergy"),
        ("i have hives all over", "allergy"),
        ("I think I'm having an allergic reaction", "allergy"),
        ("i got a cold sore", "cold_sore"),
        ("bleeding that won't stop", "bleeding"),
        ("bleeding that won’t stop", "bleeding"),
        ("it won't stop bleeding", "bleeding"),
        ("still bleeding after 3 hours", "bleeding"),
        ("blurry vision since this morning", "vision"),
        ("the pain is excruciating", "severe_pain"),
        ("the pain is like 9/10 and tylenol isnt touching it", "severe_pain"),
        ("honestly my pain is 9 out of 10", "severe_pain"),
        ("10/10 pain since this morning", "severe_pain"),
        ("id rate the soreness 8/10", "severe_pain"),
        ("painkillers aren't helping at all", "severe_pain"),
        ("a cluster of painful sores at the corner of my mouth", "cold_sore"),
        ("little sores on my lip since yesterday", "cold_sore"),
        ("can i wear makeup? also there's pus", "infection"),
        ("when can i go to the gym, my lips are swelling btw", "allergy"),
        ("is sunscreen ok? i have blisters", "blistering"),
        # shapes, not fixed phrases: the words clients put between the signs
        ("it's all crusty and yellow and weeping", "infection"),
        ("honey coloured scabs round my nostril", "infection"),
        ("green discharge from one spot", "infection"),
        ("theres thick yellow fluid coming out", "infection"),
        ("it smells a bit off", "infection"),
        ("the red is spreading down my neck", "infection"),
        ("the red patch is getting bigger", "infection"),
        ("my cheek is hot to touch", "infection"),
        ("temp is 38.2", "infection"),
        ("ive had a slight temperature since lunch", "infection"),
        ("the pain is way worse than yesterday", "infection"),
        ("my face gets redder every day", "infection"),
        ("im shivery and burning up", "infection"),
        ("my lips have started swelling", "allergy"),
        ("tongue feels swollen", "allergy"),
        ("my lip blew up overnight", "allergy"),
        ("throat feels kinda tight", "allergy"),
        ("rash all over my arms since the numbing cream", "allergy"),
        ("im a bit wheezy", "breathing"),
        ("i can't catch my breath", "breathing"),
        ("breathing feels harder than normal", "breathing"),
        ("feeling faint and my face is swollen", "allergy"),
        ("everything looks hazy", "vision"),
        ("i can barely see out of my left eye", "vision"),
        ("seeing flashing lights", "vision"),
    ],
)
def test_red_flags_are_caught(text, group):
    assert group in groups(text)


@pytest.mark.parametrize(
    "text",
    [
        "no pus",
        "there's no pus, just flaking",
        "i don't have any fever",
        "i don’t have any fever",
        "i dont have any fever",
        "without blisters",
        "no fever or chills",
        "zero blisters so far",
        "is peeling normal",
        "my face is red",
        "my face is red and a bit swollen, is that normal?",
        "can i wear makeup tomorrow",
        "when can i use retinol again",
        "it feels tight and dry",
        "what moisturizer should i use",
        "my results are 10/10 thank you",
        "pain is 3/10 tops, just a bit sore",
        "my skin is sore, is that normal",
        # risk and history questions: answered as topics or eligibility, not escalated
        "will sweating cause an infection",
        "is there a risk of infection with microneedling",
        "is sweating going to give me an infection",
        "can i take allegra for my hay fever",
        "i'm prone to cold sores, will that be a problem for my treatment",
        "i have a history of herpes simplex on my lip area",
        "can i get it done if i have a cold sore",
        "what do i do if i get a fever",
        # comparisons, negations and other infections are not signs now
        "is it more painful than a tattoo",
        "my redness is not getting worse",
        "the pain isn't worse today",
        "the pain is not unbearable",
        "it doesn't smell bad",
        "my temp is 37.1",
        "im on antibiotics for a chest infection",
        "i'm on amoxicillin for a tooth infection can i keep taking it",
        "is the area going to get bigger",
        "is breathing hard normal when running",
        "it's hazy, i cant remember the time",
        "can i turn off my phone",
    ],
)
def test_ordinary_and_negated_messages_are_not_flagged(text):
    assert lexicon().find(text) == []


@pytest.mark.parametrize(
    "text, group",
    [
        ("i get herpes and i think its flaring after the treatment", "cold_sore"),
        ("i'm prone to cold sores and now there are blisters on my lip", "blistering"),
        ("there's pus, will it cause an infection", "infection"),
        ("i think i got an infection", "infection"),
        ("i get a fever and chills since the treatment", "infection"),
    ],
)
def test_a_risk_or_history_cue_spares_only_its_own_term(text, group):
    assert group in groups(text)


def test_a_negated_flag_does_not_hide_another():
    assert "infection" in groups("no fever, but now there is pus")
    assert "infection" in groups("no pus but there's a yellow crust")


def test_one_flag_for_words_two_rules_cover():
    assert [flag.group for flag in lexicon().find("my lips are swelling")] == ["allergy"]


def test_flags_carry_the_clients_words():
    flags = lexicon().find("Help, I can’t breathe")
    assert [(flag.group, flag.text) for flag in flags] == [("breathing", "can’t breathe")]
    assert first("is peeling normal") is None
    assert first("there's PUS").text == "pus"


# --- the Rasa component -----------------------------------------------------------------


def message(text: str, intent: str = "ask_makeup", confidence: float = 0.91, entities=None) -> Message:
    return Message(
        data={
            "text": text,
            "intent": {"name": intent, "confidence": confidence},
            "intent_ranking": [
                {"name": intent, "confidence": confidence},
                {"name": "ask_sun", "confidence": 0.05},
            ],
            "entities": list(entities or []),
        }
    )


@pytest.fixture(scope="module")
def guard() -> RedFlagGuard:
    return RedFlagGuard.create({}, None, None, None)


def test_guard_overrides_the_intent_and_keeps_the_prediction_in_the_ranking(guard):
    text = "can i wear makeup? also there's pus"
    product = {"entity": "PRODUCT", "value": "makeup", "start": 11, "end": 17}
    [out] = guard.process([message(text, entities=[product])])

    assert out.get("intent") == {"name": RED_FLAG_INTENT, "confidence": 1.0}
    ranking = out.get("intent_ranking")
    assert ranking[0] == {"name": RED_FLAG_INTENT, "confidence": 1.0}
    assert {"name": "ask_makeup", "confidence": 0.91} in ranking
    assert [r["name"] for r in ranking].count(RED_FLAG_INTENT) == 1

    entities = out.get("entities")
    assert product in entities
    [flag] = [e for e in entities if e["entity"] == "red_flag"]
    assert flag["value"] == "infection" and flag["extractor"] == "RedFlagGuard"
    assert text[flag["start"] : flag["end"]] == "pus"
    assert {"intent", "intent_ranking", "entities"} <= set(out.output_properties)


def test_guard_entity_offsets_with_curly_apostrophes(guard):
    text = "I can’t breathe"
    [out] = guard.process([message(text, intent="nlu_fallback", confidence=0.3)])
    [flag] = [e for e in out.get("entities") if e["entity"] == "red_flag"]
    assert flag["value"] == "breathing"
    assert text[flag["start"] : flag["end"]] == "can’t breathe"


def test_guard_does_not_duplicate_an_existing_red_flag_prediction(guard):
    [out] = guard.process([message("i have a fever", intent=RED_FLAG_INTENT, confidence=0.7)])
    names = [r["name"] for r in out.get("intent_ranking")]
    assert names.count(RED_FLAG_INTENT) == 1 and names[0] == RED_FLAG_INTENT
    assert out.get("intent")["confidence"] == 1.0


def test_guard_leaves_ordinary_messages_untouched(guard):
    ordinary = [
        message("is peeling normal", intent="ask_peeling"),
        message("no pus, just a bit red", intent="ask_redness_swelling"),
    ]
    before = [dict(m.data) for m in ordinary]
    out = guard.process(ordinary)
    assert [m.data for m in out] == before
    assert all("intent" not in m.output_properties for m in out)


def test_guard_handles_several_messages_and_missing_fields(guard):
    bare = Message(data={"text": "my lips are swelling"})
    empty = Message(data={})
    flagged, untouched = guard.process([bare, empty])
    assert flagged.get("intent")["name"] == RED_FLAG_INTENT
    assert flagged.get("intent_ranking") == [{"name": RED_FLAG_INTENT, "confidence": 1.0}]
    assert [e["value"] for e in flagged.get("entities")] == ["allergy"]
    assert untouched.get("intent") is None


def test_guard_has_nothing_to_train(guard):
    data = object()
    assert guard.process_training_data(data) is data
