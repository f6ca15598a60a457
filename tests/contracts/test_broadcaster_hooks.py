"""What live/broker.py relies on in broadcaster beyond its documented API:
`Broadcast(url)._backend`, the backend broadcaster chooses for a URL, used directly for its
connect, subscribe, publish, next_published and disconnect (pyproject.toml pins the range)."""

from __future__ import annotations

import asyncio
import inspect

import pytest
from broadcaster import Broadcast, Event
from broadcaster._backends.base import BroadcastBackend

# The backend's methods live/broker.py calls, and the positional arguments it passes.
CALLED: dict[str, tuple[str, ...]] = {
    "connect": (),
    "disconnect": (),
    "subscribe": ("channel",),
    "publish": ("channel", "message"),
    "next_published": (),
}


@pytest.mark.parametrize(
    "url", ["memory://", "redis://localhost:6379", "postgres://mentori@localhost/mentori"]
)
def test_broker_broadcast_keeps_the_backend_it_chose_at_underscore_backend(url: str) -> None:
    """live/broker.py: `_backend(url)` takes `Broadcast(url)._backend`, broadcaster's choice of
    backend for the URL's scheme, and calls these coroutine methods on it."""
    backend = Broadcast(url)._backend
    assert isinstance(backend, BroadcastBackend)
    for name, arguments in CALLED.items():
        method = getattr(backend, name)
        assert inspect.iscoroutinefunction(method), name
        inspect.signature(method).bind(*arguments)  # raises TypeError if they no longer fit


async def test_broker_a_backend_used_alone_delivers_events_with_channel_and_message() -> None:
    """live/broker.py: Broker listens on the backend itself (not through Broadcast), reading
    `event.channel` and `event.message` from `next_published()`."""
    backend = Broadcast("memory://")._backend
    await backend.connect()
    try:
        await backend.subscribe("mentori.test")
        await backend.publish("mentori.test", "hello")
        event = await asyncio.wait_for(backend.next_published(), 1)
    finally:
        await backend.disconnect()
    assert isinstance(event, Event)
    assert (event.channel, event.message) == ("mentori.test", "hello")
