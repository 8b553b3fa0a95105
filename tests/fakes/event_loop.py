"""Run a coroutine to the end from a test, whatever the main thread is doing.

A session-wide Playwright browser (the sync API) keeps an event loop running in the main
thread, so a later test's `asyncio.run` there would fail: it runs in a thread of its own."""

from __future__ import annotations

import asyncio
from concurrent.futures import ThreadPoolExecutor
from typing import Any, Coroutine, TypeVar

T = TypeVar("T")


def run(coroutine: Coroutine[Any, Any, T]) -> T:
    with ThreadPoolExecutor(1) as pool:
        return pool.submit(asyncio.run, coroutine).result()
