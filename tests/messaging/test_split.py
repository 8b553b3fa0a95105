"""Splitting long replies into SMS parts: readable order, never half a word."""

import re

from hypothesis import given, settings
from hypothesis import strategies as st

from bot.messaging.split import MAX_MESSAGE_CHARS, PART_CHARS, fit, split_sms

NUMBER = re.compile(r"^\((\d+)/(\d+)\) ")


def words_of(parts):
    return " ".join(NUMBER.sub("", part) for part in parts).split()


def test_a_short_reply_is_one_unnumbered_part():
    assert split_sms("Makeup is fine from tomorrow.") == ["Makeup is fine from tomorrow."]
    assert split_sms("  ") == []


def test_a_long_reply_is_numbered_and_every_part_fits():
    sentence = "Keep your skin moisturized and wear SPF thirty or higher every day. "
    parts = split_sms(sentence * 12)
    assert len(parts) > 1
    assert all(len(part) <= PART_CHARS for part in parts)
    assert [NUMBER.match(p).groups() for p in parts] == [(str(i), str(len(parts))) for i in range(1, len(parts) + 1)]
    assert words_of(parts) == (sentence * 12).split()


def test_parts_end_at_sentences():
    sentence = "Keep your skin moisturized and wear SPF thirty or higher every day. "
    for part in split_sms(sentence * 12):
        assert NUMBER.sub("", part).endswith("day.")


def test_a_paragraph_break_ends_a_well_filled_part():
    first = "Redness is expected for a few days. " * 5  # ~180 characters
    second = "Peeling usually starts on day two or three. Don't pick at it."
    parts = split_sms(first.strip() + "\n\n" + second + " " + "Keep moisturizing. " * 10)
    assert NUMBER.sub("", parts[0]) == first.strip()
    assert NUMBER.sub("", parts[1]).startswith("Peeling usually starts")


def test_a_word_longer_than_a_part_is_kept_whole():
    url = "https://glow.example/book?" + "x" * 400
    parts = split_sms(f"Book your next session here: {url} or call us.")
    assert any(NUMBER.sub("", p) == url for p in parts)
    assert words_of(parts) == ["Book", "your", "next", "session", "here:", url, "or", "call", "us."]


def test_ten_thousand_characters_with_emoji():
    text = ("Healing well 😊 so far, thank you! " * 300)[:10_000]
    parts = split_sms(text)
    assert len(parts) >= 10_000 // PART_CHARS
    assert all(len(p) <= PART_CHARS for p in parts)
    assert NUMBER.match(parts[0]).group(2) == str(len(parts))  # "(1/37)": the width was settled
    assert words_of(parts) == text.split()


def test_fit_cuts_between_words():
    text = "word " * 500
    cut = fit(text)
    assert len(cut) <= MAX_MESSAGE_CHARS and cut.endswith("word…")
    assert fit("short") == "short"


@settings(max_examples=200, deadline=None)
@given(st.lists(st.text(alphabet=st.characters(blacklist_categories=("Cs",)), min_size=1, max_size=30), max_size=120))
def test_any_text_keeps_its_words_in_order(chunks):
    text = " ".join(chunks)
    parts = split_sms(text)
    assert words_of(parts) == text.split()
    for part in parts:
        body = NUMBER.sub("", part)
        assert len(part) <= PART_CHARS or len(body.split()) == 1  # only a lone giant word overflows
