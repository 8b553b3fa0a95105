"""The protocol as data: durations, windows that tile [0h, forever), overrides, validation."""

from __future__ import annotations

import itertools
import math
from datetime import datetime, time
from zoneinfo import ZoneInfo

import pytest
import yaml

from bot import protocols
from bot.recovery.protocol import (
    ProtocolError,
    QuietHours,
    check_extension,
    format_hours,
    load,
    load_catalog,
    merge,
    parse_duration,
)

SOURCE = "clinics/glow.yml"


def default_raw() -> dict:
    return protocols.default_raw()


def load_override(text: str):
    return load(text, protocols.catalog(), SOURCE, base=default_raw())


def load_alone(text: str):
    return load(text, protocols.catalog(), SOURCE)


def assert_tiles(topic) -> None:
    """Sorted by start, each window begins where the previous ended; the last never ends."""
    windows = sorted(topic.windows, key=lambda w: w.start)
    assert windows[0].start == 0, topic.name
    for before, after in itertools.pairwise(windows):
        assert before.end is not None and before.end == after.start, topic.name
    assert windows[-1].end is None, topic.name


# --- the default protocol ---------------------------------------------------------------


def test_default_protocol_loads_with_every_documented_topic():
    protocol = protocols.default()
    for name in (
        "makeup",
        "sun",
        "washing",
        "skincare_restart",
        "moisturizer",
        "medication",
        "exercise",
        "redness_swelling",
        "peeling",
        "itching",
        "bruising",
        "pain",
        "results",
        "next_treatment",
        "pre_treatment",
        "contraindications",
        "about_treatment",
    ):
        assert protocol.topic(name) is not None, name
    # Topics the seeds do not cover have no line in the default.
    for name in ("alcohol", "swimming", "sauna", "flying", "shaving", "hair_dye"):
        assert protocol.topic(name) is None, name
        assert name in protocols.catalog()


def test_every_default_topic_tiles_zero_to_forever():
    for topic in protocols.default().topics.values():
        assert_tiles(topic)
        for hours in (0, 0.01, 11.99, 12, 23.99, 24, 47.99, 48, 95.99, 96, 167.99, 168, 335.99, 336, 10_000):
            window = topic.window_at(hours)
            assert window is not None and window.contains(hours), (topic.name, hours)


def test_every_default_window_names_its_sources_or_hands_over_to_the_clinic():
    for topic in protocols.default().topics.values():
        for window in topic.windows:
            assert window.guidance.strip()
            assert all(source in {"000", "001", "002", "003", "004"} for source in window.sources)
            if not window.sources:  # prices and appointments: the clinic's own business
                assert "{booking_url}" in window.guidance and "{clinic_phone}" in window.guidance, topic.name


def test_visitor_topics_are_answered_without_a_treatment_time_and_invent_no_price():
    catalog, default = protocols.catalog(), protocols.default()
    visitor = {"recovery", "treatment_pain", "cost", "booking"}
    assert visitor <= catalog.answered_without_time
    for name in visitor:
        assert len(default.topic(name).windows) == 1, name
    assert catalog.treatment_time("results") == catalog.treatment_time("next_treatment") == "if_known"
    assert catalog.treatment_time("makeup") == "ask"
    for name in ("cost", "booking"):
        assert not any(ch.isdigit() or ch in "$£€" for ch in default.topic(name).windows[0].guidance), name


def test_a_bad_treatment_time_in_the_catalog_is_refused():
    with pytest.raises(ProtocolError, match="treatment_time must be one of ask, if_known, never"):
        load_catalog("topics:\n  tea: {label: tea, treatment_time: sometimes}\n")


def test_default_windows_follow_the_protocol_table():
    protocol = protocols.default()
    hours = {name: [(w.start, w.end) for w in protocol.topic(name).windows] for name in protocol.topics}
    assert hours["makeup"] == [(0, 24), (24, None)]
    assert hours["sun"] == [(0, 336), (336, None)]
    assert hours["skincare_restart"] == [(0, 48), (48, 96), (96, None)]
    assert hours["medication"] == [(0, 72), (72, None)]
    assert hours["redness_swelling"] == [(0, 96), (96, None)]
    assert hours["peeling"] == [(0, 48), (48, 168), (168, None)]
    assert hours["moisturizer"] == [(0, None)]
    # Outside the expected course: the client is referred to the clinic.
    assert protocol.topic("peeling").window_at(200).refer
    assert protocol.topic("redness_swelling").window_at(100).refer
    assert not protocol.topic("peeling").window_at(100).refer
    assert not protocol.topic("makeup").window_at(30).refer


