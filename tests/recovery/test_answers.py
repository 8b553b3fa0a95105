"""Composing replies: the facts an answer states (clock times, days, windows, flags, phone)."""

from __future__ import annotations

import re
from datetime import datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest

from bot import protocols
from bot.recovery import answers
from bot.recovery.answers import ClinicCard

UTC = timezone.utc
NEW_YORK = ZoneInfo("America/New_York")
LONDON = ZoneInfo("Europe/London")
PHONE = "(212) 555-0100"
CARD = ClinicCard("Glow Skin Studio", PHONE, NEW_YORK, "https://glow.example/book")
PROTOCOL = protocols.default()
MAKEUP = PROTOCOL.topic("makeup")
# Sunday 5:00 pm in New York, a week without a clock change.
TREATED = datetime(2026, 11, 22, 17, 0, tzinfo=NEW_YORK)


def needs_staff(reply: answers.Reply) -> bool:
    return reply.refer or reply.escalate


def makeup_after(hours: float, treated: datetime = TREATED, card: ClinicCard = CARD) -> answers.Reply:
    return answers.answer_topic(PROTOCOL, MAKEUP, treated, treated + timedelta(hours=hours), card)


# --- makeup across the first day -------------------------------------------------------


def test_at_6_hours_makeup_is_not_yet_and_names_tomorrow_at_the_treatment_time():
    reply = makeup_after(6)  # Sunday 11:00 pm
    assert reply.topic == "makeup" and reply.window_start == 0
    assert not reply.refer and not reply.escalate
    assert MAKEUP.windows[0].guidance in reply.text
    assert "6 hours" in reply.text
    assert "today at 5:00 pm" in reply.text  # the treatment
    assert "5:00 pm tomorrow" in reply.text  # the opening, 24 h after
    assert "clocks change" not in reply.text


def test_the_next_morning_the_opening_is_today_and_the_treatment_yesterday():
    reply = makeup_after(16)  # Monday 9:00 am
    assert "16 hours" in reply.text
    assert "yesterday at 5:00 pm" in reply.text
    assert "5:00 pm today" in reply.text
    assert "tomorrow" not in reply.text
    assert reply.window_start == 0


def test_an_early_treatment_opens_later_the_same_day_named_today():
    treated = datetime(2026, 11, 22, 0, 30, tzinfo=NEW_YORK)
    reply = answers.answer_topic(PROTOCOL, PROTOCOL.topic("exercise"), treated, treated + timedelta(hours=2), CARD)
    assert "today at 12:30 am" in reply.text
    assert "12:30 am tomorrow" in reply.text


def test_at_30_hours_makeup_is_fine_since_the_opening():
    reply = makeup_after(30)  # Monday 11:00 pm
    assert reply.window_start == 24
    assert MAKEUP.windows[1].guidance in reply.text
    assert MAKEUP.windows[0].guidance not in reply.text
    assert "30 hours" in reply.text
    assert "Since 5:00 pm today" in reply.text
    assert "yesterday at 5:00 pm" in reply.text


def test_the_answer_flips_between_23h59_and_24h00():
    before = makeup_after(23 + 59 / 60)
    after = makeup_after(24)
    assert before.window_start == 0 and after.window_start == 24
    assert MAKEUP.windows[0].guidance in before.text and MAKEUP.windows[0].guidance not in after.text
    assert MAKEUP.windows[1].guidance in after.text and MAKEUP.windows[1].guidance not in before.text
    assert "5:00 pm today" in before.text and "Since 5:00 pm today" in after.text
    assert "23 hours" in before.text and "24 hours" in after.text


def test_the_clinic_zone_decides_the_clock_times():
    treated = datetime(2026, 11, 22, 22, 0, tzinfo=UTC)  # 5:00 pm in New York, 10:00 pm in London
    now = treated + timedelta(hours=6)
    new_york = answers.answer_topic(PROTOCOL, MAKEUP, treated, now, CARD)
    london = answers.answer_topic(PROTOCOL, MAKEUP, treated, now, ClinicCard("Bright", "020 7183 8750", LONDON))
    assert "today at 5:00 pm" in new_york.text and "5:00 pm tomorrow" in new_york.text
    assert "yesterday at 10:00 pm" in london.text and "10:00 pm today" in london.text


# --- daylight saving --------------------------------------------------------------------


