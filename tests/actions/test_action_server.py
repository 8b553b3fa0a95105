"""The action server answers the Rasa server alone: requests without its token get 401."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
import requests
import yaml

from bot import config, rasa_endpoints
from tests.assistant import free_port

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def action_server(tmp_path_factory):
    data_dir = tmp_path_factory.mktemp("actions")
    port = free_port()
    env = dict(os.environ, AFTERCARE_DATA_DIR=str(data_dir), DATABASE_URL=f"sqlite:///{data_dir / 'a.db'}")
    env.pop("ACTION_SERVER_TOKEN", None)
    proc = subprocess.Popen(
        [sys.executable, "-m", "actions", "--port", str(port)],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and proc.poll() is None:
        try:
            requests.get(f"{base}/health", timeout=1)
            break
        except requests.RequestException:
            time.sleep(0.3)
    settings = config.from_env(env)
    yield base, settings
    proc.terminate()
    proc.wait(timeout=20)


def test_health_is_open_and_everything_else_needs_the_token(action_server):
    base, settings = action_server
    assert requests.get(f"{base}/health", timeout=5).status_code == 200
    call = {"next_action": "action_affirm", "tracker": {"sender_id": "sms:+12125550123"}}
    assert requests.post(f"{base}/webhook", json=call, timeout=5).status_code == 401
    forged = {"Authorization": "Bearer " + "x" * 64}
    assert requests.post(f"{base}/webhook", json=call, headers=forged, timeout=5).status_code == 401
    assert requests.get(f"{base}/actions", headers=forged, timeout=5).status_code == 401


def test_the_endpoints_file_rasa_reads_carries_the_servers_token(action_server, tmp_path):
    base, settings = action_server
    written = yaml.safe_load(rasa_endpoints.write(settings, tmp_path / "endpoints.yml").read_text())
    headers = written["action_endpoint"]["headers"]
    listed = requests.get(f"{base}/actions", headers=headers, timeout=5)
    assert listed.status_code == 200
    assert "action_answer_topic" in {action["name"] for action in listed.json()}


def test_a_configured_token_must_be_long_enough(tmp_path):
    settings = config.from_env({"AFTERCARE_DATA_DIR": str(tmp_path), "ACTION_SERVER_TOKEN": "short"})
    with pytest.raises(Exception, match="ACTION_SERVER_TOKEN must be at least 32"):
        rasa_endpoints.action_server_token(settings)
    assert not (tmp_path / rasa_endpoints.ACTION_TOKEN_FILE).exists()
