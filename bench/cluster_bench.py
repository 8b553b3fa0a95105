"""The cluster under load and faults: Locust against `make cluster`'s topology.

    .venv/bin/python -m bench.cluster_bench [--users 200] [--seconds 300] [--no-faults]

nginx in front of two nodes (Rasa server + action server + worker + console each),
PostgreSQL (a database of this run's own, dropped after) and a Redis server of the
cluster's own. The Twilio-compatible server (bot/devtools/twilio_server.py) runs here and
calls the delivery reports back through nginx. Clients of three clinics in three time
zones: some text (signed webhooks), some use the chat widget (their signed link), some
are unknown numbers that go through the date flow first. Each client's treatment is at
a minute of its own, so a reply that names the treatment's local time proves it was
answered for the right client of the right clinic.

Faults while the load runs (unless --no-faults): kill -9 one Rasa server (its node's
supervisor brings it back), one webhook sent straight to a Rasa server that is killed
mid-turn and retried through nginx, kill -9 an action server and a worker, a restart of
the cluster's Redis, and PostgreSQL's connections to this run's database cut.

Afterwards every request is checked: each SMS has exactly one reply (its parts), sent to
the client from the number they texted, naming their treatment's time (or the "we'll get
back to you" text with a staff alert); each chat message got its reply in the response;
no follow-up went out twice or was left behind. The table replaces this benchmark's
section of bench/RESULTS.md. tests/e2e/test_cluster.py runs a short version.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import signal
import statistics
import subprocess
import sys
import threading
import time
import uuid
from collections import Counter, defaultdict
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Iterator, Optional
from zoneinfo import ZoneInfo

import requests
from sqlalchemy import create_engine, select
from sqlalchemy.engine import make_url

from bot import config, links
from bot.devtools import cluster as topology
from bot.devtools import twilio_server
from bot.devtools.twilio_server import ACCOUNT_SID, FakeTwilio
from bot.services import clients as client_service
from bot.services import clinics, treatments
from bot.store.db import ensure_schema, session_scope
from bot.store.messaging_models import Direction, FollowUp, JobStatus, SmsMessage
from bot.store.models import Alert

ROOT = Path(__file__).resolve().parent.parent
LOCUST = ROOT / ".build" / "locust" / "bin" / "locust"
LOCUSTFILE = ROOT / "bench" / "cluster" / "locustfile.py"
POSTGRES_URL = os.environ.get("TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/test")
START, END = "<!-- cluster_bench:start -->", "<!-- cluster_bench:end -->"
FALLBACK = "Thanks, we'll get back to you shortly."
QUESTIONS = [
    "can I wear makeup yet?",
    "when can I go to the gym?",
    "is it normal that my skin is peeling?",
    "can I wash my face tonight?",
    "when can I use retinol again?",
    "is it ok to go in the sun?",
    "my face is red, is that normal?",
]
DATE_FLOW = ["can I wear makeup yet?", "yesterday at 3pm", "yes"]
CLINICS = (
    ("north", "North Skin Studio", "America/Chicago", "+13125550100", "+13125550199"),
    ("west", "West Skin Studio", "America/Los_Angeles", "+14155550100", "+14155550199"),
    ("east", "East Skin Studio", "America/New_York", "+12125550100", "+12125550199"),
)


@dataclass
class Plan:
    clients: list[dict]
    public_url: str
    auth_token: str
    think: tuple[float, float]

    def write(self, path: Path) -> None:
        path.write_text(
            json.dumps(
                {
                    "clients": self.clients,
                    "public_url": self.public_url,
                    "auth_token": self.auth_token,
                    "account_sid": ACCOUNT_SID,
                    "questions": QUESTIONS,
                    "date_flow": DATE_FLOW,
                    "think_min": self.think[0],
                    "think_max": self.think[1],
                }
            )
        )


def clock_text(moment: datetime) -> str:
    """A time as the assistant writes it: 3:07 pm."""
    return f"{int(moment.strftime('%I'))}:{moment.strftime('%M')} {moment.strftime('%p').lower()}"


def seed(settings: config.Settings, count: int, unknown: int, now: datetime) -> list[dict]:
    """Clinics and clients; each known client's treatment at a minute of its own."""
    engine = ensure_schema(settings.database_url)
    secret = links.secret_for(settings)
    plan: list[dict] = []
    with session_scope(engine) as session:
        made = [clinics.add(session, slug, name, phone, tz, None, None, sms) for slug, name, tz, phone, sms in CLINICS]
        for n in range(count):
            clinic = made[n % len(made)]
            slug, _, tz, _, sms = CLINICS[n % len(made)]
            phone = f"+1{('646', '347', '917')[n // 100]}555{100 + n % 100:04d}"  # valid, fictional (555-01xx)
            if n < unknown:  # a number the clinic does not know: the date flow first
                plan.append(
                    {
                        "key": f"u{n}",
                        "phone": phone,
                        "clinic": slug,
                        "clinic_number": sms,
                        "channel": "sms",
                        "unknown": True,
                        "marker": None,
                    }
                )
                continue
            client = client_service.add(session, clinic, f"Client {n}", phone)
            treated = (now - timedelta(hours=20, minutes=7 * n)).replace(second=0, microsecond=0)
            treatments.add(session, client, treated, status="done", now=now)
            session.flush()
            channel = "web" if n % 3 == 0 else "sms"
            token = links.issue_link_token(secret, client.id, slug, now, 1) if channel == "web" else None
            plan.append(
                {
                    "key": f"c{n}",
                    "phone": phone,
                    "clinic": slug,
                    "clinic_number": sms,
                    "channel": channel,
                    "unknown": False,
                    "token": token,
                    "marker": clock_text(treated.astimezone(ZoneInfo(tz))),
                }
            )
    engine.dispose()
    return plan


