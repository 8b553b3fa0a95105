"""SMS benchmark: follow-up dispatch and inbound turns, against the local fake Twilio server.

    .venv/bin/python -m bench.sms_bench [--messages 10000] [--turns 200]

1. Dispatch: 10,000 due follow-ups on PostgreSQL (postgresql://postgres@127.0.0.1:5432/test,
   or TEST_POSTGRES_URL; a fresh schema per run), sent by 1 and then by 4
   `aftercare followups run --once` processes. Messages per second are counted from the
   first to the last message the server received (process start-up excluded; the wall
   time including it is shown too). Then with the fake API taking 200 ms per send, as
   Twilio's does: 2,000 by 1 worker sending one at a time (as workers did before they
   sent concurrently), and 10,000 by 4 workers sending 16 at a time each (goal: under
   60 s of wall time). Duplicates and lost must all be 0.
2. Inbound: signed SMS webhooks with Twilio's full parameter set, 4 at a time, each a full
   turn answered through the REST API, whose status callbacks (sent, delivered) come back
   to the same server. With models/aftercare.tar.gz, through `rasa run` with the trained model and the
   action server (what production runs); the channel alone (a stub assistant) is
   measured either way, and the output says which is which.

Results replace this benchmark's section of bench/RESULTS.md.
"""

from __future__ import annotations

import argparse
import os
import platform
import resource
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Iterator

import requests
from sqlalchemy import create_engine, select
from sqlalchemy.engine import make_url

from bot.devtools import twilio_server
from bot.devtools.twilio_server import ACCOUNT_SID, FakeTwilio
from bot.store.db import ensure_schema, session_scope
from bot.store.messaging_models import FollowUp, JobStatus
from tests.fakes import sms_world

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "bench" / "RESULTS.md"
MODEL = ROOT / "models" / "aftercare.tar.gz"
POSTGRES_URL = os.environ.get("TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/test")
START, END = "<!-- sms_bench:start -->", "<!-- sms_bench:end -->"
WEBHOOK = "/webhooks/twilio/webhook"
FALLBACK = "Thanks, we'll get back to you shortly."  # what a client gets when the assistant fails


@contextmanager
def postgres_schema(prefix: str = "bench_sms") -> Iterator[str]:
    """A PostgreSQL schema of its own for one run, dropped afterwards: its database URL."""
    admin = create_engine(POSTGRES_URL, future=True, isolation_level="AUTOCOMMIT")
    schema = f"{prefix}_{uuid.uuid4().hex[:12]}"
    with admin.connect() as connection:
        connection.exec_driver_sql(f'CREATE SCHEMA "{schema}"')
    try:
        yield make_url(POSTGRES_URL).update_query_dict({"options": f"-csearch_path={schema}"}).render_as_string(False)
    finally:
        with admin.connect() as connection:
            connection.exec_driver_sql(f'DROP SCHEMA "{schema}" CASCADE')
        admin.dispose()


