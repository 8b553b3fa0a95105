"""Shared by tests/web and tests/browser: two seeded clinics, settings, and the web
channel served for real (a Sanic server on a free localhost port, run from a background
thread) with a real `on_new_message` that records what Rasa would receive."""
from __future__ import annotations

import asyncio
import socket
import threading
import uuid
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Callable, Iterator, Optional

from rasa import server as rasa_server
from rasa.core.channels.channel import UserMessage
from sanic import Sanic

from bot import config
from bot.channels.web import WebChatInput
from bot.store import queries
from bot.store.db import session_scope

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
        glow = queries.add_clinic(session, "glow", "Glow Skin Studio", "+12125550100", "America/New_York")
        glow.brand_color = "#7c3aed"
        ana = queries.add_client(session, glow, "Ana Diaz", "+12125550123")
        queries.add_treatment(session, ana, now - timedelta(hours=6), now=now)
        lumen = queries.add_clinic(session, "lumen", "Lumen Clinic", "+442079460000", "Europe/London")
        ben = queries.add_client(session, lumen, "Ben Okafor", "+447911123456")
        session.flush()
        return World(glow.id, ana.id, lumen.id, ben.id)


def make_settings(db_url: str, data_dir: Path, secret=SECRET, **extra) -> config.Settings:
    env = {"DATABASE_URL": db_url, "AFTERCARE_DATA_DIR": str(data_dir), "PUBLIC_URL": "https://chat.example"}
    if secret:
        env["AFTERCARE_LINK_SECRET"] = secret
    env.update(extra)
    return config.from_env(env)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class Recorder:
    """An `on_new_message`: keeps each UserMessage and answers through its output channel,
    as Rasa's agent does. `reply(message)` gives the texts (raise in it to fail); `delay`
    seconds of thinking first."""

    def __init__(self, reply: Optional[Callable[[UserMessage], list]] = None, delay: float = 0) -> None:
        self.messages: list[UserMessage] = []
        self.reply = reply or (lambda message: [f"You said: {message.text}"])
        self.delay = delay

    async def __call__(self, message: UserMessage) -> None:
        self.messages.append(message)
        if self.delay:
            await asyncio.sleep(self.delay)
        for text in self.reply(message):
            await message.output_channel.send_text_message(message.sender_id, text)

    @property
    def senders(self) -> list[str]:
        return [m.sender_id for m in self.messages]


def chat_app(channel: WebChatInput, on_new_message, cors=None) -> Sanic:
    """An app shaped like `rasa run`'s: Rasa's CORS set-up, the channel under /webhooks/web."""
    # Sanic rewrites its own methods at the first start; test mode keeps the originals so
    # several apps can start in one process (what sanic-testing does).
    Sanic.test_mode = True
    app = Sanic(f"aftercare_web_test_{uuid.uuid4().hex[:10]}", configure_logging=False)
    rasa_server.configure_cors(app, cors)
    app.blueprint(channel.blueprint(on_new_message), url_prefix="/webhooks/web")
    return app


@contextmanager
def serving(app: Sanic) -> Iterator[str]:
    """Run `app` until the block ends; yields its base URL."""
    port = free_port()
    loop = asyncio.new_event_loop()
    started = threading.Event()
    state: dict = {}

    async def start() -> None:
        server = await app.create_server(
            host="127.0.0.1", port=port, return_asyncio_server=True, access_log=False
        )
        await server.startup()
        await server.before_start()
        await server.after_start()
        state["server"] = server

    def run() -> None:
        asyncio.set_event_loop(loop)
        try:
            loop.run_until_complete(start())
        except BaseException as exc:  # shown to the test below
            state["error"] = exc
            started.set()
            return
        started.set()
        loop.run_forever()

    thread = threading.Thread(target=run, name=f"sanic-{port}", daemon=True)
    thread.start()
    if not started.wait(30) or "error" in state:
        raise RuntimeError(f"test server did not start: {state.get('error')!r}")
    try:
        yield f"http://127.0.0.1:{port}"
    finally:

        async def stop() -> None:
            # As `app.run` shuts down: stop listening, then close the open (keep-alive)
            # connections, so a browser sees the server gone rather than a hung socket.
            server = state["server"]
            await server.before_stop()
            server.close()
            await server.wait_closed()
            for connection in list(server.connections):
                connection.close_if_idle()
            for _ in range(20):
                if not server.connections:
                    break
                await asyncio.sleep(0.05)
            for connection in list(server.connections):
                connection.abort()
            await server.after_stop()

        asyncio.run_coroutine_threadsafe(stop(), loop).result(15)
        loop.call_soon_threadsafe(loop.stop)
        thread.join(15)