def test_across_the_fall_change_the_opening_is_1pm_and_the_clocks_change_is_said():
    treated = datetime(2026, 10, 31, 14, 0, tzinfo=NEW_YORK)  # clocks go back at 2 am Nov 1
    reply = makeup_after(6, treated)
    assert "1:00 pm tomorrow" in reply.text
    assert "2:00 pm tomorrow" not in reply.text
    assert "clocks change" in reply.text
    assert "24 hours" in reply.text
    # The next morning, counting real hours: 2:00 pm Saturday to 9:00 am Sunday is 20 hours.
    morning = answers.answer_topic(PROTOCOL, MAKEUP, treated, datetime(2026, 11, 1, 9, 0, tzinfo=NEW_YORK), CARD)
    assert "20 hours" in morning.text and "1:00 pm today" in morning.text


def test_across_the_spring_change_the_opening_is_3pm():
    treated = datetime(2027, 3, 13, 14, 0, tzinfo=NEW_YORK)
    reply = makeup_after(6, treated)
    assert "3:00 pm tomorrow" in reply.text and "2:00 pm tomorrow" not in reply.text
    assert "clocks change" in reply.text


def test_london_fall_change():
    card = ClinicCard("Bright Skin", "020 7183 8750", LONDON)
    treated = datetime(2026, 10, 24, 14, 0, tzinfo=LONDON)
    reply = makeup_after(6, treated, card)
    assert "1:00 pm tomorrow" in reply.text and "clocks change" in reply.text


def test_shift_note_only_when_the_clocks_change():
    from bot.recovery.clock import locate

    quiet = locate(MAKEUP, TREATED, TREATED + timedelta(hours=6), NEW_YORK)
    assert answers.shift_note(quiet) == ""
    treated = datetime(2026, 10, 31, 14, 0, tzinfo=NEW_YORK)
    changing = locate(MAKEUP, treated, treated + timedelta(hours=6), NEW_YORK)
    note = answers.shift_note(changing)
    assert "1:00 pm" in note and "2:00 pm" in note
    past = locate(MAKEUP, treated, treated + timedelta(hours=30), NEW_YORK)  # no next window
    assert answers.shift_note(past) == ""


# --- the words for times ----------------------------------------------------------------


@pytest.mark.parametrize(
    "hours, text",
    [
        (0, "0 minutes"),
        (1 / 60, "1 minute"),
        (0.5, "30 minutes"),
        (1, "1 hour"),
        (16.4, "16 hours"),
        (47.99, "47 hours"),
        (48, "2 days"),
        (49, "2 days and 1 hour"),
        (75, "3 days and 3 hours"),
        (167.5, "6 days and 23 hours"),
        (168, "7 days"),
        (400, "16 days"),
        (672, "4 weeks"),
        (700, "4 weeks and 1 day"),
        (-1, "0 minutes"),
    ],
)
def test_elapsed_text(hours, text):
    assert answers.elapsed_text(hours) == text


@pytest.mark.parametrize(
    "hours, text",
    [
        (12, "12 hours"),
        (24, "24 hours"),
        (48, "48 hours"),
        (72, "3 days"),
        (96, "4 days"),
        (100, "100 hours"),
        (336, "14 days"),
        (672, "4 weeks"),
        (840, "5 weeks"),
    ],
)
def test_span_text(hours, text):
    assert answers.span_text(hours) == text


@pytest.mark.parametrize(
    "moment, text",
    [
        (datetime(2026, 11, 23, 9, 0), "today"),
        (datetime(2026, 11, 23, 23, 59), "today"),
        (datetime(2026, 11, 22, 23, 59), "yesterday"),
        (datetime(2026, 11, 24, 0, 0), "tomorrow"),
        (datetime(2026, 11, 17, 12, 0), "on Tuesday"),
        (datetime(2026, 11, 28, 12, 0), "on Saturday"),
        (datetime(2026, 11, 16, 12, 0), "on Nov 16"),
        (datetime(2026, 12, 20, 12, 0), "on Dec 20"),
        (datetime(2025, 11, 20, 12, 0), "on Nov 20, 2025"),
    ],
)
def test_day_text(moment, text):
    now = datetime(2026, 11, 23, 14, 10, tzinfo=NEW_YORK)  # a Monday
    assert answers.day_text(moment.replace(tzinfo=NEW_YORK), now) == text


def test_day_text_reads_now_in_the_moments_zone():
    moment = datetime(2026, 11, 23, 23, 30, tzinfo=NEW_YORK)
    now_utc = datetime(2026, 11, 24, 4, 45, tzinfo=UTC)  # already the 24th in UTC, still the 23rd in New York
    assert answers.day_text(moment, now_utc) == "today"


@pytest.mark.parametrize(
    "hour, minute, clock",
    [(0, 5, "12:05 am"), (9, 0, "9:00 am"), (12, 0, "12:00 pm"), (13, 30, "1:30 pm"), (23, 59, "11:59 pm")],
)
def test_clock_and_at_text(hour, minute, clock):
    now = datetime(2026, 11, 23, 8, 0, tzinfo=NEW_YORK)
    moment = datetime(2026, 11, 23, hour, minute, tzinfo=NEW_YORK)
    assert answers.clock_text(moment) == clock
    assert answers.at_text(moment, now) == f"{clock} today"
    assert answers.when_text(moment + timedelta(days=1), now) == f"tomorrow at {clock}"


