"""Shared by tests/web and tests/browser: two seeded clinics, settings, and the web
channel served for real (a Sanic server on a free localhost port, run from a background
thread) with a real `on_new_message` that records what Rasa would receive."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from pathlib import Path

from rasa import server as rasa_server
from sanic import Sanic

from bot import config
from bot.channels.web import WebChatInput
from bot.services import clients, clinics, treatments
from bot.store.db import session_scope
from tests.fakes.sanic_server import Recorder, free_port, serving  # noqa: F401  (re-exported)

SECRET = "test-secret-" + "x" * 40
NOW = datetime(2024, 5, 20, 15, 0, tzinfo=timezone.utc)


@dataclass(frozen=True)
class World:
    glow_id: int
    ana_id: int  # a client of glow, treated 6 hours before the real now
    lumen_id: int
    ben_id: int  # a client of lumen


def seed(engine, now: datetime) -> World:
    with session_scope(engine) as session:
        glow = clinics.add(session, "glow", "Glow Skin Studio", "+12125550100", "America/New_York")
        glow.brand_color = "#7c3aed"
        ana = clients.add(session, glow, "Ana Diaz", "+12125550123")
        treatments.add(session, ana, now - timedelta(hours=6), now=now)
        lumen = clinics.add(session, "lumen", "Lumen Clinic", "+442079460000", "Europe/London")
        ben = clients.add(session, lumen, "Ben Okafor", "+447911123456")
        session.flush()
        return World(glow.id, ana.id, lumen.id, ben.id)


def make_settings(db_url: str, data_dir: Path, secret=SECRET, **extra) -> config.Settings:
    env = {"DATABASE_URL": db_url, "AFTERCARE_DATA_DIR": str(data_dir), "PUBLIC_URL": "https://chat.example"}
    if secret:
        env["AFTERCARE_LINK_SECRET"] = secret
    env.update(extra)
    return config.from_env(env)


def chat_app(channel: WebChatInput, on_new_message, cors=None) -> Sanic:
    """An app shaped like `rasa run`'s: Rasa's CORS set-up, the channel under /webhooks/web."""
    # Sanic rewrites its own methods at the first start; test mode keeps the originals so
    # several apps can start in one process (what sanic-testing does).
    Sanic.test_mode = True
    app = Sanic(f"aftercare_web_test_{uuid.uuid4().hex[:10]}", configure_logging=False)
    rasa_server.configure_cors(app, cors)
    app.blueprint(channel.blueprint(on_new_message), url_prefix="/webhooks/web")
    return app