def test_default_phrases_conditions_followups_and_quiet_hours():
    protocol = protocols.default()
    for key in ("escalate", "no_guidance", "human", "condition_found", "general_note"):
        assert protocol.phrase(key)
    assert "{topic}" in protocol.phrase("no_guidance")
    pregnancy = protocol.conditions["pregnancy"]
    assert pregnancy.absolute and "breastfeeding" in pregnancy.keywords
    assert [step.key for step in protocol.followups][:2] == ["day0_evening", "day1_morning"]
    assert protocol.followups[0].day == 0 and protocol.followups[0].at == time(19, 0)
    assert [s.key for s in protocol.followups if s.skip_if_rebooked] == ["rebook"]
    assert protocol.quiet_hours == QuietHours(time(21, 0), time(8, 0))


# --- durations --------------------------------------------------------------------------


@pytest.mark.parametrize(
    "text, hours",
    [("24h", 24), ("3d", 72), ("2w", 336), ("90m", 1.5), ("90min", 1.5), ("0h", 0), ("1.5h", 1.5), (" 12 h ", 12)],
)
def test_parse_duration_reads_units(text, hours):
    assert math.isclose(parse_duration(text), hours)


@pytest.mark.parametrize("value", ["24", "-3h", "abc", 24, 24.0, None, "", "3 days", "h", "3y", "2d4h", True])
def test_parse_duration_refuses_values_without_a_known_unit(value):
    with pytest.raises(ValueError, match="bad duration"):
        parse_duration(value)


@pytest.mark.parametrize("hours", [1.5, 12, 24, 36, 48, 72, 96, 168, 336, 672])
def test_format_hours_reads_back(hours):
    assert math.isclose(parse_duration(format_hours(hours)), hours)


# --- validation: every error names the source and the topic -----------------------------


def _topic_yaml(windows: str, topic: str = "makeup") -> str:
    return f"topics:\n  {topic}:\n    windows:\n{windows}"


W = "      - {{{0}guidance: words}}\n"  # one window, flow style


def window(**bounds: str) -> str:
    inner = "".join(f"{key}: {value}, " for key, value in bounds.items())
    return W.format(inner.replace("start", "from"))


@pytest.mark.parametrize(
    "windows, problem",
    [
        (window(until="24h") + window(start="12h"), "overlap"),  # overlap
        (window(until="12h") + window(start="24h"), "12h to 24h"),  # gap
        (window(until="12h") + window(start="12h", until="24h"), "after 24h"),  # nothing open-ended
        (window(start="1h"), "0h to 1h"),  # does not start at 0
        (window(until="24h") + window(start="24h") + window(start="48h"), "only the last window may be open-ended"),
        (window(until="24") + window(start="24"), "bad duration"),  # bare numbers
        (window(until="-3h") + window(start="-3h"), "bad duration"),
        (window(start="24h", until="12h") + window(start="12h"), "ends before it starts"),
        ("      - {from: 0h}\n", "no guidance"),
        ("      - just words\n", "not a mapping"),
        ("", "windows"),
    ],
    ids=[
        "overlap",
        "gap",
        "no-open-end",
        "late-start",
        "two-open-ends",
        "bare-number",
        "negative",
        "reversed",
        "no-guidance",
        "not-mapping",
        "no-windows",
    ],
)
def test_bad_windows_are_refused_naming_source_and_topic(windows, problem):
    with pytest.raises(ProtocolError) as error:
        load_alone(_topic_yaml(windows))
    message = str(error.value)
    assert SOURCE in message and "makeup" in message and problem in message


def test_the_same_errors_are_raised_through_a_clinic_override():
    with pytest.raises(ProtocolError) as error:
        load_override(_topic_yaml(window(until="24h") + window(start="12h"), topic="sun"))
    assert SOURCE in str(error.value) and "'sun'" in str(error.value)


