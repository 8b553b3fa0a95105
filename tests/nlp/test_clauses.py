"""Where a message asks its questions: sentences, clauses, and which clauses ask."""

from __future__ import annotations

import pytest

from bot.nlp import clauses


def parts(text: str) -> list[tuple[str, bool]]:
    return [(text[c.start : c.end], c.question) for c in clauses.split(text)]


@pytest.mark.parametrize(
    "text, expected",
    [
        ("makeup ok now? n when can i go to the gym", [("makeup ok now?", True), ("n when can i go to the gym", True)]),
        (
            "can i wear mascara today and when can i exercise",
            [("can i wear mascara today", True), ("when can i exercise", True)],
        ),
        (
            "can i wear makeup tomorrow, wash my face tonight and go running on saturday?",
            [("can i wear makeup tomorrow", True), ("wash my face tonight", True), ("go running on saturday?", True)],
        ),
        (
            "I had it done yesterday and my face is red, can I wear makeup?",
            [("I had it done yesterday", False), ("my face is red", False), ("can I wear makeup?", True)],
        ),
        (
            "sunscreen, moisturiser & makeup - when?",
            [("sunscreen", True), ("moisturiser", True), ("makeup", True), ("when?", True)],
        ),
        ("temp is 38.2 today", [("temp is 38.2 today", False)]),
        ("my face is hot and tight is that ok", [("my face is hot", False), ("tight is that ok", True)]),
        ("so can i use retinol", [("so can i use retinol", True)]),
        ("😭😭", []),
    ],
)
def test_clauses_and_which_ask(text, expected):
    assert parts(text) == expected


def test_a_story_asks_in_its_last_sentence_and_tells_in_the_others():
    story = (
        "I got home from the clinic about an hour ago. My face is bright red, like really bright red. "
        "I expected some redness but not this much. Is this normal?"
    )
    found = clauses.split(story)
    assert [c.question for c in found].count(True) == 1 and found[-1].question
    assert [c.sentence for c in found] == [0, 1, 1, 2, 2, 3]
    assert story[found[-1].start : found[-1].end] == "Is this normal?"
    # a vague question is read with the sentences before it, which say what "this" is
    assert clauses.is_vague("Is this normal?") and not clauses.is_vague("is my redness normal?")
    start = clauses.context_start(found, len(found) - 1, 1)
    assert story[start : found[-1].end] == "I expected some redness but not this much. Is this normal?"
    start = clauses.context_start(found, len(found) - 1, 2)
    assert (
        story[start : found[-1].end] == "My face is bright red, like really bright red. "
        "I expected some redness but not this much. Is this normal?"
    )


def test_sentences_end_at_punctuation_followed_by_space_not_inside_numbers():
    text = "Temp 38.2 today! Is that bad?\nalso sore"
    assert [text[a:b] for a, b in clauses.sentences(text)] == ["Temp 38.2 today", "Is that bad?", "also sore"]


@pytest.mark.parametrize(
    "text",
    [
        "can i wear makeup",
        "when can i exercise",
        "hey so is it ok to wash my face",
        "makeup?",
        "anything i should avoid",
        "wondering about sunscreen",
        "my face is red, is that normal",
    ],
)
def test_questions(text):
    assert clauses.is_question(text)


@pytest.mark.parametrize("text", ["my face is red", "i had it done yesterday", "thanks so much", "the gym was fun"])
def test_statements(text):
    assert not clauses.is_question(text)


@pytest.mark.parametrize(
    "text",
    [
        "is this normal?",
        "Is that ok??",
        "should i be worried",
        "what do i do",
        "is it supposed to be like this",
        "help!",
    ],
)
def test_questions_that_name_nothing_are_vague(text):
    assert clauses.is_vague(text)


@pytest.mark.parametrize(
    "text", ["is peeling normal?", "can i wear makeup", "when can i exercise", "is my face supposed to be this red"]
)
def test_questions_that_name_a_topic_are_not(text):
    assert not clauses.is_vague(text)


def test_a_vague_question_may_be_read_from_one_or_two_clauses_or_sentences_back():
    text = "Day 10. The redness is gone, but I can't see much difference. Is that normal this early?"
    found = clauses.split(text)
    before = {text[s : found[-1].start].strip() for s in clauses.context_starts(found, len(found) - 1)}
    assert before == {
        "I can't see much difference.",
        "The redness is gone, but I can't see much difference.",
        "Day 10. The redness is gone, but I can't see much difference.",
    }
