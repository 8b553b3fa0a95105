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


# --- stories: a sign anywhere in a message of several sentences, in the words people use ---

STORY_FLAGS = [
    # (text, group)
    ("my face swelled so much my lips have all but vanished", "allergy"),
    ("my lips are gone", "allergy"),
    ("lips disappeared", "allergy"),
    ("i literally can't see my lips anymore", "allergy"),
    (
        "Had my first microneedling session on Saturday. The first night was fine, just red like a sunburn. "
        "Sunday morning I woke up, went to the bathroom and my whole face had swelled so much my lips had all but vanished. "
        "I honestly did not recognise myself.",
        "allergy",
    ),
    (
        "So I got home from the clinic around 4, put on the serum they gave me and lay down. By 8 my face felt tight and hot "
        "which I expected. Woke up this morning and my eyes are basically slits, I can barely open them. Is this normal??",
        "allergy",
    ),
    (
        "Went in for my third dermapen session. Everything the same as usual, numbing cream, a bit of stinging. "
        "About an hour after I left my top lip started tingling and now it's twice the size it should be.",
        "allergy",
    ),
    (
        "I wasn't going to write a review but I think people should know. Two days after my treatment my face blew up, "
        "I looked like I'd been stung by a hundred bees. Had to go to urgent care.",
        "allergy",
    ),
    ("Day 2 update: woke up and my face has ballooned overnight, my lips are massive", "allergy"),
    (
        "I left the clinic feeling great, skin glowing. That night I put on the aftercare balm and within an hour I had "
        "itchy welts all down my neck and chest.",
        "allergy",
    ),
    (
        "The redness was settling nicely on day 2 but this morning there's a patch of yellow crusty stuff on my chin "
        "and it's sticky when I touch it.",
        "infection",
    ),
    (
        "Honestly the whole experience was great until day 3. Now there's a spot on my cheek that is hot, swollen and "
        "has pus in the middle. Not sure if I should wait or call.",
        "infection",
    ),
    (
        "I've been feeling off since last night, chills and achy all over, and my face still feels hot. Had the treatment "
        "Tuesday.",
        "infection",
    ),
    (
        "My face was fine yesterday. Today the redness has crept down onto my neck, past where she treated, and it's warm.",
        "infection",
    ),
    ("I'm on day 4 and the pain is much worse than it was on day 1. It's throbbing and I can't sleep.", "infection"),
    (
        "Got my treatment done Friday afternoon. Saturday was red, Sunday was redder, and today it's redder than yesterday "
        "and spreading towards my ear.",
        "infection",
    ),
    ("woke up with a temp of 38.4 and my cheeks are burning, is this from the microneedling?", "infection"),
    (
        "So the peeling started yesterday like they said, but now some of the flaky bits are wet and yellowish",
        "infection",
    ),
    ("I noticed tiny fluid filled bubbles along my jawline this morning, they weren't there last night", "blistering"),
    (
        "After the session my skin was red which was expected. Two days later I've got blisters on my forehead and they're "
        "really sore.",
        "blistering",
    ),
    (
        "Everything was fine and then this morning I felt the familiar tingle on my lip and now there's a cold sore coming "
        "right where she needled.",
        "cold_sore",
    ),
    (
        "I had the treatment at lunch. Driving home I felt my chest get tight and now I'm wheezing a bit, I don't have asthma.",
        "breathing",
    ),
    ("my throat feels really tight and it's hard to swallow since I put the cream on", "allergy"),
    ("I've been pressing a tissue on this one spot for over an hour and it just keeps bleeding", "bleeding"),
    ("Since I got home my vision in my left eye has been blurry, they did go quite close to my eyes", "vision"),
    (
        "The numbing wore off about 3 hours ago and the pain is honestly 9/10, tylenol isn't doing anything",
        "severe_pain",
    ),
    ("i look like a puffer fish, my face swelled up like a balloon overnight", "allergy"),
    ("woke up this morning and could not open my eyes properly, my eyelids are so puffy", "allergy"),
]
STORY_NOT_FLAGS = [
    "I got home from the clinic about an hour ago. My face is bright red, like really bright red, and it feels tight. "
    "I expected some redness but not this much. Is this normal?",
    "Had it done this morning. My face feels hot like a sunburn and a bit tight, is that ok?",
    "Just wanted to say thank you! I was nervous it would hurt but it was fine. My face is red and a little swollen tonight "
    "but the girls told me to expect that.",
    "Day 3 review: the redness is mostly gone, my skin is dry and starting to flake around my nose and mouth. "
    "Can I use my normal moisturiser?",
    "I was worried my lips would swell like last time with filler but they're totally fine, no swelling at all",
    "First session done! The first night my face was really hot and tight but this morning it's just a bit pink.",
    "My skin felt like a sunburn for about a day and then it calmed down. Now on day 5 it's a bit flaky. When can I go "
    "back to my retinol?",
    "Will my lips swell after the treatment? I have a wedding on Saturday.",
    "is it normal to feel a bit of warmth in my cheeks a few hours after?",
    "Before I book, does it hurt much? My friend said her face was red for two days.",
    "I had a hot shower tonight and my face went a bit red, is that ok?",
    "The swelling under my eyes went down overnight and now I just look a bit sunburnt",
    "Can I drink red wine tonight? Had my treatment at 2.",
    "no fever, no pus, nothing like that, just a bit of redness still",
    "I'm 2 days post and my skin feels tight and dry, a little itchy. Should I be putting something on it?",
    "my skin tightening results are amazing, when can i book the next one?",
    "I read that some people get blisters, is that something I should worry about?",
    "my face is sore to touch, like after a sunburn, normal for the first night?",
]