def test_windows_may_be_written_in_any_order():
    protocol = load_alone(_topic_yaml(window(start="24h") + window(until="24h")))
    assert protocol.topic("makeup").window_at(30).start == 24
    assert protocol.topic("makeup").window_at(3).start == 0


def test_unknown_topic_is_refused_naming_source_and_topic():
    with pytest.raises(ProtocolError) as error:
        load_override(_topic_yaml(window(), topic="tanning_beds"))
    message = str(error.value)
    assert SOURCE in message and "tanning_beds" in message and "unknown topic" in message


def test_non_mapping_yaml_is_refused_naming_source():
    with pytest.raises(ProtocolError, match=SOURCE):
        load_override("- makeup\n- sun\n")
    with pytest.raises(ProtocolError, match=SOURCE):
        load_override("just a sentence")


def test_invalid_yaml_is_refused_naming_source():
    with pytest.raises(ProtocolError) as error:
        load_override("topics:\n  makeup: {windows: [\n")
    assert SOURCE in str(error.value) and "YAML" in str(error.value)


def test_a_protocol_without_topics_is_refused():
    with pytest.raises(ProtocolError, match=SOURCE):
        load_alone("name: nothing here\n")
    with pytest.raises(ProtocolError, match=SOURCE):
        load_alone("")


def test_empty_override_is_the_default():
    assert protocols.for_clinic(None) is protocols.default()
    assert protocols.for_clinic("  \n") is protocols.default()
    assert load_override("").topics.keys() == protocols.default().topics.keys()


# --- overrides --------------------------------------------------------------------------


def test_seed004_example_changes_only_sun():
    text = protocols.example_path("seed004_late_sunscreen.yml").read_text(encoding="utf-8")
    clinic = protocols.for_clinic(text, source="clinic bright")
    default = protocols.default()

    sun = clinic.topic("sun")
    assert [(w.start, w.end) for w in sun.windows] == [(0, 12), (12, 336), (336, None)]
    assert "sunscreen" in sun.window_at(6).guidance.lower() and "don't" in sun.window_at(6).guidance.lower()
    assert "SPF" in sun.window_at(12).guidance and "14 days" in sun.window_at(12).guidance
    assert sun.window_at(336).start == 336
    assert sun != default.topic("sun")

    assert clinic.topics.keys() == default.topics.keys()
    for name in default.topics:
        if name != "sun":
            assert clinic.topic(name) == default.topic(name), name
    assert clinic.conditions == default.conditions
    assert clinic.followups == default.followups
    assert clinic.quiet_hours == default.quiet_hours
    assert clinic.phrases == default.phrases
    assert clinic.name != default.name


def test_merge_replaces_whole_topics_and_keeps_the_rest():
    base = {
        "name": "base",
        "topics": {"a": 1, "b": 2},
        "phrases": {"x": "1", "y": "2"},
        "quiet_hours": {"start": "21:00"},
    }
    merged = merge(base, {"topics": {"b": 3, "c": 4}, "phrases": {"y": "9"}, "quiet_hours": {"end": "07:00"}})
    assert merged["topics"] == {"a": 1, "b": 3, "c": 4}
    assert merged["phrases"] == {"x": "1", "y": "9"}
    assert merged["quiet_hours"] == {"end": "07:00"}  # a section is replaced whole
    assert merged["name"] == "base"
    assert base["topics"] == {"a": 1, "b": 2}  # the base is not touched


def test_clinic_override_may_add_an_uncovered_catalog_topic():
    text = _topic_yaml(
        "      - {until: 48h, guidance: No alcohol for 48 hours., sources: [clinic]}\n"
        "      - {from: 48h, summary: a drink is fine, guidance: Drink in moderation., sources: [clinic]}\n",
        topic="alcohol",
    )
    protocol = load_override(text)
    alcohol = protocol.topic("alcohol")
    assert alcohol is not None and alcohol.label == "alcohol"
    assert alcohol.window_at(47.9).end == 48 and alcohol.window_at(48).summary == "a drink is fine"
    assert protocol.topic("makeup") == protocols.default().topic("makeup")
    assert protocols.default().topic("alcohol") is None  # the default is not changed


