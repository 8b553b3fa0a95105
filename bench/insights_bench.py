"""Insights benchmark: a year of a busy clinic on PostgreSQL, the page served for real.

    .venv/bin/python -m bench.insights_bench [--clients 5000] [--messages 50000] [--no-write]

Seeds a fresh schema (postgresql://postgres@127.0.0.1:5432/test, or TEST_POSTGRES_URL)
with one clinic's year: clients with a conversation each, their messages (questions
with what the assistant read, its answers, follow-ups with delivery statuses, staff
replies), alerts (most handled) and opt-outs, bulk-inserted. Then an owner signs in to
the console served on 127.0.0.1 and the Insights page is fetched for 7, 30 and 90 days
(and the review queue), each several times: the median and worst wall times of the
whole request are reported. Results replace this benchmark's section of bench/RESULTS.md.
"""

from __future__ import annotations

import argparse
import os
import platform
import random
import statistics
import time
import uuid
from datetime import datetime, timedelta, timezone
from pathlib import Path

from sqlalchemy import insert

from bench.sms_bench import postgres_schema
from bot.store.conversation_models import Conversation, LoggedMessage
from bot.store.db import ensure_schema, session_scope
from bot.store.models import Alert, Client
from tests.console.console_world import PASSWORD, Seeded, running_console

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "bench" / "RESULTS.md"
START, END = "<!-- insights_bench:start -->", "<!-- insights_bench:end -->"
TOPICS = ["ask_makeup", "ask_sun", "ask_washing", "ask_redness_swelling", "ask_peeling", "ask_exercise", "ask_pain"]
RUNS = 7


def seed(engine, clients: int, messages: int, now: datetime) -> int:
    """The clinic's year; returns its id."""
    from bot.services import clinics
    from bot.services import staff as accounts
    from bot.store.staff_models import StaffRole

    rng = random.Random(18)
    with session_scope(engine) as db:
        clinic = clinics.add(db, "glow", "Glow Skin Studio", "+12125550100", "America/New_York")
        issued = accounts.add_staff(
            db, email="olivia@glow.example", name="Olivia Grant", role=StaffRole.owner, clinic_slug="glow", now=now
        )
        accounts.set_password(db, issued.token, PASSWORD, now)
        clinic_id = clinic.id
    year = timedelta(days=365)
    with engine.begin() as connection:
        connection.execute(
            insert(Client),
            [
                {
                    "clinic_id": clinic_id,
                    "name": f"Client {i}",
                    "phone": f"+1646{i:07d}",
                    "opted_out": i % 40 == 0,
                    "opted_out_at": now - rng.random() * year if i % 40 == 0 else None,
                    "created_at": now - year,
                }
                for i in range(clients)
            ],
        )
        client_ids = [row[0] for row in connection.exec_driver_sql("SELECT id FROM clients ORDER BY id")]
        connection.execute(
            insert(Conversation),
            [
                {
                    "clinic_id": clinic_id,
                    "client_id": cid,
                    "key": f"client:{cid}",
                    "channel": "sms",
                    "started_at": now - year,
                    "last_activity_at": now,
                }
                for cid in client_ids
            ],
        )
        talks = dict(connection.exec_driver_sql("SELECT client_id, id FROM conversations").all())
        rows = []
        alerts = []
        while len(rows) < messages:
            cid = rng.choice(client_ids)
            at = now - rng.random() * year
            hours = rng.random() * 24 * 20
            base = {"conversation_id": talks[cid], "clinic_id": clinic_id, "client_id": cid, "channel": "sms"}
            roll = rng.random()
            if roll < 0.2:
                rows.append(
                    {
                        **base,
                        "at": at,
                        "kind": "followup",
                        "body": "How is your skin today?",
                        "recovery_hours": hours,
                        "during_takeover": False,
                        "delivery_status": rng.choice(["delivered"] * 8 + ["undelivered", "sent"]),
                    }
                )
                continue
            clarified = roll > 0.93
            topic = rng.choice(TOPICS)
            rows.append(
                {
                    **base,
                    "at": at,
                    "kind": "client",
                    "body": "can i wear makeup tomorrow?",
                    "intent": "nlu_fallback" if clarified else topic,
                    "confidence": 0.3 if clarified else 0.5 + rng.random() / 2,
                    "topics": None if clarified else topic,
                    "action": "action_clarify" if clarified else "action_answer",
                    "recovery_hours": hours,
                    "during_takeover": False,
                }
            )
            rows.append(
                {
                    **base,
                    "at": at + timedelta(seconds=2),
                    "kind": "assistant",
                    "body": "An answer.",
                    "recovery_hours": hours,
                    "during_takeover": False,
                }
            )
            if rng.random() < 0.05:
                rows.append(
                    {
                        **base,
                        "at": at + timedelta(hours=1),
                        "kind": "staff",
                        "body": "Hi, it's Olivia.",
                        "during_takeover": False,
                    }
                )
            if rng.random() < 0.04:
                handled = at + timedelta(minutes=rng.randint(5, 300)) if rng.random() < 0.9 else None
                alerts.append(
                    {
                        "clinic_id": clinic_id,
                        "client_id": cid,
                        "conversation_id": talks[cid],
                        "kind": rng.choice(["red_flag", "human_request", "photo", "not_understood"]),
                        "message": "about it",
                        "created_at": at,
                        "handled_at": handled,
                        "text_wanted": False,
                    }
                )
        keys = {key for row in rows for key in row}
        uniform = [{key: row.get(key) for key in keys} for row in rows[:messages]]  # one statement shape
        connection.execute(insert(LoggedMessage), uniform)
        connection.execute(insert(Alert), [{**a, "handled_at": a["handled_at"]} for a in alerts])
        connection.exec_driver_sql("ANALYZE")
    return clinic_id