@pytest.mark.parametrize("text, group", STORY_FLAGS)
def test_red_flags_told_as_stories_are_caught(text, group):
    assert group in groups(text)


@pytest.mark.parametrize("text", STORY_NOT_FLAGS)
def test_stories_of_normal_recovery_and_fears_are_not_flagged(text):
    assert lexicon().find(text) == []


# --- sensations: read, not judged (the dialogue knows the hour) ---------------------------


def sensations(text: str) -> list[str]:
    return [mention.name for mention in lexicon().read(text).sensations]


@pytest.mark.parametrize(
    "text, expected",
    [
        ("face feels hot like a sunburn", {"warmth"}),
        ("skin is hot to touch and tight", {"warmth", "tightness"}),
        ("my face is hot and tight is that ok", {"warmth", "tightness"}),
        ("my cheek is hot to touch", {"warmth"}),
        ("still hot and swollen", {"warmth", "swelling"}),
        ("my face is still really red", {"redness"}),
        ("looks like i have a bad sunburn lol", set()),
        ("i look sunburnt", {"redness"}),
        ("bit puffy under my eyes this morning", {"swelling"}),
        ("my skin is sore and a bit tender", {"soreness"}),
        ("it stings when i put moisturiser on", set()),
        ("its stinging a bit", {"soreness"}),
        ("im 2 days post and my skin feels tight and dry", {"tightness"}),
        ("The first night my face was really hot and tight but this morning it's just a bit pink.", {"redness"}),
        ("my face was hot yesterday and it still is", {"warmth"}),
        ("since last night my face has been burning hot", {"warmth"}),
    ],
)
def test_sensations_the_client_has_now_are_read(text, expected):
    assert set(sensations(text)) == expected


@pytest.mark.parametrize(
    "text",
    [
        "can i take a hot shower tonight",
        "is hot yoga ok on day 3",
        "can i drink red wine tonight",
        "is red light therapy ok after microneedling",
        "the swelling went down overnight",
        "the redness is mostly gone now",
        "will my face be swollen for my meeting tomorrow?",
        "how long does the redness usually last",
        "does it hurt?",
        "my face was really hot the first night",
        "no redness, no swelling, skin looks great",
        "my face isn't red anymore",
        "i have a tight schedule, can i wear makeup to work",
        "skin tightening is why i booked",
        "sleep tight x",
    ],
)
def test_no_sensation_now_is_read_from_other_heat_past_or_future(text):
    assert sensations(text) == []


