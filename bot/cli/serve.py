"""`aftercare serve`: the whole system on this machine (what `make run` starts).

The action server (127.0.0.1 only), the Rasa server with our channels and no HTTP
API, the follow-up worker and the staff console, kept running by bot.supervisor: a child
that exits is restarted in place with backoff while the others go on serving. Ctrl-C (or
SIGTERM) stops them all.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Optional

import click

from bot import config, rasa_endpoints
from bot.config import PROJECT_ROOT
from bot.store.db import ensure_schema
from bot.supervisor import Child, Supervisor

DEMO_PHONE = "+12125550123"


def _bin(name: str) -> str:
    return str(Path(sys.executable).with_name(name))


def processes(
    rasa_port: int, action_port: int, host: str, model: Path, console_port: int = 5006
) -> list[tuple[str, list[str]]]:
    os.environ["ACTION_SERVER_URL"] = f"http://127.0.0.1:{action_port}/webhook"
    os.environ.setdefault("RASA_TELEMETRY_ENABLED", "false")  # no calls out to the internet
    settings = config.from_env()
    endpoints = rasa_endpoints.write(settings, settings.data_dir / "endpoints.yml")
    rasa = [
        _bin("rasa"),
        "run",
        "--model",
        str(model),
        "--credentials",
        "credentials.yml",
        "--endpoints",
        str(endpoints),
        "--port",
        str(rasa_port),
        "--interface",
        host,
    ]
    return [
        ("actions", [sys.executable, "-m", "actions", "--port", str(action_port)]),
        ("rasa", rasa),
        ("follow-ups", [_bin("aftercare"), "followups", "run"]),
        ("console", [_bin("aftercare"), "console", "--port", str(console_port), "--host", host]),
    ]


def _banner(rasa_port: int) -> str:
    from bot.cli.demo import DEMO_STAFF, demo_staff_password

    settings = config.from_env()
    return "\n".join(
        [
            "",
            f"aftercare is up: Rasa on port {rasa_port} (channels only, HTTP API off), actions on 127.0.0.1.",
            f"  database:      {settings.database_url}",
            f'  ask as the demo client:   .venv/bin/aftercare ask --phone {DEMO_PHONE} "can I wear makeup?"',
            f"  web chat link:            .venv/bin/aftercare link --phone {DEMO_PHONE}",
            f"  demo clinic page:         {settings.public_url}/webhooks/web/demo?clinic=glow",
            f"  SMS webhook (signed):     {settings.public_url}/webhooks/twilio/webhook",
            f"  booking webhook (signed): {settings.public_url}/webhooks/bookings/glow"
            " (its secret: .venv/bin/aftercare clinic webhook-secret --clinic glow)",
            "  outgoing texts (no Twilio credentials): .venv/bin/aftercare outbox",
            f"  staff console:            {settings.console_url}",
            f"    demo staff login:       {DEMO_STAFF['email']} / {demo_staff_password()}",
            "Ctrl-C stops everything.",
            "",
        ]
    )


def _wait_for_port(port: int, seconds: float, stop: threading.Event) -> bool:
    import socket

    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline and not stop.is_set():
        with socket.socket() as sock:
            sock.settimeout(1)
            if sock.connect_ex(("127.0.0.1", port)) == 0:
                return True
        time.sleep(1)
    return False


@click.command("serve")
@click.option("--port", default=5005, show_default=True, help="The Rasa server's port.")
@click.option("--action-port", default=5055, show_default=True, help="The action server's port (127.0.0.1).")
@click.option("--host", default="127.0.0.1", show_default=True, help="Interface for the Rasa server and the console.")
@click.option(
    "--model", type=click.Path(path_type=Path), default=None, help="Trained model (default: models/aftercare.tar.gz)."
)
@click.option(
    "--console-port", type=int, default=None, help="The staff console's port (default: CONSOLE_PORT, else 5006)."
)
@click.option(
    "--demo/--no-demo", default=True, show_default=True, help="Add the demo clinic, client and staff account first."
)
def serve_command(
    port: int, action_port: int, host: str, model: Optional[Path], console_port: Optional[int], demo: bool
) -> None:
    """Start the assistant: action server, Rasa server, follow-up worker and staff console."""
    os.chdir(PROJECT_ROOT)
    if console_port:
        os.environ["CONSOLE_PORT"] = str(console_port)  # the console's default URL follows it
    console_port = config.from_env().console_port
    model = model or PROJECT_ROOT / "models" / "aftercare.tar.gz"
    if not model.exists():
        raise click.ClickException(f"no trained model at {model}: run `make train`")
    ensure_schema(config.from_env().database_url).dispose()
    if demo:
        subprocess.run([_bin("aftercare"), "demo", "seed"], check=True)
    supervisor = Supervisor(
        [Child(name, argv) for name, argv in processes(port, action_port, host, model, console_port)],
        report=lambda line: click.echo(f"warning: {line}", err=True),
        pid_dir=config.from_env().data_dir / "pids",
    )
    stop = threading.Event()
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    supervisor.start()
    watching = threading.Thread(target=supervisor.run, args=(stop,), name="supervisor")
    watching.start()
    if _wait_for_port(port, 300, stop) and _wait_for_port(console_port, 60, stop):
        click.echo(_banner(port) if demo else f"aftercare is up: Rasa on port {port}, console on {console_port}.")
    while watching.is_alive():
        watching.join(timeout=1)  # the main thread stays free for the signal handlers