@contextmanager
def own_database() -> Iterator[str]:
    """A PostgreSQL database of this run's own (its connections can be cut without
    touching anyone else's), dropped afterwards."""
    name = f"aftercare_load_{uuid.uuid4().hex[:10]}"
    admin = create_engine(POSTGRES_URL, isolation_level="AUTOCOMMIT", future=True)
    with admin.connect() as connection:
        connection.exec_driver_sql(f'CREATE DATABASE "{name}"')
    try:
        yield make_url(POSTGRES_URL).set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as connection:
            connection.exec_driver_sql(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = %(name)s", {"name": name}
            )
            connection.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}"')
        admin.dispose()


def cut_connections(database: str) -> int:
    """Terminate every connection to this run's database (and no other)."""
    admin = create_engine(POSTGRES_URL, isolation_level="AUTOCOMMIT", future=True)
    try:
        with admin.connect() as connection:
            return len(
                connection.exec_driver_sql(
                    "SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
                    " WHERE datname = %(name)s AND pid <> pg_backend_pid()",
                    {"name": database},
                ).all()
            )
    finally:
        admin.dispose()


def kill(pid_file: Path) -> Optional[int]:
    try:
        pid = int(pid_file.read_text())
        os.kill(pid, signal.SIGKILL)
        return pid
    except (OSError, ValueError):
        return None


