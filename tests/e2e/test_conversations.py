"""Rasa's conversation tests (tests/test_stories.yml) against the trained model."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_every_test_story_reaches_the_right_actions(tmp_path):
    rasa = str(Path(sys.executable).with_name("rasa"))
    env = dict(os.environ, ACTION_SERVER_URL="http://127.0.0.1:9/webhook", TF_CPP_MIN_LOG_LEVEL="2")
    result = subprocess.run(
        [
            rasa,
            "test",
            "core",
            "--model",
            "models/aftercare.tar.gz",
            "--stories",
            "tests/test_stories.yml",
            "--out",
            str(tmp_path),
            "--fail-on-prediction-errors",
            "--no-plot",
        ],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=900,
    )
    failed = tmp_path / "failed_test_stories.yml"
    assert result.returncode == 0, failed.read_text() if failed.exists() else result.stdout[-3000:]
    assert "- story:" not in failed.read_text(), failed.read_text()
