"""A loop that works in the background of a server process: a round now and then, sooner when
poked, and a stop that lets the item in hand finish."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from abc import ABC, abstractmethod


class BackgroundLoop(ABC):
    name = "mentori-background"

    def __init__(self, *, interval: float, stop_grace: float, log: logging.Logger) -> None:
        self.interval = interval
        self.stop_grace = stop_grace
        self.log = log
        self.wakeup = asyncio.Event()
        self._stopping = False
        self._task: asyncio.Task[None] | None = None

    @property
    def stopping(self) -> bool:
        return self._stopping

    @abstractmethod
    async def work(self) -> None:
        """One round; an exception is logged and the next round tries again."""

    def start(self) -> None:
        self._stopping = False
        self._task = asyncio.create_task(self._run(), name=self.name)

    async def stop(self) -> None:
        """Let the item in hand finish (so its outcome is kept), then stop."""
        if self._task is None:
            return
        self._stopping = True
        self.wakeup.set()
        try:
            await asyncio.wait_for(asyncio.shield(self._task), self.stop_grace)
        except TimeoutError:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
        self._task = None

    def poke(self) -> None:
        """Work now rather than at the next interval."""
        self.wakeup.set()

    async def _run(self) -> None:
        while not self._stopping:
            self.wakeup.clear()
            try:
                await self.work()
            except Exception:
                self.log.exception("%s round failed; trying again shortly", self.name)
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self.wakeup.wait(), self.interval)