# --- refer windows, escalation, handover ----------------------------------------------------


@pytest.mark.parametrize("topic, days", [("peeling", 8), ("redness_swelling", 5), ("bruising", 5)])
def test_refer_windows_carry_refer_and_the_clinic_phone(topic, days):
    reply = answers.answer_topic(
        PROTOCOL, PROTOCOL.topic(topic), TREATED, TREATED + timedelta(days=days, hours=1), CARD
    )
    assert reply.refer and needs_staff(reply) and not reply.escalate
    assert PHONE in reply.text and "Glow Skin Studio" in reply.text
    assert "{" not in reply.text
    assert f"{days} days" in reply.text
    assert "Since" not in reply.text  # a refer window is not announced as good news


def test_expected_windows_do_not_refer_nor_announce_the_refer_window():
    reply = answers.answer_topic(PROTOCOL, PROTOCOL.topic("peeling"), TREATED, TREATED + timedelta(days=3), CARD)
    assert not reply.refer and reply.window_start == 48
    assert PROTOCOL.topic("peeling").windows[2].summary not in reply.text.lower()
    assert "Since 5:00 pm yesterday, flaking and peeling are expected." in reply.text  # Tuesday, said on Wednesday


def test_escalation_and_handover():
    urgent = answers.escalation(PROTOCOL, CARD)
    assert urgent.escalate and needs_staff(urgent) and PHONE in urgent.text and "911" in urgent.text
    person = answers.handover(PROTOCOL, CARD)
    assert person.refer and not person.escalate and PHONE in person.text


# --- uncovered topics and contraindications ---------------------------------------------


def test_uncovered_topic_names_the_topic_and_gives_no_guidance():
    reply = answers.answer_uncovered(PROTOCOL, "alcohol", CARD)
    assert "alcohol" in reply.text
    assert "hasn't given guidance" in reply.text
    assert PHONE in reply.text
    assert reply.refer and not reply.covered and reply.topic == "alcohol" and not reply.escalate


SAYS_SAFE = re.compile(r"\b(it'?s|it is|you'?re|you are|that'?s|totally|perfectly)\s+(\w+\s+)?safe\b", re.IGNORECASE)


@pytest.mark.parametrize(
    "text", ["is it safe if i'm breastfeeding?", "I'm nursing my baby", "can i get it while pregnant"]
)
def test_pregnancy_or_nursing_names_the_line_and_the_clinic_must_confirm(text):
    reply = answers.answer_conditions(PROTOCOL, text, CARD)
    assert reply.topic == "contraindications"
    assert PROTOCOL.conditions["pregnancy"].line in reply.text
    assert "confirm" in reply.text
    assert PHONE in reply.text
    assert not SAYS_SAFE.search(reply.text)
    assert not reply.refer and not reply.escalate


def test_several_conditions_are_all_named():
    reply = answers.answer_conditions(PROTOCOL, "I'm pregnant and was on accutane last year", CARD)
    assert PROTOCOL.conditions["pregnancy"].line in reply.text
    assert PROTOCOL.conditions["accutane"].line in reply.text
    assert PROTOCOL.conditions["diabetes"].line not in reply.text


def test_no_condition_named_gives_the_general_contraindications_line():
    reply = answers.answer_conditions(PROTOCOL, "is microneedling ok for me?", CARD)
    assert "confirm" in reply.text and PHONE in reply.text
    assert not any(condition.line in reply.text for condition in PROTOCOL.conditions.values())
    assert not SAYS_SAFE.search(reply.text)


def test_condition_keywords_match_whole_words_only():
    assert answers.matching_conditions(PROTOCOL, "my cute cat") == []  # "cut"
    assert [c.name for c in answers.matching_conditions(PROTOCOL, "I have a cut on my chin")] == ["active_acne_rosacea"]
    assert [c.name for c in answers.matching_conditions(PROTOCOL, "Breast feeding, is that a problem?")] == [
        "pregnancy"
    ]


def test_topics_in_finds_several_topics_by_whole_words():
    keywords = dict(protocols.catalog().keywords)
    names = list(protocols.catalog().labels)
    assert answers.topics_in("can I wear makeup and go to the gym?", names, keywords) == ["makeup", "exercise"]
    assert answers.topics_in("my new sundress", ["sun"], keywords) == []
    assert answers.topics_in("can i drink wine tonight", names, keywords) == ["alcohol"]


