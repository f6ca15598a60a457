"""`programmeEvents(after:)` names a place in the programme's event log: one beyond its end (or
before its start) is refused with a sentence at once, not waited on in silence."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncEngine

from db.models import Programme, Role
from tests import factories as f
from tests.clients import Api, live_client
from tests.resolvers.test_subscriptions import FEED, serving


@pytest.fixture
async def live(database: tuple[str, AsyncEngine], tmp_path: Path) -> AsyncIterator[Api]:
    async with serving(database, tmp_path) as api:
        yield api


def errors(message: dict[str, Any]) -> list[dict[str, Any]]:
    """A subscription's refusal: before it runs (`error`) or as its one result (`next`)."""
    found: list[dict[str, Any]] = (
        message["payload"] if message["type"] == "error" else message["payload"]["errors"]
    )
    return found


async def latest_seq(engine: AsyncEngine) -> int:
    async with engine.connect() as connection:
        return int(await connection.scalar(select(func.max(Programme.event_seq))) or 0)


@pytest.mark.parametrize("beyond", [1, 1_000_000])
async def test_after_beyond_the_last_event_is_refused_at_once(
    live: Api, engine: AsyncEngine, beyond: int
) -> None:
    api = live
    coordinator = api.person(Role.COORDINATOR)
    await f.programme(api, coordinator)
    await f.mentor(api)
    last = await latest_seq(engine)

    async with live_client(api.server.ws_url, coordinator.token) as client:
        feed = await client.subscribe(FEED, {"after": last + beyond})
        message = await client.message(feed, within=5)
    (error,) = errors(message)
    assert error["extensions"]["code"] == "INVALID_INPUT"
    assert error["message"] == (
        f"The programme's events go up to {last}: `after` is the last seq you saw, 0 to {last}."
    )


async def test_after_below_zero_is_refused(live: Api) -> None:
    api = live
    coordinator = api.person(Role.COORDINATOR)
    await f.programme(api, coordinator)
    async with live_client(api.server.ws_url, coordinator.token) as client:
        message = await client.message(await client.subscribe(FEED, {"after": -1}), within=5)
    assert errors(message)[0]["extensions"]["code"] == "INVALID_INPUT"


async def test_after_the_last_event_itself_waits_for_the_next(
    live: Api, engine: AsyncEngine
) -> None:
    api = live
    coordinator = api.person(Role.COORDINATOR)
    await f.programme(api, coordinator)
    last = await latest_seq(engine)
    async with live_client(api.server.ws_url, coordinator.token) as client:
        feed = await client.subscribe(FEED, {"after": last})
        await f.mentor(api)
        assert (await client.data(feed))["programmeEvents"]["seq"] == last + 1
