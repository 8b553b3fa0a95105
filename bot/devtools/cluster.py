"""`make cluster`: the multi-server topology on this machine.

    python -m bot.devtools.cluster [--port 8080] [--dir .build/cluster] [--database-url URL]

nginx (deploy/nginx.conf) on --port in front of two nodes; each node is `aftercare serve`
(a Rasa server, its action server on 127.0.0.1, a follow-up worker and a staff console,
supervised). Clinic data and Rasa's tracker store are on PostgreSQL (--database-url,
default the database `aftercare_cluster` on 127.0.0.1, created if missing); Rasa's lock
store and the console's rate limiter on a Redis server of the cluster's own (--redis-port),
so restarting it touches nothing else. The secrets every node must share are generated
once into <dir>/secrets.env and given to the nodes through their environment, as an
operator would. Everything is supervised: a process that dies is started again. Ctrl-C
stops it all. `cluster.json` in <dir> says where everything is (ports, pid files).
"""

from __future__ import annotations

import argparse
import json
import os
import secrets
import shutil
import signal
import subprocess
import sys
import threading
import time
from dataclasses import asdict, dataclass
from pathlib import Path
from string import Template
from typing import IO, Optional

from sqlalchemy import create_engine
from sqlalchemy.engine import make_url

from bot.config import PROJECT_ROOT
from bot.supervisor import Child, Supervisor

NGINX = shutil.which("nginx") or "/usr/sbin/nginx"
REDIS = shutil.which("redis-server") or "/usr/bin/redis-server"
DEFAULT_DATABASE = "postgresql://postgres@127.0.0.1:5432/aftercare_cluster"
SHARED_SECRETS = ("ACTION_SERVER_TOKEN", "AFTERCARE_LINK_SECRET", "AFTERCARE_CONSOLE_SECRET", "AFTERCARE_DATA_KEY")
# A Rasa server killed mid-turn never releases its conversation's lock: the next turn of
# that conversation waits until the lock's lifetime ends (Rasa's default: 60 s).
LOCK_LIFETIME = "12"


@dataclass(frozen=True)
class Node:
    name: str
    rasa_port: int
    action_port: int
    console_port: int
    data_dir: str

    def pid_file(self, child: str) -> Path:
        """The pid file `aftercare serve` writes for its child ("rasa", "actions", "follow-ups", "console")."""
        return Path(self.data_dir) / "pids" / f"{child}.pid"


@dataclass(frozen=True)
class Layout:
    port: int
    redis_port: int
    database_url: str
    directory: str
    nodes: tuple[Node, ...]

    @property
    def public_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def redis_url(self) -> str:
        return f"redis://127.0.0.1:{self.redis_port}"

    def save(self) -> None:
        data = asdict(self)
        data["database_url"] = make_url(self.database_url).render_as_string(hide_password=True)
        (Path(self.directory) / "cluster.json").write_text(json.dumps(data, indent=2))


def layout(port: int, redis_port: int, database_url: str, directory: Path, base: int) -> Layout:
    nodes = tuple(
        Node(f"node{i + 1}", base + 10 * i, base + 10 * i + 1, base + 10 * i + 2, str(directory / f"node{i + 1}"))
        for i in range(2)
    )
    return Layout(port, redis_port, database_url, str(directory), nodes)


def ensure_database(url: str) -> None:
    """Create the database of `url` when it does not exist (PostgreSQL)."""
    parsed = make_url(url)
    admin = create_engine(parsed.set(database="postgres"), isolation_level="AUTOCOMMIT", future=True)
    try:
        with admin.connect() as connection:
            found = connection.exec_driver_sql(
                "SELECT 1 FROM pg_database WHERE datname = %(name)s", {"name": parsed.database}
            ).scalar()
            if not found:
                connection.exec_driver_sql(f'CREATE DATABASE "{parsed.database}"')
    finally:
        admin.dispose()


def shared_secrets(directory: Path) -> dict[str, str]:
    """The secrets every node shares, generated once (mode 0600)."""
    path = directory / "secrets.env"
    if not path.exists():
        path.write_text("".join(f"{name}={secrets.token_urlsafe(48)}\n" for name in SHARED_SECRETS))
        path.chmod(0o600)
    return dict(line.split("=", 1) for line in path.read_text().split())


def nginx_config(cluster: Layout) -> Path:
    prefix = Path(cluster.directory) / "nginx"
    prefix.mkdir(parents=True, exist_ok=True)
    template = Template((PROJECT_ROOT / "deploy" / "nginx.conf").read_text())
    # $host, $scheme ... are nginx's own variables: only ours are filled in.
    rendered = template.safe_substitute(
        PREFIX=str(prefix),
        LISTEN=f"127.0.0.1:{cluster.port}",
        RASA_1=f"127.0.0.1:{cluster.nodes[0].rasa_port}",
        RASA_2=f"127.0.0.1:{cluster.nodes[1].rasa_port}",
    )
    path = prefix / "nginx.conf"
    path.write_text(rendered)
    return path


