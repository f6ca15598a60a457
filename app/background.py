"""A loop that works in the background of a server process: a round now and then, sooner when
poked, and a stop that lets the item in hand finish. A failure that repeats every round (a
database that is down, one programme's bad data) is logged when it starts, when its error
changes and when it clears, not every round."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from abc import ABC, abstractmethod

from live import tasks


class Failures:
    """What is failing, by what it is ("the scheduler's round", "reminders in programme 7")."""

    def __init__(self, log: logging.Logger) -> None:
        self.log = log
        self._errors: dict[str, str] = {}

    def note(self, what: str, error: BaseException | None) -> None:
        """The outcome of one try: None if it worked."""
        if error is None:
            if self._errors.pop(what, None) is not None:
                self.log.info("%s works again", what)
            return
        # The first line only: the rest of a database error names parameters, such as the time.
        seen = f"{type(error).__name__}: {str(error).partition(chr(10))[0]}"
        if self._errors.get(what) != seen:
            self._errors[what] = seen
            self.log.error(
                "%s failed; it is tried again every round and logged again if its error changes",
                what,
                exc_info=error,
            )


class BackgroundLoop(ABC):
    name = "mentori-background"

    def __init__(self, *, interval: float, stop_grace: float, log: logging.Logger) -> None:
        self.interval = interval
        self.stop_grace = stop_grace
        self.log = log
        self.wakeup = asyncio.Event()
        self.failures = Failures(log)
        self._stopping = False
        self._task: asyncio.Task[None] | None = None

    @property
    def stopping(self) -> bool:
        return self._stopping

    @abstractmethod
    async def work(self) -> None:
        """One round; an exception is noted in `failures` and the next round tries again."""

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
            await tasks.stop(self._task)
        self._task = None

    def poke(self) -> None:
        """Work now rather than at the next interval."""
        self.wakeup.set()

    async def _run(self) -> None:
        while not self._stopping:
            self.wakeup.clear()
            try:
                await self.work()
            except Exception as error:
                self.failures.note(f"{self.name} round", error)
            else:
                self.failures.note(f"{self.name} round", None)
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self.wakeup.wait(), self.interval)
