"""`aftercare insights` (a clinic's figures, as the console's Insights page shows them) and
`aftercare nlu export` (the review queue's verdicts as training data)."""

from __future__ import annotations

import json
from datetime import datetime, timezone
from pathlib import Path
from typing import Optional

import click

from bot.cli.common import fail, unit_of_work
from bot.config import PROJECT_ROOT
from bot.insights.figures import Figures
from bot.store import queries


def _percent(value: Optional[float]) -> str:
    return "n/a" if value is None else f"{value * 100:.1f}%"


def _minutes(value: Optional[float]) -> str:
    return "n/a" if value is None else f"{value:g} min"


def describe(figures: Figures) -> str:
    f = figures
    lines = [
        f"{f.clinic_name}: the {f.days} days {f.first_day} to {f.last_day}",
        f"conversations               {f.conversations}",
        f"client messages             {f.client_messages}",
        f"answered alone              {f.answered_alone} ({_percent(f.answered_alone_share)})",
        f"clarifications              {f.clarified} ({_percent(f.clarification_rate)} of client messages)",
        f"escalations                 {f.escalations_total} (median time to handled {_minutes(f.median_minutes_to_handled)})",
    ]
    lines += [
        f"  {e.label:<26}{e.count} ({e.handled} handled, median {_minutes(e.median_minutes_to_handled)})"
        for e in f.escalations
    ]
    u = f.followups
    lines += [
        f"follow-ups sent             {u.sent} (delivered {u.delivered}, failed {u.failed})",
        f"follow-ups replied to       {u.replied} ({_percent(u.reply_share)})",
        f"opt-outs                    {f.opt_outs}",
        "questions by topic (recovery days 0-14):",
    ]
    lines += [f"  {t.label:<26}{t.total}  " + " ".join(f"{n:>2}" for n in t.by_day) for t in f.topics]
    if f.questions_outside_days:
        lines.append(f"  (and {f.questions_outside_days} asked with no recovery day 0-14)")
    if f.not_understood:
        lines.append("most frequent messages not understood:")
        lines += [f"  {r.count:>3}  {r.text}" for r in f.not_understood]
    return "\n".join(lines)


@click.command("insights")
@click.option("--clinic", "slug", required=True, help="The clinic's slug.")
@click.option(
    "--days", type=click.IntRange(1, 366), default=30, show_default=True, help="The last N days (clinic time)."
)
@click.option("--until", "until", type=click.DateTime(["%Y-%m-%d"]), default=None, help="Last day (default: today).")
@click.option("--json", "as_json", is_flag=True, help="The figures as JSON.")
def insights_command(slug: str, days: int, until: Optional[datetime], as_json: bool) -> None:
    """A clinic's figures: what the assistant answered alone, escalations, follow-ups,
    questions by topic and recovery day; the console's Insights page in text."""
    from bot.services import insights

    with unit_of_work() as session:
        clinic = queries.clinic_by_slug(session, slug)
        now = datetime.now(timezone.utc)
        figures = insights.figures(session, clinic, days, now, until.date() if until else None)
    click.echo(json.dumps(figures.as_json(), indent=2) if as_json else describe(figures))


@click.group("nlu")
def nlu() -> None:
    """The assistant's training data: what staff taught it in the review queue."""


@nlu.command("export")
@click.option("--since", type=click.DateTime(["%Y-%m-%d"]), default=None, help="Verdicts given from this day (UTC) on.")
@click.option(
    "--data",
    "data_dir",
    type=click.Path(file_okay=False, exists=True, path_type=Path),
    default=PROJECT_ROOT / "data" / "nlu",
    show_default="data/nlu",
    help="The training data the examples must not repeat.",
)
@click.option(
    "--out",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="The file written (default: reviewed.yml in the data folder).",
)
def export(since: Optional[datetime], data_dir: Path, out: Optional[Path]) -> None:
    """Write the review queue's verdicts as Rasa NLU examples, personal data replaced by
    placeholders and without what the training data has already. Examples already in
    the file are kept. Read it, then commit it; `make train` trains on it."""
    from bot.services import nlu_export

    target = out or data_dir / nlu_export.DEFAULT_FILE
    start = since.replace(tzinfo=timezone.utc) if since else None
    with unit_of_work() as session:
        try:
            built = nlu_export.build(session, data_dir, target, start)
        except (OSError, ValueError) as exc:
            fail(f"cannot read the training data: {exc}")
    try:
        target.write_text(built.text, encoding="utf-8")
    except OSError as exc:
        fail(f"cannot write {target}: {exc.strerror or exc}")
    click.echo(f"{target}: {built.added} new examples, {built.known} already known, {built.examples} in the file")
