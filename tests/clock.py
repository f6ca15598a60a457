"""The server's clock, as tests hold it."""

from __future__ import annotations

from datetime import datetime, timedelta


class FakeClock:
    """The server's clock, moved by tests instead of sleeping."""

    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> None:
        self.now += timedelta(**delta)
