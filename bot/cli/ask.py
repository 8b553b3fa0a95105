"""`aftercare ask`: what a client would receive, as of a given time, with nothing else running.

Clinics use it to preview answers; it is also the black-box interface of the tests.
"""

from __future__ import annotations

import asyncio
import json
import sys
from datetime import datetime, timezone
from pathlib import Path
from typing import Optional, TextIO

import click

from bot import config, identity
from bot.cli.common import BadInput, database, fail, user_errors
from bot.identity import Channel, Sender
from bot.phones import normalize_phone
from bot.recovery.clock import elapsed_hours
from bot.services import correspondents
from bot.store.db import session_scope
from bot.store.models import Clinic
from bot.timeparse import parse_local_time


def _model_path() -> Path:
    settings = config.from_env()
    path = settings.model_path
    if path.is_dir():
        candidates = sorted(path.glob("*.tar.gz"), key=lambda p: p.stat().st_mtime)
        if not candidates:
            fail(f"no trained model in {path}: run `make train`")
        return candidates[-1]
    if not path.exists():
        fail(f"no trained model at {path}: run `make train`")
    return path


class Asker:
    """One loaded model, many independent one-message conversations."""

    def __init__(self, engine):
        from bot.preview import Preview  # imports Rasa: only when really asking

        self.engine = engine
        self.preview = Preview.load(_model_path())
        self.loop = asyncio.new_event_loop()

    def _sender_and_hours(self, phone: Optional[str], at_text: Optional[str]) -> tuple[str, datetime, Optional[float]]:
        with user_errors(), session_scope(self.engine) as session:
            e164 = normalize_phone(phone) if phone else None
            sender = Sender(Channel.sms, phone=e164) if e164 else Sender(Channel.anon)
            tz = correspondents.resolve(session, sender, datetime.now(timezone.utc)).card.tz
            now = parse_local_time(at_text, tz) if at_text else datetime.now(timezone.utc)
            found = correspondents.resolve(session, sender, now)
            hours = elapsed_hours(found.treated_at, now) if found.treated_at else None
            if e164:
                return identity.sms(e164), now, hours
            slug = session.get(Clinic, found.clinic_id).slug if found.clinic_id else None
            return identity.anonymous_sender_id(slug), now, hours

    def ask(self, phone: Optional[str], at_text: Optional[str], text: str) -> dict:
        sender_id, now, hours = self._sender_and_hours(phone, at_text)
        self.preview.forget()
        answer = self.loop.run_until_complete(self.preview.ask(sender_id, text, now))
        return {
            "intent": answer.intent,
            "confidence": round(answer.confidence, 4) if answer.confidence is not None else None,
            "recovery_hours": round(hours, 2) if hours is not None else None,
            "replies": answer.replies,
        }


def _batch(asker: Asker, lines: TextIO, out: TextIO) -> int:
    failures = 0
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        try:
            item = json.loads(line)
            if not isinstance(item, dict) or not isinstance(item.get("text"), str):
                raise ValueError("each line is an object with a 'text' string")
            result = asker.ask(item.get("phone"), item.get("at"), item["text"])
        except (ValueError, BadInput) as exc:
            failures += 1
            message = exc.message if isinstance(exc, BadInput) else str(exc)
            result = {"error": f"line {number}: {message}"}
        out.write(json.dumps(result, ensure_ascii=False) + "\n")
        out.flush()
    return failures


@click.command("ask")
@click.argument("message", required=False)
@click.option("--phone", help="The client's phone; without it, an anonymous visitor.")
@click.option("--at", "at_text", help="As of this time: clinic local 'YYYY-MM-DD HH:MM' or ISO 8601. Default: now.")
@click.option(
    "--json", "as_json", is_flag=True, help="Print one JSON object: intent, confidence, recovery_hours, replies."
)
@click.option(
    "--batch",
    "batch_file",
    type=click.File("r", encoding="utf-8"),
    help='A JSONL file of {"phone", "at", "text"}: one JSON answer a line, in order.',
)
def ask_command(
    message: Optional[str], phone: Optional[str], at_text: Optional[str], as_json: bool, batch_file: Optional[TextIO]
) -> None:
    """Show what a client would receive for MESSAGE, as of --at."""
    if batch_file is None and not message:
        fail("give a MESSAGE or --batch FILE")
    if phone:
        with user_errors():
            normalize_phone(phone)  # a bad number fails before the model loads
    with database() as engine:
        asker = Asker(engine)
        if batch_file is not None:
            failures = _batch(asker, batch_file, sys.stdout)
            sys.exit(1 if failures else 0)
        result = asker.ask(phone, at_text, message or "")
    if as_json:
        click.echo(json.dumps(result, ensure_ascii=False))
    else:
        click.echo("\n\n".join(result["replies"]))
