"""Subscribers alike (same document, variables and role) share one execution per event: each
still gets every event, under its own operation id, and nobody gets what only another viewer
may see. Real WebSocket clients against a real server."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from db.models import Role
from tests import factories as f
from tests.clients import Api, live_client, metrics, until_listening
from tests.resolvers.test_subscriptions import event, serving
from tests.waiting import eventually

WATCH = """subscription($filter: MentorFilter) {
  mentorAvailabilityChanged(filter: $filter) {
    seq mentorId availability pendingCount mentor { id displayName }
  }
}"""
WATCH_WITH_CONTACT = """subscription {
  mentorAvailabilityChanged { seq availability mentor { id contactEmail } }
}"""
NAME = "mentorAvailabilityChanged"


@pytest.fixture
async def live(database: tuple[str, AsyncEngine], tmp_path: Path) -> AsyncIterator[Api]:
    async with serving(database, tmp_path) as api:
        yield api


async def until_gauges(client: httpx.AsyncClient, **wanted: float) -> None:
    async def read() -> bool:
        found = await metrics(client)
        return all(found.get(f"mentori_{name}") == value for name, value in wanted.items())

    await eventually(read, what=f"metrics to read {wanted}")


async def test_students_alike_share_one_execution_and_each_gets_every_event(live: Api) -> None:
    api = live
    await f.programme(api, limits={"mentorPendingLimit": 1})
    mentor, mentor_id = await f.mentor(api, capacity=2, languages=["fi"])
    asker = await f.student(api)
    first, second, third = [await f.student(api) for _ in range(3)]
    coordinator = api.person(Role.COORDINATOR)
    ws = api.server.ws_url
    finnish = {"filter": {"languages": ["fi"]}}
    async with (
        live_client(ws, second.token) as second_ws,
        live_client(ws, third.token) as third_ws,
        live_client(ws, coordinator.token) as coordinator_ws,
    ):
        async with live_client(ws, first.token) as first_ws:
            operations = [
                await client.subscribe(WATCH, finnish)
                for client in (first_ws, second_ws, third_ws, coordinator_ws)
            ]
            await until_listening(api.client, 4)
            # The three students share one execution; the coordinator (who sees more) another.
            await until_gauges(api.client, subscribers=4, shared_subscription_executions=2)

            request_id = await f.send(api, asker, mentor_id)  # the pending limit: BUSY
            busy = [
                await event(client, operation, NAME)
                for client, operation in zip(
                    (first_ws, second_ws, third_ws, coordinator_ws), operations, strict=True
                )
            ]
        students, seen_by_coordinator = busy[:3], busy[3]
        assert all(e == students[0] for e in students)
        assert students[0]["availability"] == "BUSY"
        assert students[0]["mentor"]["id"] == mentor_id
        assert students[0]["pendingCount"] is None
        assert seen_by_coordinator["pendingCount"] == 1
        assert seen_by_coordinator["seq"] == students[0]["seq"]

        # The student whose subscription started the shared execution left; another stops.
        await second_ws.complete(operations[1])
        await until_gauges(api.client, subscribers=2, shared_subscription_executions=2)
        await api.ok(f.REJECT, {"id": request_id, "reason": "Full this term."}, as_=mentor)
        again = await event(third_ws, operations[2], NAME)
        assert again["availability"] == "AVAILABLE"
        assert again["seq"] > students[0]["seq"]
        assert (await event(coordinator_ws, operations[3], NAME))["seq"] == again["seq"]
        assert second_ws.received(operations[1]) == []

    await until_gauges(api.client, subscribers=0, shared_subscription_executions=0)


async def test_what_only_one_viewer_may_see_is_never_shared(live: Api) -> None:
    api = live
    await f.programme(api, limits={"mentorPendingLimit": 1})
    mentor, mentor_id = await f.mentor(api, capacity=2)
    matched, other, asker = await f.student(api), await f.student(api), await f.student(api)
    accepted = await f.send(api, matched, mentor_id)
    await api.ok(f.ACCEPT, {"id": accepted}, as_=mentor)
    ws = api.server.ws_url
    async with (
        live_client(ws, matched.token) as matched_ws,
        live_client(ws, other.token) as other_ws,
    ):
        mine = await matched_ws.subscribe(WATCH_WITH_CONTACT)
        theirs = await other_ws.subscribe(WATCH_WITH_CONTACT)
        # The same document, but contact details depend on who asks: one execution each.
        await until_gauges(api.client, subscribers=2, shared_subscription_executions=2)
        await f.send(api, asker, mentor_id)
        seen_by_match = await event(matched_ws, mine, NAME)
        seen_by_other = await event(other_ws, theirs, NAME)
    assert seen_by_match["seq"] == seen_by_other["seq"]
    assert "@" in seen_by_match["mentor"]["contactEmail"]
    assert seen_by_other["mentor"]["contactEmail"] is None


async def test_a_refused_filter_is_refused_to_each_subscriber_alike(live: Api) -> None:
    api = live
    await f.programme(api, limits={"mentorPendingLimit": 1})
    unknown = {"filter": {"languages": ["xx"]}}
    ws = api.server.ws_url
    one, two = await f.student(api), await f.student(api)
    _, mentor_id = await f.mentor(api, capacity=1)
    async with live_client(ws, one.token) as one_ws, live_client(ws, two.token) as two_ws:
        refused = [
            await client.message(await client.subscribe(WATCH, unknown))
            for client in (one_ws, two_ws)
        ]
        # Both still hold working connections: a good subscription is served.
        fine = await one_ws.subscribe(WATCH)
        await until_gauges(api.client, subscribers=1)
        await f.send(api, await f.student(api), mentor_id)  # the pending limit: BUSY
        busy = await event(one_ws, fine, NAME)
        assert (busy["availability"], busy["mentor"]["id"]) == ("BUSY", mentor_id)
    assert refused[0] == {**refused[1], "id": refused[0]["id"]}
    assert refused[0]["type"] == "next", refused[0]
    (error,) = refused[0]["payload"]["errors"]
    assert error["message"] == "Unknown language code: xx."
    assert error["extensions"]["code"] == "INVALID_INPUT"