def test_override_phrases_and_conditions_merge_per_key():
    text = (
        'phrases:\n  human: "Call {clinic_phone}, we\'ll help."\n'
        "conditions:\n  rosacea:\n    line: Rosacea must calm down first.\n    keywords: [rosacea]\n"
    )
    protocol = load_override(text)
    assert protocol.phrase("human") == "Call {clinic_phone}, we'll help."
    assert protocol.phrase("escalate") == protocols.default().phrase("escalate")
    assert protocol.conditions["rosacea"].keywords == ("rosacea",)
    assert "pregnancy" in protocol.conditions


@pytest.mark.parametrize(
    "conditions",
    ["conditions: [pregnant]\n", "conditions:\n  x: {line: Words.}\n", "conditions:\n  x: {keywords: [a]}\n"],
)
def test_bad_conditions_are_refused(conditions):
    with pytest.raises(ProtocolError, match=SOURCE):
        load_override(conditions)


# --- follow-ups and quiet hours ---------------------------------------------------------


def _followups(*steps: dict) -> str:
    return yaml.safe_dump({"followups": list(steps)})


GOOD_STEP = {"key": "day2", "day": 2, "at": "10:30", "text": "Hi {first_name}"}


def test_followups_override_replaces_the_schedule():
    protocol = load_override(_followups(GOOD_STEP, {**GOOD_STEP, "key": "rebook", "day": 30, "skip_if_rebooked": True}))
    assert [(s.key, s.day, s.at) for s in protocol.followups] == [
        ("day2", 2, time(10, 30)),
        ("rebook", 30, time(10, 30)),
    ]
    assert protocol.followups[1].skip_if_rebooked and not protocol.followups[0].skip_if_rebooked


@pytest.mark.parametrize(
    "steps, problem",
    [
        ([{**GOOD_STEP, "key": ""}], "unique 'key'"),
        ([GOOD_STEP, GOOD_STEP], "unique 'key'"),
        ([{**GOOD_STEP, "day": -1}], "'day'"),
        ([{**GOOD_STEP, "day": "2"}], "'day'"),
        ([{**GOOD_STEP, "day": 1.5}], "'day'"),
        ([{k: v for k, v in GOOD_STEP.items() if k != "day"}], "'day'"),
        ([{**GOOD_STEP, "text": "  "}], "no text"),
        ([{**GOOD_STEP, "at": "25:00"}], "bad clock time"),
        ([{**GOOD_STEP, "at": "7pm"}], "bad clock time"),
        ([{k: v for k, v in GOOD_STEP.items() if k != "at"}], "bad clock time"),
        (["send a text"], "unique 'key'"),
    ],
)
def test_bad_followups_are_refused(steps, problem):
    with pytest.raises(ProtocolError) as error:
        load_override(_followups(*steps))
    assert SOURCE in str(error.value) and problem in str(error.value)


def test_followups_must_be_a_list():
    with pytest.raises(ProtocolError, match="must be a list"):
        load_override("followups: {day0: hello}\n")


def test_quiet_hours_override():
    protocol = load_override('quiet_hours: {start: "22:30", end: "07:15"}\n')
    assert protocol.quiet_hours == QuietHours(time(22, 30), time(7, 15))


@pytest.mark.parametrize(
    "text",
    [
        'quiet_hours: "21:00-08:00"\n',
        'quiet_hours: {start: "21:00"}\n',
        'quiet_hours: {start: "9pm", end: "08:00"}\n',
        'quiet_hours: {start: "21:75", end: "08:00"}\n',
    ],
)
def test_bad_quiet_hours_are_refused(text):
    with pytest.raises(ProtocolError) as error:
        load_override(text)
    assert SOURCE in str(error.value) and "quiet_hours" in str(error.value)


@pytest.mark.parametrize(
    "quiet, inside, outside",
    [
        (
            QuietHours(time(21, 0), time(8, 0)),
            [time(21, 0), time(23, 59), time(0, 0), time(7, 59)],
            [time(8, 0), time(12, 0), time(20, 59)],
        ),
        (QuietHours(time(13, 0), time(14, 0)), [time(13, 0), time(13, 59)], [time(12, 59), time(14, 0), time(0, 0)]),
    ],
)
def test_quiet_hours_contain(quiet, inside, outside):
    assert all(quiet.contains(moment) for moment in inside)
    assert not any(quiet.contains(moment) for moment in outside)


