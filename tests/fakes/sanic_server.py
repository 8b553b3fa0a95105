"""Serving an input channel for tests: a real Sanic server on a free localhost port, run
from a background thread, with a real `on_new_message` that records what Rasa would
receive and answers through the message's output channel, as Rasa's agent does."""

from __future__ import annotations

import asyncio
import socket
import threading
import uuid
from contextlib import contextmanager
from typing import Callable, Iterator, Optional

from rasa.core.channels.channel import InputChannel, UserMessage
from sanic import Sanic


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class Recorder:
    """`reply(message)` gives the texts (raise in it to fail); `delay` seconds of thinking."""

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


def channel_app(channel: InputChannel, on_new_message) -> Sanic:
    """An app shaped like `rasa run`'s: the channel under /webhooks/<name>."""
    Sanic.test_mode = True  # lets several apps start in one process
    app = Sanic(f"aftercare_test_{uuid.uuid4().hex[:10]}", configure_logging=False)
    app.blueprint(channel.blueprint(on_new_message), url_prefix=f"/webhooks/{channel.url_prefix()}")
    return app


@contextmanager
def serving(app: Sanic) -> Iterator[str]:
    """Run `app` until the block ends; yields its base URL."""
    port = free_port()
    loop = asyncio.new_event_loop()
    started = threading.Event()
    state: dict = {}

    async def start() -> None:
        server = await app.create_server(host="127.0.0.1", port=port, return_asyncio_server=True, access_log=False)
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