def timed(client, path: str) -> tuple[list[float], list[float]]:
    """Wall times of the request, and the CPU time this process (the console's server and
    the client fetching) spent on it: on a shared, loaded machine the wall time waits for
    the cores, the CPU time does not."""
    client.get(path)  # warm: templates compiled, connections open
    times, cpu = [], []
    for _ in range(RUNS):
        started, spent = time.perf_counter(), time.process_time()
        response = client.get(path)
        times.append(time.perf_counter() - started)
        cpu.append(time.process_time() - spent)
        assert response.status_code == 200, (path, response.status_code)
    return times, cpu


def run(clients: int, messages: int) -> dict:
    now = datetime.now(timezone.utc)
    with postgres_schema("bench_insights") as url:
        engine = ensure_schema(url)
        started = time.perf_counter()
        clinic_id = seed(engine, clients, messages, now)
        seeding = time.perf_counter() - started
        info = Seeded(clinic_id, 0, 0, 0, "", "olivia@glow.example", "", "")
        data = Path(os.environ.get("TMPDIR", "/tmp")) / f"insights-bench-{uuid.uuid4().hex[:8]}"
        with running_console(url, data, engine=engine, seeded=info) as console:
            client = console.client()
            assert client.sign_in("olivia@glow.example").status_code == 303
            results = {f"Insights, {days} days": timed(client, f"/insights?days={days}") for days in (7, 30, 90)}
            results["Review queue (90 days)"] = timed(client, "/review")
        engine.dispose()
    return {"seeding": seeding, "rows": results}


def report(clients: int, messages: int, outcome: dict) -> str:
    load = os.getloadavg()[0]
    lines = [
        START,
        "",
        "## Insights: a year of a busy clinic (`python -m bench.insights_bench`)",
        "",
        f"Run {datetime.now(timezone.utc):%Y-%m-%d} on {os.cpu_count()} cores, Python {platform.python_version()}, "
        f"load average {load:.1f} at the start. PostgreSQL on 127.0.0.1; one clinic with {clients:,} clients and "
        f"{messages:,} messages over 365 days (questions, answers, follow-ups, staff replies) and their alerts. "
        f"The console served on 127.0.0.1; each page fetched {RUNS} times by a signed-in owner, whole request "
        "timed (sign-in check, queries, figures, SVG, template). Goal: under a second.",
        "",
        "| page | median | worst | CPU of the console's process, median |",
        "|---|---:|---:|---:|",
    ]
    for name, (times, cpu) in outcome["rows"].items():
        lines.append(
            f"| {name} | {statistics.median(times) * 1000:.0f} ms | {max(times) * 1000:.0f} ms "
            f"| {statistics.median(cpu) * 1000:.0f} ms |"
        )
    lines += ["", END]
    return "\n".join(lines) + "\n"


def write_results(text: str) -> None:
    current = RESULTS.read_text() if RESULTS.exists() else "# Benchmark results\n"
    if START in current and END in current:
        before, rest = current.split(START, 1)
        after = rest.split(END, 1)[1].lstrip("\n")
        current = before + text + ("\n" + after if after else "")
    else:
        current = current.rstrip("\n") + "\n\n" + text
    RESULTS.write_text(current)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clients", type=int, default=5000)
    parser.add_argument("--messages", type=int, default=50000)
    parser.add_argument("--no-write", action="store_true", help="print only; leave bench/RESULTS.md alone")
    args = parser.parse_args()
    outcome = run(args.clients, args.messages)
    text = report(args.clients, args.messages, outcome)
    print(text)
    print(f"(seeding took {outcome['seeding']:.1f} s)")
    if not args.no_write:
        write_results(text)


if __name__ == "__main__":
    main()
