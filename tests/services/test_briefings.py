"""Briefings (rule 10): coordinators schedule them, mentors and students sign up for theirs,
and no session ever takes more people than it has room for."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from typing import Any

from sqlalchemy.ext.asyncio import AsyncEngine

from db.models import Role
from tests import factories as f
from tests.clients import Api, Person
from tests.databases import logged

FIELDS = "id audience startsAt place onlineUrl capacity signedUpCount placesLeft signedUp"
CREATE = f"""mutation($input: BriefingSessionInput!) {{
  createBriefingSession(input: $input) {{ {FIELDS} }}
}}"""
UPDATE = f"""mutation($id: ID!, $input: BriefingSessionInput!) {{
  updateBriefingSession(id: $id, input: $input) {{ {FIELDS} }}
}}"""
LIST = (
    f"query($audience: BriefingAudience) {{ briefingSessions(audience: $audience) {{ {FIELDS} }} }}"
)
SIGN_UP = f"mutation($id: ID!) {{ signUpForBriefing(briefingId: $id) {{ {FIELDS} }} }}"
CANCEL = f"mutation($id: ID!) {{ cancelBriefingSignUp(briefingId: $id) {{ {FIELDS} }} }}"
SIGN_UPS = "{ briefingSignUps { briefingId name role signedUpAt } }"


async def briefing(
    api: Api, coordinator: Person, audience: str, *, capacity: int = 30, days: int = 7
) -> dict[str, Any]:
    where = {"place": "Main building, hall 3"} if audience == "STUDENTS" else {}
    where = where or {"onlineUrl": "https://meet.example.edu/briefing"}
    starts = (api.server.clock() + timedelta(days=days)).isoformat()
    data = await api.ok(
        CREATE,
        {"input": {"audience": audience, "startsAt": starts, "capacity": capacity, **where}},
        as_=coordinator,
    )
    created: dict[str, Any] = data["createBriefingSession"]
    return created


async def test_coordinators_schedule_briefings_and_each_side_sees_its_own(api: Api) -> None:
    coordinator = api.person(Role.COORDINATOR)
    await f.programme(api, coordinator)
    for_mentors = await briefing(api, coordinator, "MENTORS")
    for_students = await briefing(api, coordinator, "STUDENTS")
    assert for_students["place"] == "Main building, hall 3"
    assert for_mentors["onlineUrl"] == "https://meet.example.edu/briefing"
    assert for_students["placesLeft"] == 30

    mentor, _ = await f.mentor(api)
    student = await f.student(api)
    seen = {
        who.role: [b["id"] for b in (await api.ok(LIST, as_=who))["briefingSessions"]]
        for who in (mentor, student, coordinator)
    }
    assert seen[Role.MENTOR] == [for_mentors["id"]]
    assert seen[Role.STUDENT] == [for_students["id"]]
    assert sorted(seen[Role.COORDINATOR]) == sorted([for_mentors["id"], for_students["id"]])

    starts = api.server.clock().isoformat()
    error = await api.error(
        CREATE, {"input": {"audience": "STUDENTS", "startsAt": starts, "capacity": 5}}, as_=student
    )
    assert error["extensions"]["code"] == "FORBIDDEN"
    error = await api.error(
        CREATE,
        {"input": {"audience": "STUDENTS", "startsAt": starts, "capacity": 5}},
        as_=coordinator,
    )
    assert error["extensions"]["code"] == "INVALID_INPUT"
    assert "a place, an online link, or both" in error["message"]


async def test_people_sign_up_move_and_cancel(api: Api, engine: AsyncEngine) -> None:
    coordinator = api.person(Role.COORDINATOR)
    await f.programme(api, coordinator)
    first = await briefing(api, coordinator, "STUDENTS", days=5)
    second = await briefing(api, coordinator, "STUDENTS", days=6)
    for_mentors = await briefing(api, coordinator, "MENTORS")
    student = await f.student(api, api.person(Role.STUDENT, "Sofia Student"))

    joined = (await api.ok(SIGN_UP, {"id": first["id"]}, as_=student))["signUpForBriefing"]
    assert (joined["signedUp"], joined["signedUpCount"], joined["placesLeft"]) == (True, 1, 29)
    moved = (await api.ok(SIGN_UP, {"id": second["id"]}, as_=student))["signUpForBriefing"]
    assert (moved["signedUp"], moved["signedUpCount"]) == (True, 1)
    listed = {b["id"]: b for b in (await api.ok(LIST, as_=student))["briefingSessions"]}
    assert (listed[first["id"]]["signedUpCount"], listed[first["id"]]["signedUp"]) == (0, False)
    assert listed[second["id"]]["signedUp"] is True

    [signed] = (await api.ok(SIGN_UPS, as_=coordinator))["briefingSignUps"]
    assert (signed["briefingId"], signed["name"], signed["role"]) == (
        second["id"],
        "Sofia Student",
        "STUDENT",
    )

    error = await api.error(SIGN_UP, {"id": for_mentors["id"]}, as_=student)
    assert error["extensions"]["code"] == "FORBIDDEN"
    left = (await api.ok(CANCEL, {"id": second["id"]}, as_=student))["cancelBriefingSignUp"]
    assert (left["signedUp"], left["signedUpCount"]) == (False, 0)
    error = await api.error(CANCEL, {"id": second["id"]}, as_=student)
    assert error["extensions"]["code"] == "NOT_FOUND"
    # The dashboard hears of every change.
    counts = [e["signedUpCount"] for e in await logged(engine, "BRIEFING_CHANGED")]
    assert counts[-4:] == [1, 0, 1, 0]

    api.server.clock.advance(days=5, minutes=1)
    error = await api.error(SIGN_UP, {"id": first["id"]}, as_=student)
    assert error["extensions"]["code"] == "CONFLICT"
    assert "already begun" in error["message"]


async def test_a_session_never_takes_more_than_its_capacity(api: Api) -> None:
    coordinator = api.person(Role.COORDINATOR)
    await f.programme(api, coordinator)
    small = await briefing(api, coordinator, "STUDENTS", capacity=3)
    students = [await f.student(api) for _ in range(10)]

    results = await asyncio.gather(
        *(api.result(SIGN_UP, {"id": small["id"]}, as_=s) for s in students)
    )
    ok = [r for r in results if not r.get("errors")]
    full = [r["errors"][0] for r in results if r.get("errors")]
    assert len(ok) == 3
    assert {e["extensions"]["code"] for e in full} == {"BRIEFING_FULL"}
    assert len(full) == 7
    [seen] = (await api.ok(LIST, as_=coordinator))["briefingSessions"]
    assert (seen["signedUpCount"], seen["placesLeft"]) == (3, 0)
    assert len((await api.ok(SIGN_UPS, as_=coordinator))["briefingSignUps"]) == 3

    error = await api.error(UPDATE, {"id": small["id"], "input": {"capacity": 2}}, as_=coordinator)
    assert error["extensions"]["code"] == "CONFLICT"
    bigger = await api.ok(UPDATE, {"id": small["id"], "input": {"capacity": 4}}, as_=coordinator)
    assert bigger["updateBriefingSession"]["placesLeft"] == 1