def dispatch(messages: int, workers: int, latency: float = 0.0, batch: int = 50, concurrency: int = 16) -> dict:
    # No server takes status callbacks here: the worker alone is measured.
    with (
        postgres_schema() as url,
        FakeTwilio(delay=latency, status_callbacks=False) as twilio,
        tempfile.TemporaryDirectory() as data,
    ):
        engine = ensure_schema(url)
        sms_world.seed_due_followups(engine, messages, datetime.now(timezone.utc))
        stamps: list[float] = []
        twilio.on_message = lambda message: stamps.append(time.monotonic())
        env = {
            **os.environ,
            **twilio.env(),
            "DATABASE_URL": url,
            "AFTERCARE_DATA_DIR": data,
            "AFTERCARE_LINK_SECRET": sms_world.LINK_SECRET,
            "PUBLIC_URL": sms_world.PUBLIC_URL,
        }
        command = [sys.executable, "-m", "bot", "followups", "run", "--once", "--batch", str(batch)]
        command += ["--concurrency", str(concurrency)]
        started = time.monotonic()
        cpu_before = resource.getrusage(resource.RUSAGE_CHILDREN)
        processes = [
            subprocess.Popen(command, env=env, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
            for _ in range(workers)
        ]
        outputs = [p.communicate(timeout=3600)[0] for p in processes]
        wall = time.monotonic() - started
        cpu_after = resource.getrusage(resource.RUSAGE_CHILDREN)
        worker_cpu = (cpu_after.ru_utime + cpu_after.ru_stime) - (cpu_before.ru_utime + cpu_before.ru_stime)
        failed = [out[-2000:] for p, out in zip(processes, outputs, strict=True) if p.returncode != 0]
        if failed:
            raise RuntimeError("a worker failed:\n" + "\n".join(failed))
        bodies = Counter(twilio.bodies())
        with session_scope(engine) as session:
            unsent = session.scalar(select(FollowUp.id).where(FollowUp.status != JobStatus.sent).limit(1))
            rows_sent = len(session.scalars(select(FollowUp.id).where(FollowUp.status == JobStatus.sent)).all())
        engine.dispose()
        span = max(stamps[-1] - stamps[0], 1e-9) if len(stamps) > 1 else float("nan")
        return {
            "workers": workers,
            "concurrency": concurrency,
            "latency": latency,
            "messages": messages,
            "per_second": messages / span,
            "wall": wall,
            "worker_cpu_ms": 1000 * worker_cpu / messages,  # CPU the workers used per message
            "duplicates": sum(bodies.values()) - len(bodies),
            "lost": messages - len(bodies),
            "rows_not_sent": messages - rows_sent if unsent is not None else 0,
        }


def signed_posts(
    base_url: str, public_url: str, token: str, senders: list[str], to: str, turns: int, concurrency: int = 4
) -> dict:
    """Post `turns` signed webhooks, `concurrency` at a time; turns/s and latencies."""
    questions = ["can I wear makeup?", "when can I exercise?", "is peeling normal?", "can I take ibuprofen?"]
    validator_url = public_url + WEBHOOK
    session_local = threading.local()

    def one(n: int) -> float:
        http = getattr(session_local, "http", None) or requests.Session()
        session_local.http = http
        params = twilio_server.inbound_params(
            ACCOUNT_SID, f"SM{uuid.uuid4().hex}", senders[n % len(senders)], to, questions[n % len(questions)]
        )
        headers = {
            "X-Twilio-Signature": sms_world.sign(validator_url, params, token),
            "Content-Type": twilio_server.FORM_TYPE,
        }
        began = time.monotonic()
        answer = http.post(base_url + WEBHOOK, data=twilio_server.form_body(params), headers=headers, timeout=30)
        if answer.status_code != 200:
            raise RuntimeError(f"webhook answered {answer.status_code}")
        return time.monotonic() - began

    started = time.monotonic()
    with ThreadPoolExecutor(concurrency) as pool:
        latencies = sorted(pool.map(one, range(turns)))
    elapsed = time.monotonic() - started
    return {
        "turns": turns,
        "per_second": turns / elapsed,
        "p50": statistics.median(latencies),
        "p95": latencies[int(0.95 * (len(latencies) - 1))],
    }


def inbound_channel_alone(turns: int) -> dict:
    """The signed channel with a stub assistant, served in this process (SQLite store)."""
    from bot.channels.twilio import SignedTwilioInput
    from tests.fakes.sanic_server import Recorder, channel_app, serving

    with FakeTwilio() as twilio, tempfile.TemporaryDirectory() as data:
        url = f"sqlite:///{Path(data) / 'bench.db'}"
        engine = ensure_schema(url)
        now = datetime.now(timezone.utc)
        senders = [f"+1646555{n:04d}" for n in range(8)]
        with session_scope(engine) as session:
            clinic = sms_world.add_clinic(session)
            for phone in senders:
                sms_world.add_treatment(
                    session, sms_world.add_client(session, clinic, phone), now - timedelta(hours=6), now
                )
        settings = sms_world.make_settings(url, Path(data), twilio)
        channel = SignedTwilioInput(settings=settings, engine=engine)
        with serving(channel_app(channel, Recorder())) as base:
            twilio.proxies[settings.public_url] = base  # its status callbacks reach the channel, as in production
            result = signed_posts(base, settings.public_url, twilio.auth_token, senders, sms_world.CLINIC_SMS, turns)
            twilio.settle()
        result["replies"] = len(twilio.messages)
        result["fallbacks"] = twilio.bodies().count(FALLBACK)
        engine.dispose()
        return result


def inbound_with_assistant(turns: int) -> dict:
    """`rasa run` with the trained model, the action server and our channel."""
    from tests import assistant

    with FakeTwilio() as twilio, tempfile.TemporaryDirectory() as data:
        running = assistant.start(Path(data), extra_env=twilio.env())
        try:
            senders = ["+12125550123"] + [f"+1646555{n:04d}" for n in range(7)]
            aftercare = str(Path(sys.executable).with_name("aftercare"))
            at = (datetime.now(timezone.utc) - timedelta(hours=20)).isoformat(timespec="minutes")
            for n, phone in enumerate(senders[1:]):
                for args in (
                    ["client", "add", "--clinic", "glow", "--name", f"Client {n}", "--phone", phone],
                    ["treatment", "add", "--phone", phone, "--at", at],
                ):
                    subprocess.run([aftercare, *args], env=running.env, cwd=ROOT, check=True, capture_output=True)
            signed_posts(running.base_url, running.base_url, twilio.auth_token, senders, "+12125550100", 8)  # warm up
            before = len(twilio.messages)
            result = signed_posts(running.base_url, running.base_url, twilio.auth_token, senders, "+12125550100", turns)
            result["replies"] = len(twilio.messages) - before
            result["fallbacks"] = twilio.bodies()[before:].count(FALLBACK)
            return result
        finally:
            running.stop()


def machine() -> str:
    model = next(
        (
            line.split(":", 1)[1].strip()
            for line in Path("/proc/cpuinfo").read_text().splitlines()
            if line.startswith("model name")
        ),
        platform.processor() or "unknown CPU",
    )
    return f"{os.cpu_count()} cores ({model}), Python {platform.python_version()}, {platform.system()}"


def section(dispatches: list[dict], inbound: list[tuple[str, dict]], when: str, load: float) -> str:
    lines = [
        START,
        "## SMS: follow-up dispatch and inbound turns (`python -m bench.sms_bench`)",
        "",
        f"Run {when} on {machine()}, load average {load:.1f} at the start.",
        "Local fake Twilio server (bot/devtools/twilio_server.py) on 127.0.0.1;",
        "PostgreSQL on 127.0.0.1. Dispatch rate counts from the first to the last message the server",
        "received; wall time includes starting the worker processes. With an API that answers at",
        "once, dispatch is bound by CPU and PostgreSQL, all on the same 2 cores as the fake server;",
        "with an API that takes as long as Twilio's does (200 ms here), a worker sending one text at",
        "a time mostly waits, and sending a batch concurrently (16 at a time per worker) overlaps",
        "the waits. Goal: 10,000 follow-ups by 4 workers with the API answering in 200 ms in under",
        "60 s of wall time. Twilio itself queues texts beyond a number's sending rate.",
        "",
        "| follow-up dispatch | messages | messages/s | wall time | workers' CPU per message | duplicates | lost |",
        "|---|---:|---:|---:|---:|---:|---:|",
    ]
    for d in dispatches:
        api = f", API answering in {d['latency'] * 1000:.0f} ms" if d["latency"] else ""
        at_once = "one at a time" if d["concurrency"] == 1 else f"{d['concurrency']} at a time each"
        lines.append(
            f"| {d['workers']} worker{'s' if d['workers'] > 1 else ''} ({at_once}), PostgreSQL{api} | {d['messages']:,} | "
            f"{d['per_second']:.0f} | {d['wall']:.1f} s | {d['worker_cpu_ms']:.1f} ms | {d['duplicates']} | {d['lost']} |"
        )
    lines += [
        "",
        "| inbound SMS (signed webhook, 4 at a time) | turns | turns/s | p50 | p95 | texts sent | fallbacks |",
        "|---|---:|---:|---:|---:|---:|---:|",
    ]
    for label, r in inbound:
        lines.append(
            f"| {label} | {r['turns']} | {r['per_second']:.1f} | {r['p50'] * 1000:.0f} ms | "
            f"{r['p95'] * 1000:.0f} ms | {r['replies']} | {r['fallbacks']} |"
        )
    lines += [
        "",
        "Texts sent counts SMS parts (a long answer is split); fallbacks are turns the assistant",
        'did not answer in time (the client got "we\'ll get back to you"): they must be 0.',
    ]
    lines.append(END)
    return "\n".join(lines) + "\n"


def write_section(start: str, end: str, text: str) -> None:
    """Replace one benchmark's section of bench/RESULTS.md (or add it at the end)."""
    current = RESULTS.read_text() if RESULTS.exists() else "# Benchmark results\n"
    if start in current and end in current:
        before, rest = current.split(start, 1)
        after = rest.split(end, 1)[1].lstrip("\n")
        current = before + text + ("\n" + after if after else "")
    else:
        current = current.rstrip("\n") + "\n\n" + text
    RESULTS.write_text(current)


def write_results(text: str) -> None:
    write_section(START, END, text)


def main() -> None:
    parser = argparse.ArgumentParser(description="SMS benchmark (see the module docstring)")
    parser.add_argument("--messages", type=int, default=10_000)
    parser.add_argument("--turns", type=int, default=200)
    parser.add_argument(
        "--latency-messages", type=int, default=1_000, help="messages for the one-at-a-time run with latency"
    )
    parser.add_argument("--latency", type=float, default=0.2, help="seconds the fake API takes per send")
    parser.add_argument("--no-write", action="store_true", help="print only; leave bench/RESULTS.md alone")
    args = parser.parse_args()

    load = os.getloadavg()[0]  # other work on the machine skews every number below
    dispatches = []
    for workers in (1, 4):
        print(f"dispatching {args.messages:,} follow-ups with {workers} worker(s) ...", flush=True)
        result = dispatch(args.messages, workers)
        print(
            f"  {result['per_second']:.0f} messages/s, {result['wall']:.1f} s wall, "
            f"duplicates {result['duplicates']}, lost {result['lost']}",
            flush=True,
        )
        dispatches.append(result)
    for workers, messages, concurrency in ((1, args.latency_messages, 1), (4, args.messages, 16)):
        print(
            f"dispatching {messages:,} follow-ups with {workers} worker(s), {concurrency} at a time, "
            f"API latency {args.latency * 1000:.0f} ms ...",
            flush=True,
        )
        result = dispatch(messages, workers, latency=args.latency, concurrency=concurrency)
        print(
            f"  {result['per_second']:.0f} messages/s, {result['wall']:.1f} s wall, "
            f"duplicates {result['duplicates']}, lost {result['lost']}",
            flush=True,
        )
        dispatches.append(result)

    inbound = []
    print("inbound turns through the signed channel, stub assistant (the channel alone) ...", flush=True)
    inbound.append(("channel alone (stub assistant), SQLite", inbound_channel_alone(args.turns * 2)))
    if MODEL.exists():
        print("inbound turns through `rasa run` with the trained model ...", flush=True)
        inbound.append(("trained agent (`rasa run` + actions), SQLite", inbound_with_assistant(args.turns)))
    else:
        print(f"no {MODEL.relative_to(ROOT)}: measured the channel alone, without the trained agent", flush=True)
    for label, r in inbound:
        print(
            f"  {label}: {r['per_second']:.1f} turns/s, p50 {r['p50'] * 1000:.0f} ms, p95 {r['p95'] * 1000:.0f} ms",
            flush=True,
        )

    text = section(dispatches, inbound, datetime.now().strftime("%Y-%m-%d"), load)
    print(text)
    if not args.no_write:
        write_results(text)
        print(f"written to {RESULTS.relative_to(ROOT)}")
    bad = [d for d in dispatches if d["duplicates"] or d["lost"] or d["rows_not_sent"]]
    slow = [d for d in dispatches if d["latency"] and d["workers"] == 4 and d["wall"] >= 60]
    if slow:
        print("goal missed: 10,000 follow-ups by 4 workers took 60 s or more", flush=True)
    if bad:
        sys.exit("duplicates or lost messages: see above")


if __name__ == "__main__":
    main()