def node_env(cluster: Layout, node: Node, secrets_: dict[str, str], extra: dict[str, str]) -> dict[str, str]:
    env = dict(os.environ)
    env.update(secrets_)
    env.update(
        DATABASE_URL=cluster.database_url,
        RASA_TRACKER_STORE_URL=cluster.database_url,
        RASA_LOCK_STORE_URL=f"{cluster.redis_url}/1",
        CONSOLE_RATE_LIMIT_URL=f"{cluster.redis_url}/2",
        PUBLIC_URL=cluster.public_url,
        AFTERCARE_DATA_DIR=node.data_dir,
        TICKET_LOCK_LIFETIME=LOCK_LIFETIME,
        RASA_TELEMETRY_ENABLED="false",
        TF_CPP_MIN_LOG_LEVEL="2",
    )
    env.update(extra)
    return env


def children(cluster: Layout, extra_env: dict[str, str], logs: Path) -> list[Child]:
    directory = Path(cluster.directory)
    secrets_ = shared_secrets(directory)
    aftercare = str(Path(sys.executable).with_name("aftercare"))
    redis = [
        REDIS,
        "--port",
        str(cluster.redis_port),
        "--bind",
        "127.0.0.1",
        "--save",
        "",
        "--appendonly",
        "no",
        "--dir",
        str(directory),
    ]
    listed = [
        Child("redis", redis),
        Child("nginx", [NGINX, "-p", str(directory / "nginx"), "-c", str(nginx_config(cluster)), "-g", "daemon off;"]),
    ]
    for node in cluster.nodes:
        Path(node.data_dir).mkdir(parents=True, exist_ok=True)
        argv = [
            aftercare,
            "serve",
            "--no-demo",
            "--port",
            str(node.rasa_port),
            "--action-port",
            str(node.action_port),
            "--console-port",
            str(node.console_port),
        ]
        listed.append(Child(node.name, argv, node_env(cluster, node, secrets_, extra_env)))
    return listed


def start(cluster: Layout, extra_env: Optional[dict[str, str]] = None, seed_demo: bool = True) -> Supervisor:
    """Start every process of the cluster; returns the supervisor (call .stop())."""
    directory = Path(cluster.directory)
    directory.mkdir(parents=True, exist_ok=True)
    logs = directory / "logs"
    logs.mkdir(exist_ok=True)
    if "search_path" not in cluster.database_url:  # a schema of its own (tests) exists already
        ensure_database(cluster.database_url)
    env = node_env(cluster, cluster.nodes[0], shared_secrets(directory), extra_env or {})
    aftercare = str(Path(sys.executable).with_name("aftercare"))
    # Migrate and seed once, before two nodes would race to do it.
    subprocess.run([aftercare, "demo", "seed"] if seed_demo else [aftercare, "clinic", "list"], env=env, check=True)
    cluster.save()
    opened: dict[str, IO[str]] = {}

    def spawn(child: Child) -> subprocess.Popen:
        log = opened.get(child.name) or open(logs / f"{child.name}.log", "a")  # noqa: SIM115 (open while it runs)
        opened[child.name] = log
        return subprocess.Popen(
            child.argv, env=child.env, cwd=PROJECT_ROOT, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
        )

    listed = children(cluster, extra_env or {}, logs)
    supervisor = Supervisor(
        listed, spawn=spawn, pid_dir=directory / "pids", report=lambda line: print(line, flush=True)
    )
    supervisor.start()
    return supervisor


def wait_until_up(cluster: Layout, seconds: float = 400) -> bool:
    """Whether both Rasa servers answer through nginx within `seconds`."""
    import requests

    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            if all(requests.get(f"http://127.0.0.1:{n.rasa_port}/", timeout=2).ok for n in cluster.nodes):
                return requests.get(f"{cluster.public_url}/webhooks/twilio/", timeout=2).ok
        except requests.RequestException:
            pass
        time.sleep(2)
    return False


def main() -> None:
    parser = argparse.ArgumentParser(description="the multi-server topology on this machine (see the module docstring)")
    parser.add_argument("--port", type=int, default=8080, help="nginx's port (127.0.0.1)")
    parser.add_argument("--redis-port", type=int, default=6391)
    parser.add_argument("--base-port", type=int, default=5105, help="node N uses base+10(N-1) .. +2")
    parser.add_argument("--dir", type=Path, default=PROJECT_ROOT / ".build" / "cluster")
    parser.add_argument("--database-url", default=os.environ.get("CLUSTER_DATABASE_URL", DEFAULT_DATABASE))
    args = parser.parse_args()
    cluster = layout(args.port, args.redis_port, args.database_url, args.dir.resolve(), args.base_port)
    supervisor = start(cluster)
    stop = threading.Event()
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    watching = threading.Thread(target=supervisor.run, args=(stop,), name="supervisor")
    watching.start()
    if wait_until_up(cluster):
        print(
            f"\nthe cluster is up: {cluster.public_url} (nginx) -> Rasa on "
            + ", ".join(str(n.rasa_port) for n in cluster.nodes)
            + f"; Redis on {cluster.redis_port}; logs and pid files under {cluster.directory}. Ctrl-C stops it.",
            flush=True,
        )
    while watching.is_alive():
        watching.join(timeout=1)


if __name__ == "__main__":
    main()