@dataclass
class Faults:
    cluster: topology.Layout
    database: str
    plan: Plan
    log: list[str] = field(default_factory=list)
    retried: list[dict] = field(default_factory=list)  # the webhooks retried after a crash

    def note(self, started: float, what: str) -> None:
        self.log.append(f"{time.monotonic() - started:5.0f} s  {what}")
        print(f"fault: {self.log[-1]}", flush=True)

    def crash_mid_turn_and_retry(self, started: float) -> None:
        """A webhook straight to node1's Rasa server, which is killed while answering it;
        then Twilio's retry through nginx (its fallback URL would do the same)."""
        node = self.cluster.nodes[0]
        client = next(c for c in self.plan.clients if c["channel"] == "sms" and not c["unknown"])
        sid = "SM" + uuid.uuid4().hex
        params = twilio_server.inbound_params(ACCOUNT_SID, sid, client["phone"], client["clinic_number"], QUESTIONS[0])
        url = self.plan.public_url + "/webhooks/twilio/webhook"
        headers = {
            "X-Twilio-Signature": twilio_server.signature(url, params, self.plan.auth_token),
            "Content-Type": twilio_server.FORM_TYPE,
        }
        body = twilio_server.form_body(params)

        def first() -> None:
            with contextlib.suppress(requests.RequestException):  # the server dies under it
                requests.post(
                    f"http://127.0.0.1:{node.rasa_port}/webhooks/twilio/webhook", data=body, headers=headers, timeout=20
                )

        thread = threading.Thread(target=first)
        thread.start()
        time.sleep(0.4)  # mid-turn: the text is claimed, the assistant is thinking
        pid = kill(node.pid_file("rasa"))
        thread.join(30)
        self.note(started, f"kill -9 Rasa server of {node.name} (pid {pid}) mid-turn")
        answer = requests.post(
            url.replace(self.plan.public_url, self.cluster.public_url), data=body, headers=headers, timeout=30
        )
        self.retried.append(
            {"sid": sid, "phone": client["phone"], "marker": client["marker"], "status": answer.status_code}
        )
        self.note(started, f"the webhook retried through nginx: HTTP {answer.status_code}")

    def run(self, seconds: float, started: float, stop: threading.Event, only_rasa: bool = False) -> None:
        steps = [
            (0.2, self.crash_mid_turn_and_retry),
            (
                0.4,
                lambda s: self.note(
                    s, f"kill -9 action server of node2 (pid {kill(self.cluster.nodes[1].pid_file('actions'))})"
                ),
            ),
            (
                0.45,
                lambda s: self.note(
                    s, f"kill -9 worker of node1 (pid {kill(self.cluster.nodes[0].pid_file('follow-ups'))})"
                ),
            ),
            (
                0.6,
                lambda s: self.note(
                    s,
                    f"Redis of the cluster killed (pid {kill(Path(self.cluster.directory) / 'pids' / 'redis.pid')}), restarted by the supervisor",
                ),
            ),
            (
                0.75,
                lambda s: self.note(
                    s, f"PostgreSQL: {cut_connections(self.database)} connections to this run's database cut"
                ),
            ),
        ]
        if only_rasa:
            steps = steps[:1]
        for at, step in steps:
            if stop.wait(max(started + at * seconds - time.monotonic(), 0)):
                return
            try:
                step(started)
            except Exception as exc:  # a fault that could not be made is reported, not hidden
                self.note(started, f"fault failed: {exc!r}")


def warm_up(cluster: topology.Layout, plan: Plan) -> None:
    """One chat message to each Rasa server first: a server's first turns load what its
    model loads lazily, as production's first minutes of traffic would."""
    client = next(c for c in plan.clients if c["channel"] == "web")
    for node in cluster.nodes:
        body = {"clinic": client["clinic"], "token": client["token"], "message": QUESTIONS[0]}
        with contextlib.suppress(requests.RequestException):
            requests.post(f"http://127.0.0.1:{node.rasa_port}/webhooks/web/webhook", json=body, timeout=60)


def percentiles(values: list[float]) -> dict:
    if not values:
        return {"p50": float("nan"), "p95": float("nan"), "p99": float("nan")}
    ordered = sorted(values)

    def at(q: float) -> float:
        return ordered[min(int(q * len(ordered)), len(ordered) - 1)]

    return {"p50": statistics.median(ordered), "p95": at(0.95), "p99": at(0.99)}


