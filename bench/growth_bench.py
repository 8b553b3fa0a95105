"""How a turn's cost grows: with the length of the conversation and the size of the database.

    .venv/bin/python -m bench.growth_bench [--turns 30]

The full SMS turn (signed webhook -> `rasa run` with the trained model -> action server ->
database -> reply received by the local Twilio-compatible server), one turn at a time,
clinic data and Rasa's tracker store on PostgreSQL (schemas of their own, dropped after).

1. Conversation length: one client's conversation is brought to about 1, 100 and 1,000
   earlier events by real turns, then `--turns` more are timed at each length.
2. Database size: 100, 10,000 and 100,000 clients (each with a treatment) in the clinic
   data; `--turns` turns of a client among them are timed, each in a fresh conversation.

Goal: the median turn flat within 2x across each row group. Results replace this
benchmark's section of bench/RESULTS.md.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
import uuid
from datetime import datetime, timedelta, timezone
from pathlib import Path

import requests
from sqlalchemy import create_engine, insert, select, text

from bench.sms_bench import machine, postgres_schema, write_section
from bot import identity
from bot.devtools import twilio_server
from bot.devtools.twilio_server import ACCOUNT_SID, FakeTwilio
from bot.store.models import Client, Clinic, Treatment, TreatmentStatus
from tests.fakes import sms_world

ROOT = Path(__file__).resolve().parent.parent
START, END = "<!-- growth_bench:start -->", "<!-- growth_bench:end -->"
WEBHOOK = "/webhooks/twilio/webhook"
CLINIC_NUMBER = "+12125550100"  # the demo clinic's number
QUESTIONS = ["can I wear makeup?", "when can I exercise?", "is peeling normal?", "can I take ibuprofen?"]


class Line:
    """Signed webhooks to one running assistant, timed."""

    def __init__(self, base_url: str, token: str) -> None:
        self.base_url, self.token = base_url, token
        self.http = requests.Session()
        self.n = 0

    def turn(self, phone: str) -> float:
        self.n += 1
        params = twilio_server.inbound_params(
            ACCOUNT_SID, f"SM{uuid.uuid4().hex}", phone, CLINIC_NUMBER, QUESTIONS[self.n % len(QUESTIONS)]
        )
        headers = {
            "X-Twilio-Signature": sms_world.sign(self.base_url + WEBHOOK, params, self.token),
            "Content-Type": twilio_server.FORM_TYPE,
        }
        began = time.monotonic()
        answer = self.http.post(
            self.base_url + WEBHOOK, data=twilio_server.form_body(params), headers=headers, timeout=30
        )
        if answer.status_code != 200:
            raise RuntimeError(f"webhook answered {answer.status_code}")
        return time.monotonic() - began


def events_of(tracker_url: str, phone: str) -> int:
    engine = create_engine(tracker_url)
    try:
        with engine.connect() as connection:
            return connection.execute(
                text("SELECT count(*) FROM events WHERE sender_id = :sender"),
                {"sender": identity.sms(phone, CLINIC_NUMBER)},
            ).scalar_one()
    finally:
        engine.dispose()


def add_clients(database_url: str, count: int, now: datetime) -> list[str]:
    """Bring the demo clinic to `count` clients, each treated yesterday (bulk inserts)."""
    engine = create_engine(database_url, future=True)
    try:
        with engine.begin() as connection:
            clinic_id = connection.execute(select(Clinic.id).where(Clinic.slug == "glow")).scalar_one()
            have = connection.execute(select(Client.phone).where(Client.clinic_id == clinic_id)).scalars().all()
            known = set(have)
            fresh = (f"+1347{n:07d}" for n in range(count * 2))
            missing = [p for p in fresh if p not in known][: max(count - len(have), 0)]
            for start in range(0, len(missing), 5000):
                chunk = missing[start : start + 5000]
                connection.execute(
                    insert(Client.__table__),
                    [
                        {"clinic_id": clinic_id, "name": "Client", "phone": p, "opted_out": False, "created_at": now}
                        for p in chunk
                    ],
                )
                ids = connection.execute(select(Client.id).where(Client.phone.in_(chunk))).scalars().all()
                connection.execute(
                    insert(Treatment.__table__),
                    [
                        {
                            "clinic_id": clinic_id,
                            "client_id": client_id,
                            "performed_at": now - timedelta(hours=20),
                            "area": "face",
                            "status": TreatmentStatus.done,
                            "created_at": now,
                        }
                        for client_id in ids
                    ],
                )
            connection.exec_driver_sql("ANALYZE")
            return connection.execute(select(Client.phone).where(Client.clinic_id == clinic_id)).scalars().all()
    finally:
        engine.dispose()


def summary(latencies: list[float]) -> dict:
    ordered = sorted(latencies)
    return {
        "p50": statistics.median(ordered),
        "p95": ordered[int(0.95 * (len(ordered) - 1))],
        "turns": len(ordered),
    }


def run(turns: int) -> tuple[list[tuple[str, dict]], list[tuple[str, dict]]]:
    from tests import assistant

    now = datetime.now(timezone.utc)
    with (
        postgres_schema() as database_url,
        postgres_schema() as tracker_url,
        FakeTwilio(status_callbacks=False) as twilio,
        tempfile.TemporaryDirectory() as data,
    ):
        env = {**twilio.env(), "DATABASE_URL": database_url, "RASA_TRACKER_STORE_URL": tracker_url}
        running = assistant.start(Path(data), extra_env=env)
        try:
            line = Line(running.base_url, twilio.auth_token)
            phones = add_clients(database_url, 100, now)
            length: list[tuple[str, dict]] = []
            phone = phones[0]
            for target in (1, 100, 1000):
                while events_of(tracker_url, phone) < target:
                    line.turn(phone)
                found = events_of(tracker_url, phone)
                print(f"  {found} earlier events: timing {turns} turns ...", flush=True)
                length.append((f"{found:,} earlier events", summary([line.turn(phone) for _ in range(turns)])))
            size: list[tuple[str, dict]] = []
            for count in (100, 10_000, 100_000):
                phones = add_clients(database_url, count, now)
                print(f"  {len(phones):,} clients: timing {turns} turns ...", flush=True)
                fresh = phones[-turns:]  # a client each, in a conversation of its own
                line.turn(phones[1])  # warm the caches after the inserts
                size.append((f"{len(phones):,} clients", summary([line.turn(p) for p in fresh])))
            return length, size
        finally:
            running.stop()


def section(length: list[tuple[str, dict]], size: list[tuple[str, dict]], when: str, load: float) -> str:
    lines = [
        START,
        "## How a turn's cost grows (`python -m bench.growth_bench`)",
        "",
        f"Run {when} on {machine()}, load average {load:.1f} at the start (the 2 cores are shared",
        "with other work: compare within a table, not across runs). Full SMS turns one at a time:",
        "signed webhook, `rasa run` with the trained model, action server, PostgreSQL for clinic",
        "data and the tracker store, reply received by the local Twilio-compatible server.",
        "",
        "| conversation length | turns timed | p50 | p95 | p50 vs the first row |",
        "|---|---:|---:|---:|---:|",
    ]
    base = length[0][1]["p50"]
    for label, r in length:
        lines.append(
            f"| {label} | {r['turns']} | {r['p50'] * 1000:.0f} ms | {r['p95'] * 1000:.0f} ms | {r['p50'] / base:.2f}x |"
        )
    lines += [
        "",
        "| clients in the database | turns timed | p50 | p95 | p50 vs the first row |",
        "|---|---:|---:|---:|---:|",
    ]
    base = size[0][1]["p50"]
    for label, r in size:
        lines.append(
            f"| {label} | {r['turns']} | {r['p50'] * 1000:.0f} ms | {r['p95'] * 1000:.0f} ms | {r['p50'] / base:.2f}x |"
        )
    lines.append(END)
    return "\n".join(lines) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(description="turn cost growth (see the module docstring)")
    parser.add_argument("--turns", type=int, default=30)
    parser.add_argument("--no-write", action="store_true")
    args = parser.parse_args()
    load = os.getloadavg()[0]
    length, size = run(args.turns)
    text_ = section(length, size, datetime.now().strftime("%Y-%m-%d"), load)
    print(text_)
    if not args.no_write:
        write_section(START, END, text_)
    worst = [group for group in (length, size) if max(r["p50"] for _, r in group) > 2 * min(r["p50"] for _, r in group)]
    if worst:
        print("goal missed: a turn's median is not flat within 2x (see above)", flush=True)


if __name__ == "__main__":
    sys.exit(main())