def test_a_sensation_in_the_words_of_a_red_flag_is_that_flag():
    reading = lexicon().read("my lips are swollen and my face is hot")
    assert [f.group for f in reading.flags] == ["allergy"]
    assert [s.name for s in reading.sensations] == ["warmth"]


def test_readings_carry_the_clients_words_and_where_they_are():
    text = "Face feels HOT, can i put aloe on?"
    [warmth] = lexicon().read(text).sensations
    assert warmth.name == "warmth" and text[warmth.start : warmth.end] == "Face feels HOT"


def test_the_lexicon_reads_the_sensations_the_protocol_knows():
    from bot import protocols

    assert lexicon().sensation_names == set(protocols.catalog().sensations)


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
        message("no pus and no fever", intent="ask_peeling"),
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


def test_guard_passes_sensations_on_and_keeps_the_intent(guard):
    [out] = guard.process([message("my face is hot and tight, can i wear makeup", intent="ask_makeup")])
    assert out.get("intent") == {"name": "ask_makeup", "confidence": 0.91}
    found = [(e["value"], e["extractor"]) for e in out.get("entities") if e["entity"] == "sensation"]
    assert found == [("warmth", "RedFlagGuard"), ("tightness", "RedFlagGuard")]


def test_guard_sets_aside_a_hesitant_model_red_flag_when_the_lexicon_reads_only_sensations(guard):
    unsure = Message(
        data={
            "text": "face feels hot like a sunburn",
            "intent": {"name": RED_FLAG_INTENT, "confidence": 0.7},
            "intent_ranking": [
                {"name": RED_FLAG_INTENT, "confidence": 0.7},
                {"name": "ask_redness_swelling", "confidence": 0.5},
                {"name": "ask_pain", "confidence": 0.1},
            ],
        }
    )
    [out] = guard.process([unsure])
    assert out.get("intent") == {"name": "ask_redness_swelling", "confidence": 0.5}
    assert RED_FLAG_INTENT not in [r["name"] for r in out.get("intent_ranking")]
    assert {e["value"] for e in out.get("entities")} == {"warmth"}


def test_a_set_aside_red_flag_with_no_strong_next_reading_is_unsure(guard):
    unsure = Message(
        data={
            "text": "still hot and swollen",
            "intent": {"name": RED_FLAG_INTENT, "confidence": 0.8},
            "intent_ranking": [
                {"name": RED_FLAG_INTENT, "confidence": 0.8},
                {"name": "ask_redness_swelling", "confidence": 0.2},
            ],
        }
    )
    [out] = guard.process([unsure])
    assert out.get("intent") == {"name": "nlu_fallback", "confidence": 0.45}
    assert [r["name"] for r in out.get("intent_ranking")] == ["nlu_fallback", "ask_redness_swelling"]


def test_a_sure_model_red_flag_stands_and_a_red_flag_without_sensations_too(guard):
    sure = message("my face is hot and i feel strange", intent=RED_FLAG_INTENT, confidence=0.95)
    no_sensation = message("something is very wrong with my face", intent=RED_FLAG_INTENT, confidence=0.6)
    out = guard.process([sure, no_sensation])
    assert [m.get("intent")["name"] for m in out] == [RED_FLAG_INTENT, RED_FLAG_INTENT]


@pytest.mark.parametrize(
    "text, group",
    [
        ("a spot on my chin has been bleeding for over an hour and won't stop", "bleeding"),
        ("it's been bleeding on and off since this morning", "bleeding"),
        ("honestly the pain is agony tonight", "severe_pain"),
    ],
)
def test_more_ways_to_say_it(text, group):
    assert group in groups(text)


@pytest.mark.parametrize(
    "text",
    [
        "is it agony without numbing?",
        "some people find microneedling agony, is it that bad",
        "my skin won't stop peeling",
    ],
)
def test_asking_how_bad_it_is_before_booking_is_no_flag(text):
    assert lexicon().find(text) == []
