"""Per-message latency and throughput of this assistant against a stock `rasa init` one,
and the training time and peak memory of each, in one run on this machine.

Both assistants run in-process through Rasa's Agent (NLU, policies, actions): ours with
its actions, database lookup included (SQLite, the demo clinic), the stock one with its
response-only rules. Concurrency 20 means 20 conversations in flight on one event loop,
as a Rasa server handles them.
"""

from __future__ import annotations

import asyncio
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import datetime, timezone
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
RASA = str(Path(sys.executable).with_name("rasa"))
AFTERCARE = str(Path(sys.executable).with_name("aftercare"))
MESSAGES = [
    "can i wear makeup yet?",
    "my skin is peeling is that normal",
    "going to the beach saturday ok?",
    "can i take advil",
    "when can i go back to my retinol",
    "is it ok to work out tomorrow",
    "hi",
    "thanks!",
    "my face is still really red",
    "when should i book my next session",
]
STOCK_MESSAGES = ["hi", "i am sad", "great", "are you a bot?", "bye", "very good", "not really", "hello there"]
ROUNDS = int(os.environ.get("BENCH_ROUNDS", "200"))


def timed_training(project: Path, out: Path, env: dict) -> tuple[float, float]:
    """Wall seconds and peak resident memory (MiB) of `rasa train` in `project`."""
    script = (
        "import resource, subprocess, sys, time; t = time.monotonic(); "
        f"subprocess.run([{RASA!r}, 'train', '--out', {str(out)!r}, '--fixed-model-name', 'm'], check=True, "
        "stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL); "
        "print(time.monotonic() - t, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024)"
    )
    # A fresh training cache: Rasa would otherwise reuse components trained earlier.
    fresh = dict(env, RASA_CACHE_DIRECTORY=str(out.parent / f"cache-{out.name}"))
    result = subprocess.run(
        [sys.executable, "-c", script], cwd=project, env=fresh, check=True, capture_output=True, text=True
    )
    seconds, peak = result.stdout.split()
    return float(seconds), float(peak)


def stock_project(tmp: Path) -> Path:
    """The project `rasa init` creates, copied from Rasa's own template (no training)."""
    import rasa.cli

    project = tmp / "stock"
    shutil.copytree(Path(rasa.cli.__file__).parent / "initial_project", project)
    return project


async def _measure(agent, senders: list[str], texts: list[str], concurrency: int, metadata: dict) -> dict:
    from rasa.core.channels.channel import CollectingOutputChannel, UserMessage

    latencies: list[float] = []
    queue: asyncio.Queue = asyncio.Queue()
    for index in range(ROUNDS):
        queue.put_nowait((senders[index % len(senders)], texts[index % len(texts)]))

    async def client():
        while not queue.empty():
            sender, text = queue.get_nowait()
            started = time.perf_counter()
            await agent.handle_message(UserMessage(text, CollectingOutputChannel(), sender, metadata=metadata))
            latencies.append(time.perf_counter() - started)

    started = time.perf_counter()
    await asyncio.gather(*(client() for _ in range(concurrency)))
    elapsed = time.perf_counter() - started
    quantiles = statistics.quantiles(latencies, n=100)
    return {
        "p50_ms": quantiles[49] * 1000,
        "p95_ms": quantiles[94] * 1000,
        "p99_ms": quantiles[98] * 1000,
        "per_second": len(latencies) / elapsed,
    }


def run_agent(model: Path, ours: bool, concurrency: int) -> dict:
    from rasa.core.agent import Agent

    endpoint = None
    if ours:
        from bot.preview import InProcessActions

        endpoint = InProcessActions()
    agent = Agent.load(str(model), action_endpoint=endpoint)
    if ours:
        senders = ["sms:+12125550123"] + [f"sms:+1212555{n:04d}" for n in range(200, 219)]
        texts, metadata = MESSAGES, {"now": datetime.now(timezone.utc).isoformat()}
    else:
        senders, texts, metadata = [f"user-{n}" for n in range(20)], STOCK_MESSAGES, {}
    loop = asyncio.new_event_loop()
    loop.run_until_complete(_measure(agent, senders, texts, 2, metadata))  # warm up
    return loop.run_until_complete(_measure(agent, senders, texts, concurrency, metadata))