# --- general answers and placeholders ---------------------------------------------------


def test_general_answer_lists_the_later_windows():
    topic = PROTOCOL.topic("skincare_restart")
    reply = answers.answer_general(PROTOCOL, topic, CARD)
    assert reply.topic == "skincare_restart" and reply.window_start is None and not reply.refer
    assert topic.windows[0].guidance in reply.text
    assert "48 hours" in reply.text and topic.windows[1].summary in reply.text
    assert "4 days" in reply.text and topic.windows[2].summary in reply.text
    assert reply.text.index("48 hours") < reply.text.index("4 days")
    assert PROTOCOL.phrase("general_note") in reply.text


def test_general_answer_for_a_single_window_topic_has_no_note():
    reply = answers.answer_general(PROTOCOL, PROTOCOL.topic("moisturizer"), CARD)
    assert reply.text == PROTOCOL.topic("moisturizer").windows[0].guidance
    assert PROTOCOL.phrase("general_note") not in reply.text


def test_a_treatment_still_ahead_gets_the_general_answer():
    reply = answers.answer_topic(PROTOCOL, MAKEUP, TREATED, TREATED - timedelta(hours=3), CARD)
    assert reply.window_start is None
    assert PROTOCOL.phrase("general_note") in reply.text
    assert "It has been" not in reply.text


def test_placeholders_are_filled_everywhere():
    for topic in PROTOCOL.topics.values():
        for window in topic.windows:
            text = answers.fill(window.guidance, CARD)
            assert "{" not in text and "}" not in text, (topic.name, window.start)
    for key in PROTOCOL.phrases:
        text = answers.fill(
            PROTOCOL.phrase(key),
            CARD,
            topic="alcohol",
            line="A line.",
            sensation="warmth",
            expected="48 hours",
            elapsed="5 days",
            back_at="9:00 am Monday",
        )
        assert "{" not in text, key


def test_fill_uses_the_booking_url_or_a_fallback_and_keeps_unknown_placeholders():
    reply = answers.answer_general(PROTOCOL, PROTOCOL.topic("next_treatment"), CARD)
    assert "https://glow.example/book" in reply.text and PHONE in reply.text
    bare = ClinicCard("Glow", PHONE, NEW_YORK)
    assert "your clinic's booking page" in answers.fill("Book at {booking_url}", bare)
    assert answers.fill("Hi {first_name}, {clinic_name}", bare) == "Hi {first_name}, Glow"


def test_second_topic_of_a_message_has_no_lead():
    reply = answers.answer_topic(PROTOCOL, MAKEUP, TREATED, TREATED + timedelta(hours=6), CARD, lead=False)
    assert "It has been" not in reply.text and "5:00 pm tomorrow" in reply.text


def test_a_sensation_past_its_window_says_how_long_it_was_expected_and_what_to_do():
    warmth, redness = PROTOCOL.sensations["warmth"], PROTOCOL.sensations["redness"]
    urgent = answers.beyond_expected(PROTOCOL, warmth, 120, CARD)
    assert urgent.escalate and not urgent.refer and urgent.topic == "redness_swelling"
    assert urgent.text.startswith("Warmth is expected for the first 48 hours after treatment, and it has been 5 days.")
    assert answers.fill(PROTOCOL.phrase("escalate"), CARD) in urgent.text
    later = answers.beyond_expected(PROTOCOL, redness, 100, CARD)
    assert later.refer and not later.escalate
    assert later.text.startswith(
        "Redness is expected for the first 4 days after treatment, and it has been 4 days and 4 hours."
    )
    assert PHONE in later.text and "911" not in later.text


def test_outside_opening_hours_a_person_request_says_when_the_team_is_back():
    hours = 'opening_hours: {mon: "09:00-18:00", tue: "09:00-18:00", sat: "10:00-14:00"}\n'
    protocol = protocols.for_clinic(hours, source="test")
    friday_night = datetime(2026, 12, 4, 20, 0, tzinfo=NEW_YORK)
    closed = answers.handover(protocol, CARD, friday_night).text
    assert "our team is back at 10:00 am tomorrow" in closed and "(212) 555-0100" in closed
    saturday_afternoon = datetime(2026, 12, 5, 15, 0, tzinfo=NEW_YORK)
    assert "our team is back at 9:00 am Monday" in answers.handover(protocol, CARD, saturday_afternoon).text
    monday_morning = datetime(2026, 12, 7, 10, 0, tzinfo=NEW_YORK)
    assert answers.handover(protocol, CARD, monday_morning).text == answers.handover(protocol, CARD).text
    # Without opening hours the team is always "in": the usual answer.
    assert answers.handover(PROTOCOL, CARD, friday_night).text == answers.handover(PROTOCOL, CARD).text
