"""Waiting for an outcome: the one poll loop of the tests, never a timed assert."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import TypeVar

T = TypeVar("T")


async def eventually(
    check: Callable[[], Awaitable[T | None]],
    *,
    what: str,
    within: float = 10.0,
    every: float = 0.02,
) -> T:
    """The first truthy result of `check`, polled every `every` seconds; an AssertionError that
    names `what` (and the last result) if none comes within `within` seconds. A check may raise
    to give up at once (a server that exited will not start)."""
    deadline = asyncio.get_running_loop().time() + within
    while True:
        result = await check()
        if result:
            return result
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError(f"gave up waiting for {what} after {within}s; last saw {result!r}")
        await asyncio.sleep(every)
