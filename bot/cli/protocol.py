"""`aftercare protocol show|check`: a protocol as a readable timeline, a clinic file checked."""

from __future__ import annotations

from pathlib import Path
from typing import Iterable, Optional

import click

from bot import protocols
from bot.cli.common import read_protocol, unit_of_work
from bot.recovery.clock import recovery_day
from bot.recovery.protocol import Protocol, Topic, Window, format_hours, parse_yaml
from bot.store import queries


def span(window: Window) -> str:
    start = format_hours(window.start)
    return f"{start}+" if window.end is None else f"{start}-{format_hours(window.end)}"


def window_text(window: Window) -> str:
    refer = "[refer] " if window.refer else ""
    sources = f"  [{' '.join(window.sources)}]" if window.sources else ""
    return f"{refer}{window.guidance}{sources}"


def topic_name(topic: Topic) -> str:
    """The topic's name, marked with the extension it comes from: 'alcohol (+common-questions)'."""
    return f"{topic.name} (+{topic.origin})" if topic.origin else topic.name


def included_note(protocol: Protocol) -> list[str]:
    origins = sorted({topic.origin for topic in protocol.topics.values() if topic.origin})
    return [
        f"(+{origin}): added by the extension bot/protocols/examples/{origin}.yml (include: [{origin}])"
        for origin in origins
    ]


def _table(rows: Iterable[tuple[str, str, str]]) -> list[str]:
    rows = list(rows)
    if not rows:
        return []
    first = max(len(r[0]) for r in rows)
    second = max(len(r[1]) for r in rows)
    return [f"{a:<{first}}  {b:<{second}}  {c}" for a, b, c in rows]


def timeline(protocol: Protocol) -> list[str]:
    """Every topic's windows in order, then the follow-up texts and quiet hours."""
    lines = [protocol.name, ""]
    lines += _table(
        (topic_name(topic), span(window), window_text(window))
        for topic in protocol.topics.values()
        for window in topic.windows
    )
    notes = included_note(protocol)
    lines += [""] + notes if notes else []
    if protocol.sensations:
        lines += ["", "sensations (expected until; past it)"]
        lines += _table(
            (
                name,
                f"0h-{format_hours(s.until)}",
                f"{s.beyond}; answered as {s.topic}" + (f"  [{' '.join(s.sources)}]" if s.sources else ""),
            )
            for name, s in protocol.sensations.items()
        )
    if protocol.followups:
        lines += ["", "follow-ups"]
        lines += _table(
            (f"day {step.day}", step.at.strftime("%H:%M"), f"{step.key}: {step.text}") for step in protocol.followups
        )
    quiet = protocol.quiet_hours
    lines += ["", f"quiet hours  {quiet.start:%H:%M}-{quiet.end:%H:%M} (clinic local time)"]
    return lines


def at_hours(protocol: Protocol, hours: float) -> list[str]:
    """What applies to every topic `hours` after the treatment, and when it next changes."""
    lines = [f"{protocol.name}: {format_hours(hours)} after treatment (day {recovery_day(hours)})", ""]
    rows = []
    for topic in protocol.topics.values():
        window = topic.window_at(hours)
        if window is None:  # cannot happen: a topic's windows tile [0h, forever) (validated)
            continue
        upcoming = topic.next_window(hours)
        text = window_text(window)
        if upcoming is not None:
            text += f"  (from {format_hours(upcoming.start)}: {upcoming.summary or upcoming.guidance})"
        rows.append((topic_name(topic), span(window), text))
    notes = included_note(protocol)
    return lines + _table(rows) + ([""] + notes if notes else [])


@click.group()
def protocol() -> None:
    """Show and check aftercare protocols."""


@protocol.command("show")
@click.option("--clinic", "slug", default=None, help="Show this clinic's protocol instead of the default.")
@click.option(
    "--at-hours",
    "hours",
    type=click.FloatRange(min=0),
    default=None,
    help="Show only what applies N hours after the treatment.",
)
def show(slug: Optional[str], hours: Optional[float]) -> None:
    """Show a protocol as a timeline per topic: hours, guidance, [sources]."""
    if slug is None:
        chosen = protocols.default()
    else:
        with unit_of_work() as session:
            chosen = queries.clinic_by_slug(session, slug).protocol
    for line in timeline(chosen) if hours is None else at_hours(chosen, hours):
        click.echo(line)


@protocol.command("check")
@click.argument("protocol_file", metavar="FILE", type=click.Path(dir_okay=False, path_type=Path))
def check(protocol_file: Path) -> None:
    """Check a clinic's protocol override file (what `clinic add --protocol` takes)."""
    text = read_protocol(protocol_file)
    merged = protocols.for_clinic(text, source=str(protocol_file))
    raw = parse_yaml(text, str(protocol_file))
    changed = sorted(raw.get("topics") or {})
    topics = ", ".join(changed) if changed else "none"
    line = f"ok: {protocol_file} ({merged.name}); topics overridden: {topics}"
    for origin in raw.get("include") or []:
        added = [t.name for t in merged.topics.values() if t.origin == origin]
        line += f"; included {origin}: {', '.join(added) or 'nothing left after your own topics'}"
    click.echo(line)
