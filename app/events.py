"""The event hub: publishes committed events through the broker (broadcaster) and fans them out
to this process's subscribers."""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from broadcaster import Broadcast

from services.events import RecordedEvent

log = logging.getLogger("mentori.events")


def channel(programme_id: int) -> str:
    return f"mentori.programme.{programme_id}"


class EventHub:
    def __init__(self, url: str, *, queue_size: int = 100) -> None:
        self.url = url
        self.queue_size = queue_size
        self._broadcast = Broadcast(url)

    async def start(self) -> None:
        await self._broadcast.connect()

    async def stop(self) -> None:
        await self._broadcast.disconnect()

    async def publish(self, events: list[RecordedEvent]) -> None:
        for event in events:
            try:
                await self._broadcast.publish(
                    channel(event.programme_id), json.dumps(event.to_message())
                )
            except Exception:  # a broker outage must not fail the committed operation
                log.exception("could not publish event %s/%s", event.programme_id, event.seq)

    @asynccontextmanager
    async def subscribe(self, programme_id: int) -> AsyncIterator[AsyncIterator[RecordedEvent]]:
        async with self._broadcast.subscribe(channel(programme_id)) as subscriber:

            async def stream() -> AsyncIterator[RecordedEvent]:
                async for message in subscriber:  # type: ignore[union-attr]
                    if message is None:
                        return
                    data = json.loads(message.message)
                    yield _from_message(data)

            yield stream()


def _from_message(data: dict[str, object]) -> RecordedEvent:
    from datetime import datetime

    return RecordedEvent(
        programme_id=int(str(data["programmeId"])),
        seq=int(str(data["seq"])),
        kind=str(data["kind"]),
        payload=dict(data["payload"]),  # type: ignore[call-overload]
        created_at=datetime.fromisoformat(str(data["createdAt"])),
    )


__all__ = ["EventHub", "asyncio", "channel"]