def check(requests_log: list[dict], plan: Plan, database_url: str, twilio: FakeTwilio, retried: list[dict]) -> dict:
    """Every reply: right client, right clinic, none lost, none doubled."""
    by_key = {c["key"]: c for c in plan.clients}
    engine = create_engine(database_url, future=True)
    with session_scope(engine) as session:
        rows = session.scalars(select(SmsMessage)).all()
        followups = session.scalars(select(FollowUp)).all()
        alerts = session.scalars(select(Alert)).all()
        outbound = defaultdict(list)
        inbound = {}
        for row in rows:
            if row.direction is Direction.outbound and row.in_reply_to:
                outbound[row.in_reply_to].append(row)
            elif row.direction is Direction.inbound:
                inbound[row.sid] = row
    engine.dispose()
    at_twilio = {m["sid"]: m for m in twilio.messages}
    problems: list[str] = []
    counts = Counter()
    sms = [r for r in requests_log if r["channel"] == "sms"]
    sms_checks = [(r["sid"], by_key[r["who"]], r["kind"], r["status"]) for r in sms]
    sms_checks += [
        (r["sid"], next(c for c in plan.clients if c["phone"] == r["phone"]), "retried", r["status"]) for r in retried
    ]
    for sid, client, kind, status in sms_checks:
        replies = [row for row in outbound.get(sid, []) if row.status != "failed"]
        sent = [at_twilio.get(row.sid) for row in replies]
        if not replies or any(m is None for m in sent):
            counts["sms lost"] += 1
            problems.append(f"no reply to {sid} ({kind}, HTTP {status})")
            continue
        bodies = [m["body"] for m in sent if m]
        parts = Counter(body.split(" ", 1)[0] if body.startswith("(") else "whole" for body in bodies)
        if any(n > 1 for n in parts.values()):
            counts["sms doubled"] += 1
            problems.append(f"{sid} answered twice: {bodies}")
        if any(m["to"] != client["phone"] or m["from"] != client["clinic_number"] for m in sent if m):
            counts["sms wrong client"] += 1
            problems.append(f"{sid}: a reply to the wrong number")
        text = " ".join(bodies)
        if FALLBACK in text:
            counts["sms fallback"] += 1
        elif kind in ("topic", "retried") and client["marker"] and client["marker"] not in text:
            counts["sms wrong client"] += 1
            problems.append(f"{sid}: the reply does not name {client['marker']}: {text[:120]}")
        if inbound.get(sid) is None or inbound[sid].status != "answered":
            counts["sms not marked answered"] += 1
    for r in requests_log:
        if r["channel"] != "web":
            continue
        client = by_key[r["who"]]
        text = " ".join(r.get("replies") or [])
        if r["status"] != 200 or not text:
            counts["web lost"] += 1
            problems.append(f"web message of {r['who']} got HTTP {r['status']}")
        elif r["kind"] == "topic" and client["marker"] not in text:
            counts["web wrong client"] += 1
            problems.append(f"web reply to {r['who']} does not name {client['marker']}: {text[:120]}")
    # Follow-ups: each sent once, none left due.
    now = datetime.now(timezone.utc)
    sent_followups = [f for f in followups if f.status is JobStatus.sent]
    texts = Counter((m["to"], m["body"]) for m in twilio.messages)
    counts["follow-ups sent"] = len(sent_followups)
    counts["follow-ups doubled"] = sum(
        1 for f in sent_followups if f.sid not in at_twilio or texts[(at_twilio[f.sid]["to"], f.body)] > 1
    )
    counts["follow-ups left due"] = sum(
        1
        for f in followups
        if f.status is JobStatus.pending
        and f.due_at <= now - timedelta(seconds=90)
        and (f.next_attempt_at is None or f.next_attempt_at <= now)
    )
    counts["staff alerts"] = len(alerts)
    tracked = {row.sid for row in rows}
    counts["texts sent but not logged"] = sum(1 for sid in at_twilio if sid not in tracked)
    return {"counts": counts, "problems": problems}


