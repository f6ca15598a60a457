"""Live updates over graphql-transport-ws, as students, mentors and coordinators receive them:
real WebSocket clients against a real server (one per test, so no live state is shared)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine

from app.auth import issue_dev_token
from db.models import Event, Role
from tests import factories as f
from tests.clients import Api, LiveClient, WebSocketClosed, live_client, until_listening
from tests.clock import FakeClock
from tests.conftest import START, server_settings
from tests.databases import wipe
from tests.servers import running_server

AVAILABILITY = """subscription($filter: MentorFilter) {
  mentorAvailabilityChanged(filter: $filter) {
    seq mentorId availability previous capacity remainingCapacity pendingCount
    mentor { id displayName headline contactEmail }
  }
}"""
MY_REQUESTS = """subscription {
  myRequestEvents {
    seq kind at
    request { id status reason mentor { displayName contactEmail } student { displayName } }
  }
}"""
STATS_FIELDS = """programmeId seq asOf
  mentors { available busy full hidden }
  students { total unmatched pending matched }
  requests { pending oldestPendingAt oldestPendingAgeSeconds accepted rejected expired }
  matches
  byField { key name mentorSlotsLeft studentsLooking }
  byLanguage { key name mentorSlotsLeft studentsLooking }"""
STATS = "subscription { programmeStats { " + STATS_FIELDS + " } }"
STATS_QUERY = "query { programmeStats { " + STATS_FIELDS + " } }"
FEED = """subscription($after: Int) {
  programmeEvents(after: $after) { seq kind at summary payload }
}"""
UPDATE_PROFILE = """mutation($input: MentorProfileInput!) {
  updateMentorProfile(input: $input) { id displayName }
}"""
WITHDRAW_PROFILE = "mutation { withdrawMentorProfile { id status } }"
INBOX = "{ myRequests { id status } }"


@asynccontextmanager
async def serving(
    database: tuple[str, AsyncEngine], tmp_path: Path, **overrides: object
) -> AsyncIterator[Api]:
    url, engine = database
    await wipe(engine)
    settings = server_settings(url, tmp_path / "mail", scheduler_enabled=False, **overrides)
    async with (
        running_server(settings, FakeClock(START)) as server,
        httpx.AsyncClient(base_url=server.url, timeout=30) as client,
    ):
        yield Api(server=server, client=client)


@pytest.fixture
async def live(database: tuple[str, AsyncEngine], tmp_path: Path) -> AsyncIterator[Api]:
    async with serving(database, tmp_path) as api:
        yield api


def refusal(message: dict[str, Any]) -> str:
    """The error code a subscription was refused with."""
    errors = message["payload"] if message["type"] == "error" else message["payload"]["errors"]
    code: str = errors[0]["extensions"]["code"]
    return code


async def event(client: LiveClient, operation: str, name: str) -> dict[str, Any]:
    data: dict[str, Any] = (await client.data(operation))[name]
    return data


async def test_students_see_a_mentor_fill_up_as_far_as_their_filter_lists_it(live: Api) -> None:
    api = live
    await f.programme(api)
    mentor, mentor_id = await f.mentor(api, capacity=1, languages=["fi", "en"])
    swedish_mentor, swedish_id = await f.mentor(
        api, capacity=1, languages=["sv"], fields=["Economics"]
    )
    asker, other_asker = await f.student(api), await f.student(api)
    finn, swede, anyone = await f.student(api), await f.student(api), await f.student(api)
    coordinator = api.person(Role.COORDINATOR)
    ws = api.server.ws_url
    async with (
        live_client(ws, finn.token) as finn_ws,
        live_client(ws, swede.token) as swede_ws,
        live_client(ws, anyone.token) as anyone_ws,
        live_client(ws, coordinator.token) as coordinator_ws,
    ):
        finnish = await finn_ws.subscribe(AVAILABILITY, {"filter": {"languages": ["fi"]}})
        swedish = await swede_ws.subscribe(AVAILABILITY, {"filter": {"languages": ["sv"]}})
        unfiltered = await anyone_ws.subscribe(AVAILABILITY)
        watching = await coordinator_ws.subscribe(AVAILABILITY)
        await until_listening(api.client, 4)

        request_id = await f.send(api, asker, mentor_id)
        await api.ok(f.ACCEPT, {"id": request_id}, as_=mentor)

        # The mentor filled up: students learn it without seeing the (now unlisted) mentor.
        for client, operation in ((finn_ws, finnish), (anyone_ws, unfiltered)):
            full = await event(client, operation, "mentorAvailabilityChanged")
            assert full["mentorId"] == mentor_id
            assert (full["availability"], full["previous"]) == ("FULL", "AVAILABLE")
            assert (full["capacity"], full["remainingCapacity"]) == (1, 0)
            assert full["mentor"] is None
            assert full["pendingCount"] is None
        seen = await event(coordinator_ws, watching, "mentorAvailabilityChanged")
        assert seen["availability"] == "FULL"
        assert seen["mentor"]["id"] == mentor_id
        assert seen["pendingCount"] == 0

        # The Swedish-speaking student's filter never listed that mentor: their first update
        # is about the Swedish-speaking mentor, who fills up next.
        second = await f.send(api, other_asker, swedish_id)
        await api.ok(f.ACCEPT, {"id": second}, as_=swedish_mentor)
        first_seen = await event(swede_ws, swedish, "mentorAvailabilityChanged")
        assert (first_seen["mentorId"], first_seen["availability"]) == (swedish_id, "FULL")
        also = await event(anyone_ws, unfiltered, "mentorAvailabilityChanged")
        assert also["mentorId"] == swedish_id
        assert finn_ws.received(finnish) == []


async def test_a_listed_mentor_is_shown_whole_but_private_details_stay_private(live: Api) -> None:
    api = live
    await f.programme(api, limits={"mentorPendingLimit": 1})
    _, mentor_id = await f.mentor(api, capacity=2)
    asker, watcher = await f.student(api), await f.student(api)
    async with live_client(api.server.ws_url, watcher.token) as client:
        operation = await client.subscribe(AVAILABILITY)
        await until_listening(api.client, 1)
        await f.send(api, asker, mentor_id)  # one pending request is the limit here: BUSY
        busy = await event(client, operation, "mentorAvailabilityChanged")
    assert (busy["availability"], busy["previous"]) == ("BUSY", "AVAILABLE")
    assert busy["remainingCapacity"] == 2
    assert busy["mentor"]["id"] == mentor_id
    assert busy["mentor"]["contactEmail"] is None
    assert busy["pendingCount"] is None


async def test_a_mentor_is_alerted_to_requests_and_students_hear_the_answer(live: Api) -> None:
    api = live
    await f.programme(api)
    mentor, mentor_id = await f.mentor(api, capacity=1)
    alice = await f.student(api, api.person(Role.STUDENT, "Alice Student"))
    bob = await f.student(api, api.person(Role.STUDENT, "Bob Student"))
    ws = api.server.ws_url
    async with (
        live_client(ws, mentor.token) as mentor_ws,
        live_client(ws, alice.token) as alice_ws,
        live_client(ws, bob.token) as bob_ws,
    ):
        inbox = await mentor_ws.subscribe(MY_REQUESTS)
        alices = await alice_ws.subscribe(MY_REQUESTS)
        bobs = await bob_ws.subscribe(MY_REQUESTS)
        await until_listening(api.client, 3)

        alice_request = await f.send(api, alice, mentor_id, "Please mentor me.")
        alert = await event(mentor_ws, inbox, "myRequestEvents")
        assert alert["kind"] == "SENT"
        assert alert["request"]["id"] == alice_request
        assert alert["request"]["student"]["displayName"] == "Alice Student"
        bob_request = await f.send(api, bob, mentor_id)
        assert (await event(mentor_ws, inbox, "myRequestEvents"))["request"]["id"] == bob_request

        await api.ok(f.ACCEPT, {"id": alice_request}, as_=mentor)
        assert (await event(alice_ws, alices, "myRequestEvents"))["kind"] == "SENT"
        accepted = await event(alice_ws, alices, "myRequestEvents")
        assert accepted["kind"] == "ACCEPTED"
        assert accepted["request"]["status"] == "ACCEPTED"
        assert accepted["request"]["mentor"]["contactEmail"] == mentor.email

        assert (await event(bob_ws, bobs, "myRequestEvents"))["kind"] == "SENT"
        closed = await event(bob_ws, bobs, "myRequestEvents")
        assert closed["kind"] == "CLOSED_MENTOR_FULL"
        assert closed["request"]["reason"] == "mentor is full"
        assert closed["request"]["mentor"]["contactEmail"] is None

        kinds = {(await event(mentor_ws, inbox, "myRequestEvents"))["kind"] for _ in range(2)}
        assert kinds == {"ACCEPTED", "CLOSED_MENTOR_FULL"}
        # Nobody heard of anyone else's requests.
        assert alice_ws.received(alices) == []
        assert bob_ws.received(bobs) == []


async def test_a_connection_without_a_good_token_is_refused(live: Api) -> None:
    ws = live.server.ws_url
    with pytest.raises(WebSocketClosed) as missing:
        async with live_client(ws, None, init={}):
            pass
    assert missing.value.code == 4403
    with pytest.raises(WebSocketClosed) as forged:
        async with live_client(ws, "not-a-token"):
            pass
    assert forged.value.code == 4403


async def test_each_subscription_refuses_the_wrong_role(live: Api) -> None:
    api = live
    await f.programme(api)
    student, coordinator = await f.student(api), api.person(Role.COORDINATOR)
    mentor, _ = await f.mentor(api)
    wrong = (
        (mentor, AVAILABILITY),
        (coordinator, MY_REQUESTS),
        (student, STATS),
        (mentor, STATS),
        (student, FEED),
        (mentor, FEED),
    )
    for person, document in wrong:
        async with live_client(api.server.ws_url, person.token) as client:
            refused = await client.message(await client.subscribe(document))
            assert refusal(refused) == "FORBIDDEN", (person.role, document)


async def test_a_connection_closes_when_its_token_expires(live: Api) -> None:
    api = live
    token = issue_dev_token(
        api.server.settings,
        subject="short-lived",
        role=Role.STUDENT,
        name="Short Lived",
        email="short@example.edu",
        now=datetime.now(UTC),
        lifetime=timedelta(seconds=2),
    )
    async with live_client(api.server.ws_url, token) as client:
        code, _ = await client.closed(within=15)
    assert code == 4401


async def test_subscriptions_per_connection_are_capped(
    database: tuple[str, AsyncEngine], tmp_path: Path
) -> None:
    async with serving(database, tmp_path, max_subscriptions_per_connection=2) as api:
        await f.programme(api)
        coordinator = api.person(Role.COORDINATOR)
        async with live_client(api.server.ws_url, coordinator.token) as client:
            for _ in range(2):
                await client.data(await client.subscribe(STATS))
            third = await client.message(await client.subscribe(STATS))
    assert third["type"] == "error"
    (error,) = third["payload"]
    assert error["extensions"]["code"] == "TOO_MANY_OPERATIONS"
    assert error["message"].startswith("This connection already runs 2 operations")


async def test_programme_events_replay_what_was_missed_then_go_live(
    live: Api, engine: AsyncEngine
) -> None:
    api = live
    coordinator = api.person(Role.COORDINATOR)
    await f.programme(api, coordinator)
    mentor, mentor_id = await f.mentor(api, capacity=1)
    alice = await f.student(api, api.person(Role.STUDENT, "Alice Student"))
    await f.send(api, alice, mentor_id)
    ws = api.server.ws_url

    async with live_client(ws, coordinator.token) as client:
        feed = await client.subscribe(FEED, {"after": 0})
        log = await _event_log(engine)
        replayed = [await event(client, feed, "programmeEvents") for _ in log]
        assert [(e["seq"], e["kind"]) for e in replayed] == log
        assert replayed[-1]["summary"] == f"Alice Student asked {mentor.name} to be their mentor"
    seen = replayed[-1]["seq"]

    # Away for a while: the mentor accepts (and fills up) meanwhile.
    bob = await f.student(api)
    request = (await api.ok(INBOX, as_=mentor))["myRequests"][0]["id"]
    await api.ok(f.ACCEPT, {"id": request}, as_=mentor)
    missed = [entry for entry in await _event_log(engine) if entry[0] > seen]

    async with live_client(ws, coordinator.token) as client:
        feed = await client.subscribe(FEED, {"after": seen})
        caught_up = [await event(client, feed, "programmeEvents") for _ in missed]
        assert [(e["seq"], e["kind"]) for e in caught_up] == missed
        accepted = next(e for e in caught_up if e["kind"] == "REQUEST_ACCEPTED")
        assert accepted["summary"] == f"{mentor.name} accepted Alice Student's request"

        _, other_id = await f.mentor(api)
        await f.send(api, bob, other_id)
        after_live = [entry for entry in await _event_log(engine) if entry[0] > missed[-1][0]]
        went_on = [await event(client, feed, "programmeEvents") for _ in after_live]
        assert [(e["seq"], e["kind"]) for e in went_on] == after_live
        assert client.received(feed) == []


async def test_programme_stats_come_at_once_and_again_after_changes(live: Api) -> None:
    api = live
    coordinator = api.person(Role.COORDINATOR)
    await f.programme(api, coordinator)
    mentor, mentor_id = await f.mentor(api, capacity=1, languages=["fi"])
    student = await f.student(api, languages=["fi"])
    async with live_client(api.server.ws_url, coordinator.token) as client:
        operation = await client.subscribe(STATS)
        first = await event(client, operation, "programmeStats")
        assert first["mentors"] == {"available": 1, "busy": 0, "full": 0, "hidden": 0}
        assert first["students"] == {"total": 1, "unmatched": 1, "pending": 0, "matched": 0}
        assert first["requests"]["pending"] == 0
        assert first["requests"]["oldestPendingAt"] is None
        fields = {row["name"]: row for row in first["byField"]}
        assert fields["Computer Science"]["mentorSlotsLeft"] == 1
        assert fields["Computer Science"]["studentsLooking"] == 1
        languages = {row["key"]: row for row in first["byLanguage"]}
        assert (languages["fi"]["mentorSlotsLeft"], languages["fi"]["studentsLooking"]) == (1, 1)
        queried = (await api.ok(STATS_QUERY, as_=coordinator))["programmeStats"]
        assert {k: v for k, v in queried.items() if k != "asOf"} == {
            k: v for k, v in first.items() if k != "asOf"
        }

        request_id = await f.send(api, student, mentor_id)
        waiting = (await api.ok(STATS_QUERY, as_=coordinator))["programmeStats"]["requests"]
        assert waiting["pending"] == 1
        assert datetime.fromisoformat(waiting["oldestPendingAt"]) == START
        assert waiting["oldestPendingAgeSeconds"] == 0
        await api.ok(f.ACCEPT, {"id": request_id}, as_=mentor)
        latest = first
        while latest["matches"] == 0:  # a burst of changes may come as one update
            latest = await event(client, operation, "programmeStats")
            assert latest["seq"] > first["seq"]
    assert latest["mentors"]["full"] == 1
    assert latest["students"] == {"total": 1, "unmatched": 0, "pending": 0, "matched": 1}
    assert latest["requests"]["accepted"] == 1
    assert "Computer Science" not in {row["name"] for row in latest["byField"]}


async def test_each_event_is_resolved_with_fresh_data(live: Api) -> None:
    api = live
    await f.programme(api)
    mentor, mentor_id = await f.mentor(api, publish=False)
    coordinator = api.person(Role.COORDINATOR)
    async with live_client(api.server.ws_url, coordinator.token) as client:
        operation = await client.subscribe(AVAILABILITY)
        await until_listening(api.client, 1)
        await api.ok(f.PUBLISH, as_=mentor)
        listed = await event(client, operation, "mentorAvailabilityChanged")
        assert listed["mentor"]["headline"] == "Engineering manager"
        await api.ok(
            UPDATE_PROFILE, {"input": {"headline": "Chief technology officer"}}, as_=mentor
        )
        await api.ok(WITHDRAW_PROFILE, as_=mentor)
        hidden = await event(client, operation, "mentorAvailabilityChanged")
    assert hidden["mentorId"] == mentor_id
    assert hidden["availability"] == "HIDDEN"
    assert hidden["mentor"]["headline"] == "Chief technology officer"


async def _event_log(engine: AsyncEngine) -> list[tuple[int, str]]:
    async with engine.connect() as connection:
        rows = await connection.execute(select(Event.seq, Event.kind).order_by(Event.seq))
        return [(seq, kind) for seq, kind in rows]


async def test_queries_over_one_websocket_never_read_an_earlier_operations_cache(api: Api) -> None:
    await f.programme(api)
    mentor, mentor_id = await f.mentor(api, capacity=1)
    student = await f.student(api)
    request_id = await f.send(api, student, mentor_id)
    query = "{ myRequests { status mentor { availability remainingCapacity } } }"
    async with live_client(api.server.ws_url, student.token) as client:
        first = await client.data(await client.subscribe(query))
        assert first["myRequests"] == [
            {"status": "PENDING", "mentor": {"availability": "AVAILABLE", "remainingCapacity": 1}}
        ]
        await api.ok(f.ACCEPT, {"id": request_id}, as_=mentor)
        again = await client.data(await client.subscribe(query))
        assert again["myRequests"] == [
            {"status": "ACCEPTED", "mentor": {"availability": "FULL", "remainingCapacity": 0}}
        ]