def test_validate_file_names_the_file(tmp_path):
    good = tmp_path / "good.yml"
    good.write_text(protocols.example_path("seed004_late_sunscreen.yml").read_text(encoding="utf-8"))
    assert protocols.validate_file(good) == good.read_text()
    bad = tmp_path / "bad.yml"
    bad.write_text(_topic_yaml(window(until="12h") + window(start="24h"), topic="washing"))
    with pytest.raises(ProtocolError) as error:
        protocols.validate_file(bad)
    assert str(bad) in str(error.value) and "washing" in str(error.value)


# --- sensations: how long each is expected ----------------------------------------------


def test_default_sensations_follow_the_protocol():
    sensations = protocols.default().sensations
    assert set(sensations) == set(protocols.catalog().sensations)
    assert (sensations["warmth"].until, sensations["warmth"].beyond) == (48, "escalate")
    assert (sensations["redness"].until, sensations["redness"].beyond) == (96, "refer")
    assert sensations["swelling"].until == 96 and sensations["soreness"].topic == "pain"
    assert sensations["warmth"].expected_at(47.99) and not sensations["warmth"].expected_at(48)
    for sensation in sensations.values():
        assert sensation.sources, sensation.name
        assert protocols.default().topic(sensation.topic) is not None


def test_a_clinic_overrides_one_sensation_and_keeps_the_others():
    protocol = load_override("sensations:\n  warmth: {topic: redness_swelling, until: 3d, beyond: refer}\n")
    assert protocol.sensations["warmth"].until == 72 and protocol.sensations["warmth"].beyond == "refer"
    assert protocol.sensations["redness"] == protocols.default().sensations["redness"]


@pytest.mark.parametrize(
    "text, problem",
    [
        ("sensations: [warmth]\n", "must be a mapping"),
        ("sensations:\n  numbness: {topic: pain, until: 24h, beyond: refer}\n", "unknown sensation"),
        ("sensations:\n  warmth: hot\n", "needs 'topic'"),
        ("sensations:\n  warmth: {topic: alcohol, until: 24h, beyond: refer}\n", "'topic' must name a topic"),
        ("sensations:\n  warmth: {topic: pain, until: 24, beyond: refer}\n", "bad duration"),
        ("sensations:\n  warmth: {topic: pain, until: 0h, beyond: refer}\n", "after the treatment"),
        (
            "sensations:\n  warmth: {topic: pain, until: 24h, beyond: panic}\n",
            "'beyond' must be one of escalate, refer",
        ),
        ("sensations:\n  warmth: {topic: pain, until: 24h}\n", "'beyond' must be one of"),
    ],
)
def test_bad_sensations_are_refused_naming_source_and_sensation(text, problem):
    with pytest.raises(ProtocolError, match=problem) as error:
        load_override(text)
    assert SOURCE in str(error.value)
    if "must be a mapping" not in problem:
        assert "sensation 'warmth'" in str(error.value) or "sensation 'numbness'" in str(error.value)


# --- extensions a clinic includes -------------------------------------------------------

EXTENSION = {
    "name": "Extra",
    "topics": {
        "alcohol": {
            "windows": [
                {"until": "48h", "guidance": "No alcohol yet.", "sources": ["a"]},
                {"from": "48h", "summary": "a drink is fine", "guidance": "Drink water too.", "sources": ["a"]},
            ]
        },
        "swimming": {"windows": [{"guidance": "Swim after 48 hours.", "sources": ["a"]}]},
    },
}


def load_with(text: str, extensions=None):
    return load(text, protocols.catalog(), SOURCE, base=default_raw(), extensions=extensions or {"extra": EXTENSION})


def test_an_included_extension_adds_its_topics_marked_with_their_origin():
    protocol = load_with("include: [extra]\n")
    assert protocol.topic("alcohol").window_at(10).guidance == "No alcohol yet."
    assert protocol.topic("alcohol").origin == protocol.topic("swimming").origin == "extra"
    assert protocol.topic("makeup") == protocols.default().topic("makeup")  # the rest is the default's
    assert protocol.topic("makeup").origin is None