def run(
    users: int,
    seconds: float,
    faults: bool,
    think: tuple[float, float] = (8.0, 20.0),
    unknown_share: float = 0.1,
    directory: Optional[Path] = None,
    only_rasa: bool = False,
) -> dict:
    """Start the cluster, load it for `seconds` with Locust (and faults), check every reply."""
    if not LOCUST.exists():
        raise RuntimeError(f"no Locust at {LOCUST}: make bench installs it")
    from tests.assistant import free_port

    workdir = directory or ROOT / ".build" / f"load-{uuid.uuid4().hex[:6]}"
    workdir.mkdir(parents=True, exist_ok=True)
    now = datetime.now(timezone.utc)
    with own_database() as database_url, FakeTwilio() as twilio:
        nodes = tuple(
            topology.Node(f"node{i}", free_port(), free_port(), free_port(), str(workdir / "cluster" / f"node{i}"))
            for i in (1, 2)
        )
        cluster = topology.Layout(free_port(), free_port(), database_url, str(workdir / "cluster"), nodes)
        Path(cluster.directory).mkdir(parents=True, exist_ok=True)
        secrets = topology.shared_secrets(Path(cluster.directory))
        settings = config.from_env(
            {
                **os.environ,
                **secrets,
                "DATABASE_URL": database_url,
                "AFTERCARE_DATA_DIR": str(workdir),
                "PUBLIC_URL": cluster.public_url,
            }
        )
        plan = Plan(
            seed(settings, users, int(users * unknown_share), now), cluster.public_url, twilio.auth_token, think
        )
        supervisor = topology.start(cluster, extra_env=twilio.env(), seed_demo=False)
        stop = threading.Event()
        watching = threading.Thread(target=supervisor.run, args=(stop,), daemon=True)
        watching.start()
        try:
            began = time.monotonic()
            if not topology.wait_until_up(cluster, 400):
                raise RuntimeError(f"the cluster did not start; logs in {cluster.directory}/logs")
            startup = time.monotonic() - began
            warm_up(cluster, plan)
            print(f"cluster up in {startup:.0f} s; load: {users} clients for {seconds:.0f} s", flush=True)
            plan_file, log_file = workdir / "plan.json", workdir / "requests.jsonl"
            plan.write(plan_file)
            log_file.write_text("")
            env = {**os.environ, "AFTERCARE_LOAD_PLAN": str(plan_file), "AFTERCARE_LOAD_LOG": str(log_file)}
            command = [
                str(LOCUST),
                "-f",
                str(LOCUSTFILE),
                "--headless",
                "-u",
                str(users),
                "-r",
                str(max(users / 60, 0.5)),  # clients arrive over a minute, not in one burst
                "-t",
                f"{int(seconds)}s",
                "--host",
                cluster.public_url,
                "--csv",
                str(workdir / "locust"),
                "--only-summary",
                "--stop-timeout",
                "20",
            ]
            fault_stop = threading.Event()
            injector = Faults(cluster, make_url(database_url).database, plan)
            started = time.monotonic()
            if faults:
                threading.Thread(
                    target=injector.run, args=(seconds, started, fault_stop, only_rasa), daemon=True
                ).start()
            locust = subprocess.run(command, env=env, cwd=ROOT, capture_output=True, text=True, timeout=seconds + 120)
            fault_stop.set()
            elapsed = time.monotonic() - started
            time.sleep(5)
            twilio.settle(60)
            # A killed worker's rows come back after its lease (60 s): wait for what is due.
            deadline = time.monotonic() + 90
            while time.monotonic() < deadline:
                result = check(
                    [json.loads(line) for line in log_file.read_text().splitlines() if line],
                    plan,
                    database_url,
                    twilio,
                    injector.retried,
                )
                if not result["counts"]["follow-ups left due"]:
                    break
                time.sleep(5)
        finally:
            stop.set()
            watching.join(60)
        log = [json.loads(line) for line in log_file.read_text().splitlines() if line]
        channels = {}
        for channel in ("sms", "web"):
            latencies = [r["latency"] for r in log if r["channel"] == channel and r["status"] == 200]
            channels[channel] = {
                "requests": sum(1 for r in log if r["channel"] == channel),
                "per_second": sum(1 for r in log if r["channel"] == channel) / elapsed,
                **percentiles(latencies),
            }
        return {
            "think": think,
            "users": users,
            "seconds": elapsed,
            "startup": startup,
            "channels": channels,
            "check": result,
            "faults": injector.log if faults else [],
            "retried": injector.retried,
            "locust_exit": locust.returncode,
            "locust_tail": locust.stderr[-1500:],
        }