def main() -> dict:
    env = dict(os.environ, TF_CPP_MIN_LOG_LEVEL="2", ACTION_SERVER_URL="http://127.0.0.1:9/webhook")
    results: dict = {}
    with tempfile.TemporaryDirectory() as tmp_name:
        tmp = Path(tmp_name)
        env["DATABASE_URL"] = f"sqlite:///{tmp / 'bench.db'}"
        subprocess.run([AFTERCARE, "demo", "seed"], env=env, check=True, capture_output=True)
        stock = stock_project(tmp)
        results["training"] = {
            "aftercare": timed_training(ROOT, tmp / "ours", env),
            "stock rasa init": timed_training(stock, tmp / "stock_models", env),
        }
        for name, model, ours in (
            ("aftercare", tmp / "ours" / "m.tar.gz", True),
            ("stock rasa init", tmp / "stock_models" / "m.tar.gz", False),
        ):
            for concurrency in (1, 20):
                code = (
                    "import json, os, sys; sys.path.insert(0, %r); os.chdir(%r); "
                    "from bench.assistant_bench import run_agent; "
                    "print(json.dumps(run_agent(__import__('pathlib').Path(%r), %r, %d)))"
                ) % (str(ROOT), str(stock if not ours else ROOT), str(model), ours, concurrency)
                out = subprocess.run([sys.executable, "-c", code], env=env, check=True, capture_output=True, text=True)
                results[(name, concurrency)] = json.loads(out.stdout.strip().splitlines()[-1])
        results["ask_batch"] = time_ask_batch(tmp, env)
    write_results(results)
    return results


def time_ask_batch(tmp: Path, env: dict, lines: int = 300) -> float:
    """Seconds for `aftercare ask --batch` over `lines` messages, model load included."""
    batch = tmp / "batch.jsonl"
    phones = ["+12125550123", None, "+19175550199"]
    batch.write_text(
        "".join(
            json.dumps({"phone": phones[i % 3], "at": None, "text": MESSAGES[i % len(MESSAGES)]}) + "\n"
            for i in range(lines)
        )
    )
    started = time.monotonic()
    subprocess.run([AFTERCARE, "ask", "--batch", str(batch)], env=env, check=True, capture_output=True)
    return time.monotonic() - started


def write_results(results: dict) -> None:
    lines = [
        "## Assistant: latency, throughput, training",
        "",
        f"Measured {datetime.now(timezone.utc):%Y-%m-%d} on this project's machine (2 cores), "
        f"{ROUNDS} messages per row, in-process Agent (NLU + policies + actions; ours with its "
        "database lookup). `python -m bench.assistant_bench`. Throughput is the comparison at "
        "concurrency 20: the stock assistant never yields to the event loop (no actions), so its "
        "messages run one after another and its latency stays that of one message, while ours "
        "interleave at their database lookups and each waits for the others.",
        "",
        "| assistant | concurrency | p50 ms | p95 ms | p99 ms | messages/s |",
        "|---|---|---|---|---|---|",
    ]
    for key, row in results.items():
        if isinstance(key, tuple):
            lines.append(
                f"| {key[0]} | {key[1]} | {row['p50_ms']:.0f} | {row['p95_ms']:.0f} | "
                f"{row['p99_ms']:.0f} | {row['per_second']:.1f} |"
            )
    lines += ["", "| assistant | training s | peak memory MiB |", "|---|---|---|"]
    for name, (seconds, peak) in results["training"].items():
        lines.append(f"| {name} | {seconds:.0f} | {peak:.0f} |")
    lines += [
        "",
        f"`aftercare ask --batch` with 300 lines, model load included: {results['ask_batch']:.0f} s "
        "(goal: under 60 s).",
    ]
    section = "\n".join(lines) + "\n"
    replace_section(ROOT / "bench" / "RESULTS.md", "## Assistant:", section)
    print(section)


def replace_section(path: Path, heading: str, section: str) -> None:
    """Rewrite one `## ` section of the results table file, keeping the others."""
    text = path.read_text() if path.exists() else "# Benchmark results\n\n"
    parts = text.split("\n## ")
    kept = [parts[0]] + ["## " + p for p in parts[1:] if not ("## " + p).startswith(heading)]
    path.write_text("\n".join(part.rstrip("\n") + "\n" for part in kept) + "\n" + section)


if __name__ == "__main__":
    main()