def test_the_clinics_own_topic_wins_over_the_extension_and_is_not_marked():
    protocol = load_with(
        "include: [extra]\ntopics:\n  alcohol:\n    windows:\n      - {guidance: Never at our clinic., sources: [clinic]}\n"
    )
    assert protocol.topic("alcohol").windows[0].guidance == "Never at our clinic."
    assert protocol.topic("alcohol").origin is None
    assert protocol.topic("swimming").origin == "extra"


def test_without_the_include_line_nothing_of_the_extension_is_used():
    protocol = load_with("topics: {}\n")
    assert protocol.topic("alcohol") is None and protocol.topic("swimming") is None


@pytest.mark.parametrize(
    "line, fragment",
    [
        ("include: extra\n", "include: must be a list of extension names"),
        ("include: [extra, 3]\n", "include: must be a list of extension names"),
        ("include: [nope]\n", "unknown extension 'nope' (available: extra)"),
        ("include: [extra, extra]\n", "'extra' is listed twice"),
    ],
)
def test_a_bad_include_line_is_refused_naming_the_file(line, fragment):
    with pytest.raises(ProtocolError, match=SOURCE) as error:
        load_with(line)
    assert fragment in str(error.value)


def test_only_a_clinics_file_may_include():
    with pytest.raises(ProtocolError, match="only a clinic's protocol file may include"):
        load("include: [extra]\n", protocols.catalog(), SOURCE, extensions={"extra": EXTENSION})


def test_a_broken_window_in_an_extension_names_the_extension():
    broken = {"topics": {"alcohol": {"windows": [{"until": "48h", "guidance": "No.", "sources": ["a"]}]}}}
    with pytest.raises(ProtocolError, match=r"clinics/glow.yml \(from extra\): topic 'alcohol': no window covers"):
        load_with("include: [extra]\n", {"extra": broken})


@pytest.mark.parametrize(
    "raw, name, fragment",
    [
        ({"topics": {"alcohol": {}}, "followups": []}, "extra", "only name, topics and sources, not followups"),
        ({"name": "x"}, "extra", "needs a 'topics:' section"),
        ({"topics": {"alcohol": {}}}, "../extra", "an extension name is lower case"),
    ],
)
def test_an_extension_holds_topics_only(raw, name, fragment):
    with pytest.raises(ProtocolError, match=r"examples/x\.yml") as error:
        check_extension(raw, name, "examples/x.yml")
    assert fragment in str(error.value)


def test_the_shipped_common_questions_extension_cites_public_clinic_sheets_for_every_window():
    raw = protocols.extensions()["common-questions"]
    addresses = raw["sources"]
    assert all(url.startswith("https://") for url in addresses.values())
    for name, spec in raw["topics"].items():
        assert name in protocols.catalog() and protocols.default().topic(name) is None, name
        for window in spec["windows"]:
            assert window["sources"] and all(source in addresses for source in window["sources"]), name
    assert set(addresses) == {s for spec in raw["topics"].values() for w in spec["windows"] for s in w["sources"]}
    protocol = protocols.for_clinic("include: [common-questions]\n")
    added = {name for name, topic in protocol.topics.items() if topic.origin == "common-questions"}
    assert added == {"alcohol", "swimming", "sauna", "shaving", "flying", "self_tanner", "hair_dye"}
    for name in added:
        assert_tiles(protocol.topic(name))


def test_opening_hours_are_read_by_weekday_and_checked():
    protocol = load_override('opening_hours: {Mon: "09:00-17:30", sat: closed, tue: "09:00-12:00"}\n')
    hours = protocol.opening_hours
    monday = datetime(2026, 12, 7, 17, 29, tzinfo=ZoneInfo("America/New_York"))
    assert hours.open_at(monday) and not hours.open_at(monday.replace(minute=31, hour=17))
    assert hours.next_opening(monday.replace(hour=18)) == monday.replace(day=8, hour=9, minute=0)
    assert load_override("quiet_hours: {start: '22:00', end: '07:00'}\n").opening_hours.open_at(monday.replace(hour=3))
    for bad, says in (
        ('opening_hours: {mon: "17:00-09:00"}', "before it opens"),
        ('opening_hours: {funday: "09:00-17:00"}', "unknown day 'funday'"),
        ('opening_hours: {mon: "9 to 5"}', "HH:MM-HH:MM"),
        ("opening_hours: []", "name each open day"),
    ):
        with pytest.raises(ProtocolError, match=says):
            load_override(bad + "\n")
