"""Files holding secrets or personal data are created readable by their owner only,
from the first byte: the endpoints file, the SQLite database, generated secrets."""

from __future__ import annotations

import os
import stat

from bot import config, local_secret, rasa_endpoints
from bot.store.db import ensure_schema


def mode(path) -> int:
    return stat.S_IMODE(os.stat(path).st_mode)


def test_files_are_created_0600_whatever_the_umask(tmp_path):
    previous = os.umask(0o022)  # the usual default: files readable by everyone
    try:
        settings = config.from_env(
            {"AFTERCARE_DATA_DIR": str(tmp_path / "var"), "RASA_TRACKER_STORE_URL": "postgresql://u:pw@db/x"}
        )
        endpoints = rasa_endpoints.write(settings, tmp_path / "var" / "endpoints.yml")
        engine = ensure_schema(settings.database_url)
        engine.dispose()
        secret = tmp_path / "var" / "link_secret"
        local_secret.generated(secret)
    finally:
        os.umask(previous)
    assert mode(endpoints) == 0o600 and "pw" in endpoints.read_text()
    assert mode(tmp_path / "var" / "aftercare.db") == 0o600
    assert mode(secret) == 0o600
    assert sorted(p.name for p in (tmp_path / "var").iterdir() if p.name.startswith(".")) == []


def test_the_endpoints_file_is_rewritten_private(tmp_path):
    settings = config.from_env({"AFTERCARE_DATA_DIR": str(tmp_path)})
    path = tmp_path / "endpoints.yml"
    path.write_text("old")
    path.chmod(0o644)
    rasa_endpoints.write(settings, path)
    assert mode(path) == 0o600 and "action_endpoint" in path.read_text()
