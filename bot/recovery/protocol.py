"""A clinic's aftercare protocol as data: load, validate, merge a clinic's overrides.

Pure: functions take YAML text or mappings, never paths, so the store and the CLI
decide where a protocol comes from. Every error names its source and topic.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime, time, timedelta
from typing import Any, Literal, Mapping, Optional, Sequence, cast, get_args

import yaml

from bot.recovery import localized
from bot.recovery.localized import Localized

_DURATION = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(m|min|h|d|w)\s*$")
_UNIT_HOURS = {"m": 1 / 60, "min": 1 / 60, "h": 1.0, "d": 24.0, "w": 168.0}
_EXTENSION_NAME = re.compile(r"^[a-z0-9][a-z0-9_-]*$")

# Whether a topic's answer needs to know when the treatment was (the catalog's
# `treatment_time`): "ask" asks for it when unknown; "if_known" answers for the client's
# point of recovery when it is known, else with the general timeline (how many sessions,
# when results show: visitors ask these before any treatment); "never" answers alike at
# any point (what microneedling is, cost, booking).
TreatmentTime = Literal["ask", "if_known", "never"]


class ProtocolError(ValueError):
    """A protocol file that cannot be used; the message names the file and topic."""


def parse_duration(value: Any) -> float:
    """'24h', '3d', '2w', '90m' -> hours. Bare numbers are refused: a unit is required."""
    if isinstance(value, str):
        match = _DURATION.match(value)
        if match:
            return float(match.group(1)) * _UNIT_HOURS[match.group(2)]
    raise ValueError(f"bad duration {value!r} (use e.g. 12h, 3d, 2w)")


def format_hours(hours: float) -> str:
    """The inverse of parse_duration, for readable timelines: 24.0 -> '24h', 336 -> '14d'."""
    if hours % 168 == 0 and hours >= 168 and hours % 24 != 0:
        return f"{hours / 168:g}w"
    if hours % 24 == 0 and hours >= 48:
        return f"{hours / 24:g}d"
    return f"{hours:g}h"


@dataclass(frozen=True)
class Window:
    """What applies to a topic from `start` (inclusive) to `end` (exclusive) hours after treatment."""

    start: float
    end: Optional[float]
    guidance: str
    summary: str = ""
    refer: bool = False
    sources: tuple[str, ...] = ()

    def contains(self, hours: float) -> bool:
        return self.start <= hours and (self.end is None or hours < self.end)


@dataclass(frozen=True)
class Topic:
    name: str
    label: str
    windows: tuple[Window, ...]
    origin: Optional[str] = None  # the included extension the topic comes from, if any

    def window_at(self, hours: float) -> Optional[Window]:
        for window in self.windows:
            if window.contains(hours):
                return window
        return None

    def next_window(self, hours: float) -> Optional[Window]:
        for window in self.windows:
            if window.start > hours:
                return window
        return None

    @property
    def timed(self) -> bool:
        """True when the guidance changes with time, so an answer names the next opening."""
        return len(self.windows) > 1


Beyond = Literal["escalate", "refer"]


@dataclass(frozen=True)
class Sensation:
    """A sensation clients describe ("my face feels hot") that is expected for a while after
    treatment and a warning sign once it lasts longer: past `until` hours the client is told
    to contact the clinic now (`escalate`) or asked to let the clinic check (`refer`)."""

    name: str
    label: str
    topic: str  # the topic whose answer explains it while it is expected
    until: float
    beyond: Beyond
    sources: tuple[str, ...] = ()

    def expected_at(self, hours: float) -> bool:
        return hours < self.until


@dataclass(frozen=True)
class Condition:
    """A line of the contraindications list, with the words clients use for it."""

    name: str
    line: str
    keywords: tuple[str, ...]
    absolute: bool = False


@dataclass(frozen=True)
class FollowUpStep:
    """One message of the follow-up schedule: `day` calendar days after treatment at local `at`."""

    key: str
    day: int
    at: time
    text: str
    skip_if_rebooked: bool = False


@dataclass(frozen=True)
class QuietHours:
    start: time
    end: time

    def contains(self, moment: time) -> bool:
        if self.start <= self.end:
            return self.start <= moment < self.end
        return moment >= self.start or moment < self.end


DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


@dataclass(frozen=True)
class OpeningHours:
    """When the clinic's team is in, by weekday (Monday first) in the clinic's local time;
    None for a day they are closed. No `opening_hours:` in the protocol: always open."""

    days: Optional[tuple[Optional[tuple[time, time]], ...]] = None

    def open_at(self, local: datetime) -> bool:
        if self.days is None:
            return True
        hours = self.days[local.weekday()]
        return hours is not None and hours[0] <= local.time() < hours[1]

    def next_opening(self, local: datetime) -> Optional[datetime]:
        """The next moment the team is in, from `local` (aware, the clinic's zone); None
        when always open or never."""
        if self.days is None:
            return None
        for ahead in range(8):
            day = (local + timedelta(days=ahead)).date()
            hours = self.days[day.weekday()]
            if hours is None:
                continue
            opening = datetime.combine(day, hours[0], tzinfo=local.tzinfo)
            if opening > local:
                return opening
        return None


@dataclass(frozen=True)
class Protocol:
    name: str
    topics: Mapping[str, Topic]
    conditions: Mapping[str, Condition] = field(default_factory=dict)
    followups: tuple[FollowUpStep, ...] = ()
    quiet_hours: QuietHours = QuietHours(time(21, 0), time(8, 0))
    opening_hours: OpeningHours = OpeningHours()
    phrases: Mapping[str, Localized] = field(default_factory=dict)
    sensations: Mapping[str, Sensation] = field(default_factory=dict)

    def topic(self, name: str) -> Optional[Topic]:
        return self.topics.get(name)

    def phrase(self, key: str, language: Optional[str] = "en") -> str:
        """The phrase in `language`, else in English."""
        return self.phrases[key].text(language)

    def phrase_in(self, key: str, language: Optional[str]) -> Optional[str]:
        """The phrase in `language`, or None when the protocol has none in it."""
        return self.phrases[key].get(language)


@dataclass(frozen=True)
class TopicCatalog:
    """Every topic a protocol may name, with the label and keywords clients use for it,
    and the sensations the language side reads from clients' words."""

    labels: Mapping[str, str]
    keywords: Mapping[str, tuple[str, ...]]
    sensations: Mapping[str, str] = field(default_factory=dict)  # name -> label
    timing: Mapping[str, TreatmentTime] = field(default_factory=dict)

    def __contains__(self, name: object) -> bool:
        return name in self.labels

    def treatment_time(self, name: str) -> TreatmentTime:
        return self.timing.get(name, "ask")

    @property
    def answered_without_time(self) -> frozenset[str]:
        """Topics answered alike at any point of recovery."""
        return frozenset(name for name, timing in self.timing.items() if timing == "never")


def load_catalog(text: str) -> TopicCatalog:
    raw = yaml.safe_load(text) or {}
    labels, keywords, timing = {}, {}, {}
    for name, spec in raw.get("topics", {}).items():
        labels[name] = spec.get("label", name.replace("_", " "))
        keywords[name] = tuple(str(k).lower() for k in spec.get("keywords", ()))
        timing[name] = spec.get("treatment_time", "ask")
        if timing[name] not in get_args(TreatmentTime):
            raise ProtocolError(
                f"topic catalog: topic '{name}': treatment_time must be one of {', '.join(get_args(TreatmentTime))}"
            )
    sensations = {str(name): str((spec or {}).get("label", name)) for name, spec in raw.get("sensations", {}).items()}
    return TopicCatalog(labels=labels, keywords=keywords, sensations=sensations, timing=timing)


def parse_yaml(text: str, source: str) -> dict:
    try:
        raw = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise ProtocolError(f"{source}: not valid YAML: {exc}") from exc
    if raw is None:
        return {}
    if not isinstance(raw, dict):
        raise ProtocolError(f"{source}: a protocol is a mapping with 'topics:' at the top")
    return raw


def merge(base: Mapping[str, Any], override: Mapping[str, Any]) -> dict:
    """A clinic's override replaces whole topics, conditions and sections; the rest is kept.
    A phrase is replaced language by language (bot.recovery.localized.merge)."""
    merged = dict(base)
    for key, value in override.items():
        if key in ("topics", "conditions", "phrases", "sensations") and isinstance(value, dict):
            section = dict(base.get(key) or {})
            for name, item in value.items():
                section[name] = localized.merge(section.get(name), item) if key == "phrases" else item
            merged[key] = section
        else:
            merged[key] = value
    return merged


def build(
    raw: Mapping[str, Any], catalog: TopicCatalog, source: str, origins: Optional[Mapping[str, str]] = None
) -> Protocol:
    """Validate a raw (merged) protocol mapping and turn it into a Protocol; `origins` names
    the included extension each such topic comes from."""
    topics_raw = raw.get("topics")
    if not isinstance(topics_raw, dict) or not topics_raw:
        raise ProtocolError(f"{source}: no 'topics:' section")
    origins = origins or {}
    topics = {}
    for name, spec in topics_raw.items():
        if name not in catalog:
            known = ", ".join(sorted(catalog.labels))
            raise ProtocolError(f"{source}: topic '{name}': unknown topic (known: {known})")
        where = f"{source} (from {origins[name]})" if name in origins else source
        topics[name] = _build_topic(name, spec, catalog, where, origins.get(name))
    return Protocol(
        name=str(raw.get("name", source)),
        topics=topics,
        conditions=_build_conditions(raw.get("conditions") or {}, source),
        followups=_build_followups(raw.get("followups") or [], source),
        quiet_hours=_build_quiet_hours(raw.get("quiet_hours"), source),
        opening_hours=_build_opening_hours(raw.get("opening_hours"), source),
        phrases=_build_phrases(raw.get("phrases") or {}, source),
        sensations=_build_sensations(raw.get("sensations") or {}, topics, catalog, source),
    )


def load(
    text: str,
    catalog: TopicCatalog,
    source: str,
    base: Optional[Mapping] = None,
    extensions: Optional[Mapping[str, Mapping]] = None,
) -> Protocol:
    """Load a protocol from YAML text; with `base`, the text is a clinic's override of it.

    A clinic's file may `include:` extensions by name (`extensions`: name -> raw mapping):
    their topics come on top of the base, and the clinic's own topics on top of those."""
    raw = parse_yaml(text, source)
    origins: dict[str, str] = {}
    if "include" in raw:
        if base is None:
            raise ProtocolError(f"{source}: include: only a clinic's protocol file may include extensions")
        available = extensions or {}
        for name in included(raw["include"], available, source):
            extension_topics = dict(available[name].get("topics") or {})
            base = merge(base, {"topics": extension_topics})
            origins.update(dict.fromkeys(extension_topics, name))
        raw = {key: value for key, value in raw.items() if key != "include"}
        for own in raw.get("topics") or {}:
            origins.pop(own, None)  # the clinic's own line wins over the extension's
    if base is not None:
        raw = merge(base, raw)
    return build(raw, catalog, source, origins)


def included(value: Any, extensions: Mapping[str, Mapping], source: str) -> list[str]:
    """The extension names of an `include:` line, checked: a list of known names, each once."""
    available = ", ".join(sorted(extensions)) or "none"
    if not isinstance(value, list) or not all(isinstance(name, str) for name in value):
        raise ProtocolError(f"{source}: include: must be a list of extension names, e.g. include: [common-questions]")
    seen: set[str] = set()
    for name in value:
        if name not in extensions:
            raise ProtocolError(f"{source}: include: unknown extension '{name}' (available: {available})")
        if name in seen:
            raise ProtocolError(f"{source}: include: '{name}' is listed twice")
        seen.add(name)
    return list(value)


def check_extension(raw: Mapping[str, Any], name: str, source: str) -> dict:
    """An includable extension holds topics only (with a `name:`, and `sources:`: the public
    addresses its windows cite); follow-ups, phrases and quiet hours stay the clinic's."""
    if not _EXTENSION_NAME.match(name):
        raise ProtocolError(f"{source}: an extension name is lower case letters, digits, '-' and '_'")
    extra = sorted(set(raw) - {"name", "topics", "sources"})
    if extra:
        raise ProtocolError(f"{source}: an extension holds only name, topics and sources, not {', '.join(extra)}")
    if not isinstance(raw.get("topics"), dict) or not raw["topics"]:
        raise ProtocolError(f"{source}: an extension needs a 'topics:' section")
    return dict(raw)


def _build_topic(name: str, spec: Any, catalog: TopicCatalog, source: str, origin: Optional[str] = None) -> Topic:
    where = f"{source}: topic '{name}'"
    if not isinstance(spec, dict) or not isinstance(spec.get("windows"), list) or not spec["windows"]:
        raise ProtocolError(f"{where}: needs a non-empty 'windows:' list")
    windows = []
    for index, item in enumerate(spec["windows"]):
        if not isinstance(item, dict):
            raise ProtocolError(f"{where}: window {index + 1} is not a mapping")
        try:
            start = parse_duration(item.get("from", "0h"))
            end = parse_duration(item["until"]) if item.get("until") is not None else None
        except ValueError as exc:
            raise ProtocolError(f"{where}: window {index + 1}: {exc}") from exc
        if end is not None and end <= start:
            raise ProtocolError(f"{where}: window {index + 1} ends before it starts")
        guidance = str(item.get("guidance", "")).strip()
        if not guidance:
            raise ProtocolError(f"{where}: window {index + 1} has no guidance")
        windows.append(
            Window(
                start=start,
                end=end,
                guidance=guidance,
                summary=str(item.get("summary", "")).strip(),
                refer=bool(item.get("refer", False)),
                sources=tuple(str(s) for s in item.get("sources", ())),
            )
        )
    _check_coverage(windows, where)
    return Topic(name=name, label=str(spec.get("label", catalog.labels[name])), windows=tuple(windows), origin=origin)


def _check_coverage(windows: Sequence[Window], where: str) -> None:
    """Windows must tile [0h, forever): no gap, no overlap, the last one open-ended."""
    ordered = sorted(windows, key=lambda w: w.start)
    expected = 0.0
    for window in ordered:
        if window.start < expected:
            raise ProtocolError(f"{where}: windows overlap at {format_hours(window.start)}")
        if window.start > expected:
            raise ProtocolError(f"{where}: no window covers {format_hours(expected)} to {format_hours(window.start)}")
        if window.end is None:
            if window is not ordered[-1]:
                raise ProtocolError(f"{where}: only the last window may be open-ended")
            return
        expected = window.end
    raise ProtocolError(f"{where}: no window covers the time after {format_hours(expected)}")


def _build_sensations(
    raw: Any, topics: Mapping[str, Topic], catalog: TopicCatalog, source: str
) -> dict[str, Sensation]:
    if not isinstance(raw, dict):
        raise ProtocolError(f"{source}: 'sensations:' must be a mapping")
    sensations = {}
    for name, spec in raw.items():
        where = f"{source}: sensation '{name}'"
        if name not in catalog.sensations:
            known = ", ".join(sorted(catalog.sensations))
            raise ProtocolError(f"{where}: unknown sensation (known: {known})")
        if not isinstance(spec, dict):
            raise ProtocolError(f"{where}: needs 'topic', 'until' and 'beyond'")
        if spec.get("topic") not in topics:
            raise ProtocolError(f"{where}: 'topic' must name a topic of the protocol, not {spec.get('topic')!r}")
        try:
            until = parse_duration(spec.get("until"))
        except ValueError as exc:
            raise ProtocolError(f"{where}: 'until': {exc}") from exc
        if until <= 0:
            raise ProtocolError(f"{where}: 'until' must be after the treatment")
        beyond = spec.get("beyond")
        if beyond not in get_args(Beyond):
            raise ProtocolError(f"{where}: 'beyond' must be one of {', '.join(get_args(Beyond))}, not {beyond!r}")
        sensations[name] = Sensation(
            name=name,
            label=str(spec.get("label", catalog.sensations[name])),
            topic=spec["topic"],
            until=until,
            beyond=cast(Beyond, beyond),
            sources=tuple(str(s) for s in spec.get("sources", ())),
        )
    return sensations


def _build_phrases(raw: Any, source: str) -> dict[str, Localized]:
    if not isinstance(raw, dict):
        raise ProtocolError(f"{source}: 'phrases:' must be a mapping")
    phrases = {}
    for key, value in raw.items():
        try:
            phrases[str(key)] = localized.parse(value)
        except localized.LocalizedError as exc:
            raise ProtocolError(f"{source}: phrase '{key}': {exc}") from exc
    return phrases


def _build_conditions(raw: Any, source: str) -> dict[str, Condition]:
    if not isinstance(raw, dict):
        raise ProtocolError(f"{source}: 'conditions:' must be a mapping")
    conditions = {}
    for name, spec in raw.items():
        if not isinstance(spec, dict) or not spec.get("line") or not spec.get("keywords"):
            raise ProtocolError(f"{source}: condition '{name}': needs 'line' and 'keywords'")
        conditions[name] = Condition(
            name=name,
            line=str(spec["line"]).strip(),
            keywords=tuple(str(k).lower() for k in spec["keywords"]),
            absolute=bool(spec.get("absolute", False)),
        )
    return conditions


def parse_clock(value: Any, where: str) -> time:
    # YAML 1.1 reads an unquoted 19:00 as the base-60 number 1140 (minutes).
    if isinstance(value, int) and not isinstance(value, bool) and 0 <= value < 24 * 60:
        return time(value // 60, value % 60)
    try:
        hours, minutes = str(value).split(":")
        return time(int(hours), int(minutes))
    except (ValueError, TypeError) as exc:
        raise ProtocolError(f"{where}: bad clock time {value!r} (use HH:MM)") from exc


def _build_followups(raw: Any, source: str) -> tuple[FollowUpStep, ...]:
    if not isinstance(raw, list):
        raise ProtocolError(f"{source}: 'followups:' must be a list")
    steps, seen = [], set()
    for item in raw:
        key = str(item.get("key", "")) if isinstance(item, dict) else ""
        where = f"{source}: follow-up '{key or '?'}'"
        if not key or key in seen:
            raise ProtocolError(f"{where}: every follow-up needs a unique 'key'")
        seen.add(key)
        day = item.get("day")
        if not isinstance(day, int) or day < 0:
            raise ProtocolError(f"{where}: 'day' must be a whole number of days, 0 or more")
        if not str(item.get("text", "")).strip():
            raise ProtocolError(f"{where}: no text")
        steps.append(
            FollowUpStep(
                key=key,
                day=day,
                at=parse_clock(item.get("at"), where),
                text=str(item["text"]).strip(),
                skip_if_rebooked=bool(item.get("skip_if_rebooked", False)),
            )
        )
    return tuple(steps)


def _build_opening_hours(raw: Any, source: str) -> OpeningHours:
    """`opening_hours: {mon: "09:00-18:00", ..., sun: closed}`; a day not named is closed."""
    if raw is None:
        return OpeningHours()
    where = f"{source}: opening_hours"
    if not isinstance(raw, dict) or not raw:
        raise ProtocolError(f'{where}: name each open day, e.g. mon: "09:00-18:00" (other days are closed)')
    unknown = sorted(str(day) for day in raw if str(day).lower() not in DAYS)
    if unknown:
        raise ProtocolError(f"{where}: unknown day {unknown[0]!r} (use {', '.join(DAYS)})")
    days: list[Optional[tuple[time, time]]] = []
    for day in DAYS:
        value = next((v for k, v in raw.items() if str(k).lower() == day), None)
        if value is None or str(value).strip().lower() == "closed":
            days.append(None)
            continue
        start, dash, end = str(value).partition("-")
        if not dash:
            raise ProtocolError(f'{where}: {day}: use "HH:MM-HH:MM" or closed, not {value!r}')
        opens, closes = parse_clock(start.strip(), f"{where}: {day}"), parse_clock(end.strip(), f"{where}: {day}")
        if closes <= opens:
            raise ProtocolError(f"{where}: {day}: closes at {closes:%H:%M}, before it opens at {opens:%H:%M}")
        days.append((opens, closes))
    return OpeningHours(tuple(days))


def _build_quiet_hours(raw: Any, source: str) -> QuietHours:
    if raw is None:
        return QuietHours(time(21, 0), time(8, 0))
    if not isinstance(raw, dict):
        raise ProtocolError(f"{source}: 'quiet_hours:' needs 'start' and 'end'")
    where = f"{source}: quiet_hours"
    return QuietHours(parse_clock(raw.get("start"), where), parse_clock(raw.get("end"), where))
