"""One timer closes every WebSocket whose token expired, and none that ended first or whose
token is still good (live/token_expiry.py; the closing itself is seen end to end in
tests/resolvers/test_subscriptions.py)."""

from __future__ import annotations

import asyncio
import time

from live.token_expiry import TokenExpiry


class Connection:
    def __init__(self, name: str) -> None:
        self.name = name


async def test_each_connection_closes_when_its_token_expires_and_not_before() -> None:
    closed: dict[str, float] = {}

    async def close(connection: Connection) -> None:
        closed[connection.name] = time.time()

    expiry: TokenExpiry[Connection] = TokenExpiry(close)
    start = time.time()
    soon, later, gone, lasting = (Connection(n) for n in ("soon", "later", "gone", "lasting"))
    expiry.watch(later, start + 1.2)
    expiry.watch(soon, start + 0.3)
    expiry.watch(gone, start + 0.3)
    expiry.watch(lasting, start + 3600)
    expiry.forget(gone)  # the connection ended before its token did
    await asyncio.sleep(2.5)
    await expiry.stop()
    assert set(closed) == {"soon", "later"}
    assert start + 0.3 <= closed["soon"] < start + 1.4
    assert start + 1.2 <= closed["later"] < start + 2.3


async def test_connections_that_ended_are_not_kept_for_their_tokens_lifetime() -> None:
    async def close(connection: Connection) -> None:
        raise AssertionError("nothing here expires")

    expiry: TokenExpiry[Connection] = TokenExpiry(close)
    far = time.time() + 3600
    for n in range(1_000):
        connection = Connection(str(n))
        expiry.watch(connection, far)
        expiry.forget(connection)
    still = Connection("still open")
    expiry.watch(still, far)
    await expiry.stop()
    assert len(expiry._heap) < 100  # what ended was dropped as it piled up
    assert list(expiry._due) == [id(still)]
