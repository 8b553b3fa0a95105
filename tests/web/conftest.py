"""A database with two clinics and their clients, and settings pointing at it."""

from __future__ import annotations

import sys
from datetime import datetime, timezone
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))  # webchat.py, shared with tests/browser

from webchat import World, make_settings, seed

from bot import config
from bot.store.db import ensure_schema


@pytest.fixture
def world(engine) -> World:
    return seed(engine, datetime.now(timezone.utc))


@pytest.fixture
def settings(db_url, tmp_path) -> config.Settings:
    return make_settings(db_url, tmp_path / "data")


@pytest.fixture
def sqlite_engine(tmp_path):
    """For tests of the channel's HTTP behaviour, where the database kind does not matter."""
    url = f"sqlite:///{tmp_path / 'web.db'}"
    engine = ensure_schema(url)
    yield url, engine
    engine.dispose()
