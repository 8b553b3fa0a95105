"""Start the trained assistant for tests: action server + `rasa run` on free localhost
ports, on a fresh SQLite database seeded with the demo clinic and client."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Optional

import requests

from bot import config, rasa_endpoints

ROOT = Path(__file__).resolve().parent.parent
MODEL = ROOT / "models" / "aftercare.tar.gz"
BIN = Path(sys.executable).parent


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@dataclass
class RunningAssistant:
    base_url: str
    database_url: str
    env: dict
    processes: list = field(default_factory=list)
    logs: list = field(default_factory=list)

    def stop(self) -> None:
        for proc in self.processes:
            if proc.poll() is None:
                proc.terminate()
        for proc in self.processes:
            try:
                proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                proc.kill()
        for log in self.logs:
            log.close()


def start(
    tmp_dir: Path, extra_env: Optional[dict] = None, timeout: float = 480, rasa_args: tuple = ()
) -> RunningAssistant:
    assert MODEL.exists(), "no trained model: `make test` trains it first"
    rasa_port, action_port = free_port(), free_port()
    database_url = f"sqlite:///{tmp_dir / 'assistant.db'}"
    env = dict(os.environ)
    env.update(
        DATABASE_URL=database_url,
        ACTION_SERVER_URL=f"http://127.0.0.1:{action_port}/webhook",
        PUBLIC_URL=f"http://127.0.0.1:{rasa_port}",
        AFTERCARE_DATA_DIR=str(tmp_dir),
        TF_CPP_MIN_LOG_LEVEL="2",
        RASA_TELEMETRY_ENABLED="false",
    )
    env.update(extra_env or {})
    subprocess.run([str(BIN / "aftercare"), "demo", "seed"], env=env, cwd=ROOT, check=True, capture_output=True)
    endpoints = rasa_endpoints.write(config.from_env(env), tmp_dir / "endpoints.yml")
    running = RunningAssistant(f"http://127.0.0.1:{rasa_port}", database_url, env)
    commands = [
        [sys.executable, "-m", "actions", "--port", str(action_port)],
        [
            str(BIN / "rasa"),
            "run",
            "--model",
            str(MODEL),
            "--credentials",
            "credentials.yml",
            "--endpoints",
            str(endpoints),
            "--port",
            str(rasa_port),
            "--interface",
            "127.0.0.1",
            *rasa_args,
        ],
    ]
    for argv in commands:
        log = open(tmp_dir / f"{Path(argv[0]).name}-{rasa_port}-{len(running.logs)}.log", "w")  # noqa: SIM115 (stop() closes it)
        running.logs.append(log)
        running.processes.append(subprocess.Popen(argv, env=env, cwd=ROOT, stdout=log, stderr=subprocess.STDOUT))
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if any(p.poll() is not None for p in running.processes):
            break
        try:
            if requests.get(running.base_url, timeout=2).ok:
                return running
        except requests.RequestException:
            pass
        time.sleep(1)
    running.stop()
    logs = "\n".join(Path(log.name).read_text()[-3000:] for log in running.logs)
    raise RuntimeError(f"the assistant did not start:\n{logs}")
