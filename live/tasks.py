"""Stopping a background task, always: cancel it and wait until it has ended.

Python 3.11's `asyncio.wait_for` can lose a cancellation that arrives as its inner wait ends
(fixed in 3.12), and a loop that catches it keeps running; awaiting such a task after one
`cancel()` waits forever, and so did a whole test run once. `stop` sends the cancellation again
until the task has ended, and a cancellation of the caller itself still propagates."""

from __future__ import annotations

import asyncio
from typing import Any

RESEND_SECONDS = 1.0


async def stop(task: asyncio.Task[Any]) -> None:
    """Cancel `task` and return once it has ended; raises what it raised, if not cancelled."""
    while not task.done():
        task.cancel()
        await asyncio.wait({task}, timeout=RESEND_SECONDS)
    if not task.cancelled() and (error := task.exception()) is not None:
        raise error