def section(result: dict, when: str, load: float) -> str:
    from bench.sms_bench import machine

    counts = result["check"]["counts"]
    lines = [
        START,
        "## The cluster under load and faults (`python -m bench.cluster_bench`)",
        "",
        f"Run {when} on {machine()}, load average {load:.1f} at the start. Everything on this one",
        "machine's 2 cores, shared with other work: nginx, two Rasa servers with their action servers,",
        "two workers, two consoles, PostgreSQL, Redis, the Twilio-compatible server and Locust itself.",
        f"{result['users']} simulated clients of 3 clinics for {result['seconds']:.0f} s (each waits"
        f" {result['think'][0]:.0f}-{result['think'][1]:.0f} s between messages); a tenth are unknown numbers that",
        "go through the date flow first. Latencies are of answered requests, as Locust saw them.",
        "",
        "| channel | requests | requests/s | p50 | p95 | p99 |",
        "|---|---:|---:|---:|---:|---:|",
    ]
    for channel, c in result["channels"].items():
        lines.append(
            f"| {channel} | {c['requests']} | {c['per_second']:.1f} | {c['p50'] * 1000:.0f} ms | "
            f"{c['p95'] * 1000:.0f} ms | {c['p99'] * 1000:.0f} ms |"
        )
    lines += ["", "| check | count |", "|---|---:|"]
    for name in (
        "sms lost",
        "sms doubled",
        "sms wrong client",
        "sms fallback",
        "sms not marked answered",
        "web lost",
        "web wrong client",
        "follow-ups sent",
        "follow-ups doubled",
        "follow-ups left due",
        "texts sent but not logged",
        "staff alerts",
    ):
        lines.append(f"| {name} | {counts.get(name, 0)} |")
    if result["faults"]:
        lines += ["", "Faults, seconds into the load:", ""]
        lines += [f"- {line}" for line in result["faults"]]
    lines.append(END)
    return "\n".join(lines) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(description="the cluster under load and faults (see the module docstring)")
    parser.add_argument("--users", type=int, default=200)
    parser.add_argument("--seconds", type=float, default=300)
    parser.add_argument("--no-faults", action="store_true")
    parser.add_argument(
        "--think",
        type=float,
        nargs=2,
        default=(8.0, 20.0),
        metavar=("MIN", "MAX"),
        help="seconds between a client's messages",
    )
    parser.add_argument("--no-write", action="store_true")
    args = parser.parse_args()
    load = os.getloadavg()[0]
    result = run(args.users, args.seconds, not args.no_faults, think=tuple(args.think))
    text = section(result, datetime.now().strftime("%Y-%m-%d"), load)
    print(text)
    for problem in result["check"]["problems"][:20]:
        print("problem:", problem)
    if not args.no_write:
        from bench.sms_bench import write_section

        write_section(START, END, text)
    counts = result["check"]["counts"]
    if any(
        counts.get(k)
        for k in (
            "sms lost",
            "sms doubled",
            "sms wrong client",
            "web lost",
            "web wrong client",
            "follow-ups doubled",
            "follow-ups left due",
        )
    ):
        sys.exit("lost, doubled or misdirected replies: see above")


if __name__ == "__main__":
    main()
