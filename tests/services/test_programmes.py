"""Programmes: coordinators set the dates and limits; an action waits for its phase, unless a
coordinator steps in."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine

from db.models import Event, OutboxMessage, Role
from schema.ids import decode
from services.events import EventKind
from tests import factories as f
from tests.clients import Api

PROGRAMME_FIELDS = """id name timezone studentPendingLimit mentorPendingLimit requestExpiryHours
  reminderHoursBeforeExpiry currentPhases phases { phase opensOn closesOn isOpen }"""
CREATE = f"""mutation($input: CreateProgrammeInput!) {{
  createProgramme(input: $input) {{ {PROGRAMME_FIELDS} }}
}}"""
UPDATE = f"""mutation($id: ID!, $input: UpdateProgrammeInput!) {{
  updateProgramme(id: $id, input: $input) {{ {PROGRAMME_FIELDS} }}
}}"""
CURRENT = f"{{ programme {{ {PROGRAMME_FIELDS} }} }}"
OVERRIDE = """mutation($id: ID!, $decision: Decision!, $reason: String) {
  overrideRequest(requestId: $id, decision: $decision, reason: $reason) { id status reason }
}"""
MENTOR = """query($id: ID!) { mentor(id: $id) { availability } }"""
MY_REQUESTS = "{ myRequests { id status reason } }"


def dates(api: Api, phase: str, opens: int, closes: int) -> dict[str, str]:
    today = f.today(api)
    return {
        "phase": phase,
        "opensOn": (today + timedelta(days=opens)).isoformat(),
        "closesOn": (today + timedelta(days=closes)).isoformat(),
    }


async def test_a_coordinator_creates_a_programme_with_its_dates_and_limits(api: Api) -> None:
    coordinator = api.person(Role.COORDINATOR)
    created = (
        await api.ok(
            CREATE,
            {
                "input": {
                    "name": "  Mentoring 2026  ",
                    "phases": [
                        dates(api, "MENTOR_SIGNUP", -14, -5),
                        dates(api, "STUDENT_REQUESTS", -2, 4),
                        dates(api, "PROGRAMME", 10, 160),
                    ],
                    "limits": {
                        "studentPendingLimit": 1,
                        "mentorPendingLimit": 3,
                        "requestExpiryHours": 48,
                        "reminderHoursBeforeExpiry": 12,
                    },
                }
            },
            as_=coordinator,
        )
    )["createProgramme"]
    assert created["name"] == "Mentoring 2026"
    assert created["timezone"] == "Europe/Helsinki"
    assert (created["mentorPendingLimit"], created["requestExpiryHours"]) == (3, 48)
    assert created["reminderHoursBeforeExpiry"] == 12
    assert created["currentPhases"] == ["STUDENT_REQUESTS"]
    assert {p["phase"]: p["isOpen"] for p in created["phases"]} == {
        "MENTOR_SIGNUP": False,
        "STUDENT_REQUESTS": True,
        "PROGRAMME": False,
    }
    # Everyone signed in sees the running programme, with the same dates.
    seen = (await api.ok(CURRENT, as_=await f.student(api)))["programme"]
    assert seen == created


async def test_a_new_programme_has_the_real_programmes_limits_by_default(api: Api) -> None:
    created = (
        await api.ok(CREATE, {"input": {"name": "Defaults"}}, as_=api.person(Role.COORDINATOR))
    )["createProgramme"]
    assert created["studentPendingLimit"] == 1
    assert created["mentorPendingLimit"] == 2
    assert created["requestExpiryHours"] == 72
    assert created["phases"] == []
    assert created["currentPhases"] == []


async def test_a_programme_can_start_with_request_expiry_off(api: Api) -> None:
    coordinator = api.person(Role.COORDINATOR)
    variables = {"input": {"name": "No expiry", "limits": {"requestExpiryOff": True}}}
    created = (await api.ok(CREATE, variables, as_=coordinator))["createProgramme"]
    assert created["requestExpiryHours"] is None
    current = (await api.ok(CURRENT, as_=coordinator))["programme"]
    assert current["requestExpiryHours"] is None


async def test_a_coordinator_changes_the_name_dates_and_limits(api: Api) -> None:
    coordinator = api.person(Role.COORDINATOR)
    programme_id = await f.programme(api, coordinator)
    changed = (
        await api.ok(
            UPDATE,
            {
                "id": programme_id,
                "input": {
                    "name": "Mentoring 2026 (spring)",
                    "phases": [dates(api, "STUDENT_REQUESTS", 3, 9)],
                    "limits": {"mentorPendingLimit": 1, "requestExpiryOff": True},
                },
            },
            as_=coordinator,
        )
    )["updateProgramme"]
    assert changed["name"] == "Mentoring 2026 (spring)"
    assert changed["mentorPendingLimit"] == 1
    assert changed["requestExpiryHours"] is None
    requests = next(p for p in changed["phases"] if p["phase"] == "STUDENT_REQUESTS")
    assert requests["opensOn"] == (f.today(api) + timedelta(days=3)).isoformat()
    assert requests["isOpen"] is False
    # The phases not mentioned keep their dates.
    assert {p["phase"] for p in changed["phases"]} == {
        "MENTOR_SIGNUP",
        "STUDENT_REQUESTS",
        "PROGRAMME",
    }


@pytest.mark.parametrize("role", [Role.STUDENT, Role.MENTOR])
async def test_only_coordinators_create_or_change_programmes(api: Api, role: Role) -> None:
    programme_id = await f.programme(api)
    someone = api.person(role)
    error = await api.error(CREATE, {"input": {"name": "Mine"}}, as_=someone)
    assert error["extensions"]["code"] == "FORBIDDEN"
    assert error["message"] == "Only a coordinator can do that."
    error = await api.error(UPDATE, {"id": programme_id, "input": {"name": "Mine"}}, as_=someone)
    assert error["extensions"]["code"] == "FORBIDDEN"


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"name": "   "}, "The programme name cannot be empty."),
        ({"name": "x" * 201}, "The programme name can be at most 200 characters."),
        ({"timezone": "Mars/Olympus"}, "'Mars/Olympus' is not a time zone name"),
        ({"limits": {"studentPendingLimit": 0}}, "Student pending limit must be between 1 and 10."),
        ({"limits": {"mentorPendingLimit": 11}}, "Mentor pending limit must be between 1 and 10."),
        ({"limits": {"requestExpiryHours": 0}}, "Request expiry must be between 1 hour"),
        ({"limits": {"reminderHoursBeforeExpiry": -1}}, "The reminder must come between"),
        ({"phases": "backwards"}, "Mentor sign-up must open before it closes."),
        ({"phases": "twice"}, "The dates for mentor sign-up are given twice."),
    ],
)
async def test_invalid_programme_input_is_refused_with_a_sentence(
    api: Api, change: dict[str, Any], message: str
) -> None:
    phases = {
        "backwards": [dates(api, "MENTOR_SIGNUP", 5, 1)],
        "twice": [dates(api, "MENTOR_SIGNUP", 1, 5), dates(api, "MENTOR_SIGNUP", 2, 6)],
    }
    if isinstance(change.get("phases"), str):
        change = {**change, "phases": phases[change["phases"]]}
    error = await api.error(
        CREATE, {"input": {"name": "Mentoring 2027", **change}}, as_=api.person(Role.COORDINATOR)
    )
    assert error["extensions"]["code"] == "INVALID_INPUT"
    assert error["message"].startswith(message)


async def test_invalid_changes_leave_the_programme_as_it_was(api: Api) -> None:
    coordinator = api.person(Role.COORDINATOR)
    programme_id = await f.programme(api, coordinator)
    before = (await api.ok(CURRENT, as_=coordinator))["programme"]
    error = await api.error(
        UPDATE,
        {
            "id": programme_id,
            "input": {
                "name": "Renamed",
                "phases": [dates(api, "PROGRAMME", 9, 3)],
                "limits": {"mentorPendingLimit": 1},
            },
        },
        as_=coordinator,
    )
    assert error["extensions"]["code"] == "INVALID_INPUT"
    assert (await api.ok(CURRENT, as_=coordinator))["programme"] == before


async def test_two_programmes_cannot_share_a_name(api: Api) -> None:
    coordinator = api.person(Role.COORDINATOR)
    await f.programme(api, coordinator, name="Mentoring 2026")
    error = await api.error(CREATE, {"input": {"name": "Mentoring 2026"}}, as_=coordinator)
    assert error["extensions"]["code"] == "CONFLICT"
    assert error["message"] == "A programme called 'Mentoring 2026' already exists."


@pytest.mark.parametrize(
    ("programme_id", "code"),
    [("UHJvZ3JhbW1lOjQwNA==", "NOT_FOUND"), ("not-an-id", "INVALID_INPUT")],
)
async def test_changing_a_programme_that_does_not_exist_says_so(
    api: Api, programme_id: str, code: str
) -> None:
    error = await api.error(
        UPDATE, {"id": programme_id, "input": {"name": "X"}}, as_=api.person(Role.COORDINATOR)
    )
    assert error["extensions"]["code"] == code
    assert error["message"].endswith(".")


async def test_mentor_sign_up_outside_its_dates_is_closed_with_the_dates(api: Api) -> None:
    await f.programme(api, signup=(-20, -5))
    error = await api.error(
        f.CREATE_MENTOR, {"input": {"headline": "Too late"}}, as_=api.person(Role.MENTOR)
    )
    assert error["extensions"]["code"] == "PHASE_CLOSED"
    assert error["extensions"]["phase"] == "MENTOR_SIGNUP"
    assert error["message"].startswith("Mentor sign-up in Mentoring 2026 is open from ")
    assert "(Europe/Helsinki time)" in error["message"]


async def test_moving_the_dates_reopens_a_phase(api: Api) -> None:
    coordinator = api.person(Role.COORDINATOR)
    programme_id = await f.programme(api, coordinator, requests=(5, 10))
    _, mentor_id = await f.mentor(api)
    student = await f.student(api)
    error = await api.error(f.SEND, {"mentorId": mentor_id, "message": ""}, as_=student)
    assert error["extensions"]["code"] == "PHASE_CLOSED"
    await api.ok(
        UPDATE,
        {"id": programme_id, "input": {"phases": [dates(api, "STUDENT_REQUESTS", 0, 10)]}},
        as_=coordinator,
    )
    await f.send(api, student, mentor_id)


async def test_after_the_request_window_only_a_coordinator_override_decides(api: Api) -> None:
    await f.programme(api, requests=(-3, 2))
    mentor, mentor_id = await f.mentor(api, capacity=2)
    first = await f.send(api, await f.student(api), mentor_id)
    second = await f.send(api, await f.student(api), mentor_id)
    api.server.clock.advance(days=4)  # the window has closed; the programme has not begun

    error = await api.error(f.ACCEPT, {"id": first}, as_=mentor)
    assert error["extensions"]["code"] == "PHASE_CLOSED"
    coordinator = api.person(Role.COORDINATOR)
    error = await api.error(f.ACCEPT, {"id": first}, as_=coordinator)
    assert error["extensions"]["code"] == "FORBIDDEN"
    assert "override" in error["message"]

    accepted = (await api.ok(OVERRIDE, {"id": first, "decision": "ACCEPT"}, as_=coordinator))[
        "overrideRequest"
    ]
    assert accepted["status"] == "ACCEPTED"
    rejected = (
        await api.ok(
            OVERRIDE,
            {"id": second, "decision": "REJECT", "reason": "Too far apart."},
            as_=coordinator,
        )
    )["overrideRequest"]
    assert (rejected["status"], rejected["reason"]) == ("REJECTED", "Too far apart.")


async def test_a_coordinator_override_still_keeps_the_capacity_rules(api: Api) -> None:
    await f.programme(api, requests=(-3, 2))
    _, mentor_id = await f.mentor(api, capacity=1)
    request_id = await f.send(api, await f.student(api), mentor_id)
    api.server.clock.advance(days=4)
    coordinator = api.person(Role.COORDINATOR)
    await api.ok(OVERRIDE, {"id": request_id, "decision": "ACCEPT"}, as_=coordinator)
    # The same request again is the same single transition, not a second mentee.
    again = (await api.ok(OVERRIDE, {"id": request_id, "decision": "ACCEPT"}, as_=coordinator))[
        "overrideRequest"
    ]
    assert again["status"] == "ACCEPTED"
    error = await api.error(OVERRIDE, {"id": request_id, "decision": "WITHDRAW"}, as_=coordinator)
    assert error["extensions"]["code"] == "REQUEST_NOT_PENDING"
    seen = (await api.ok(MENTOR, {"id": mentor_id}, as_=coordinator))["mentor"]
    assert seen["availability"] == "FULL"


async def test_a_coordinator_withdraws_a_students_request_whatever_the_date(api: Api) -> None:
    await f.programme(api, requests=(-3, 2))
    _, mentor_id = await f.mentor(api)
    student = await f.student(api)
    request_id = await f.send(api, student, mentor_id)
    api.server.clock.advance(days=4)
    withdrawn = (
        await api.ok(
            OVERRIDE, {"id": request_id, "decision": "WITHDRAW"}, as_=api.person(Role.COORDINATOR)
        )
    )["overrideRequest"]
    assert withdrawn["status"] == "WITHDRAWN"
    assert (await api.ok(MY_REQUESTS, as_=student))["myRequests"][0]["status"] == "WITHDRAWN"


async def test_mentors_may_still_answer_once_the_programme_has_begun(api: Api) -> None:
    await f.programme(api, requests=(-3, 2))
    mentor, mentor_id = await f.mentor(api)
    request_id = await f.send(api, await f.student(api), mentor_id)
    api.server.clock.advance(days=31)  # the programme phase opens on day 30
    accepted = (await api.ok(f.ACCEPT, {"id": request_id}, as_=mentor))["acceptRequest"]
    assert accepted["status"] == "ACCEPTED"


async def test_only_coordinators_override(api: Api) -> None:
    await f.programme(api)
    mentor, mentor_id = await f.mentor(api)
    student = await f.student(api)
    request_id = await f.send(api, student, mentor_id)
    for someone in (mentor, student):
        error = await api.error(OVERRIDE, {"id": request_id, "decision": "ACCEPT"}, as_=someone)
        assert error["extensions"]["code"] == "FORBIDDEN"
        assert error["message"] == "Only a coordinator can do that."
    assert (await api.ok(MY_REQUESTS, as_=student))["myRequests"][0]["status"] == "PENDING"


async def test_a_higher_student_limit_lets_a_student_wait_on_two_mentors(api: Api) -> None:
    coordinator = api.person(Role.COORDINATOR)
    programme_id = await f.programme(api, coordinator)
    await api.ok(
        UPDATE,
        {"id": programme_id, "input": {"limits": {"studentPendingLimit": 2}}},
        as_=coordinator,
    )
    first_mentor, first_id = await f.mentor(api)
    _, second_id = await f.mentor(api)
    student = await f.student(api)
    chosen = await f.send(api, student, first_id)
    other = await f.send(api, student, second_id)
    await api.ok(f.ACCEPT, {"id": chosen}, as_=first_mentor)
    # Matched, the student stops waiting on the other mentor at once.
    mine = {r["id"]: r for r in (await api.ok(MY_REQUESTS, as_=student))["myRequests"]}
    assert mine[chosen]["status"] == "ACCEPTED"
    assert mine[other]["status"] == "WITHDRAWN"
    assert mine[other]["reason"] == "The student was matched with another mentor."
    seen = (await api.ok(MENTOR, {"id": second_id}, as_=coordinator))["mentor"]
    assert seen["availability"] == "AVAILABLE"


async def test_a_lower_mentor_limit_makes_a_mentor_busy_sooner(api: Api) -> None:
    coordinator = api.person(Role.COORDINATOR)
    programme_id = await f.programme(api, coordinator)
    await api.ok(
        UPDATE,
        {"id": programme_id, "input": {"limits": {"mentorPendingLimit": 1}}},
        as_=coordinator,
    )
    _, mentor_id = await f.mentor(api, capacity=2)
    await f.send(api, await f.student(api), mentor_id)
    late = await f.student(api)
    error = await api.error(f.SEND, {"mentorId": mentor_id, "message": ""}, as_=late)
    assert error["extensions"]["code"] == "MENTOR_BUSY"
    assert (await api.ok(MENTOR, {"id": mentor_id}, as_=late))["mentor"]["availability"] == "BUSY"


async def test_a_new_pending_limit_tells_subscribers_which_mentors_became_busy(
    api: Api, engine: AsyncEngine
) -> None:
    coordinator = api.person(Role.COORDINATOR)
    programme_id = await f.programme(api, coordinator)
    _, waiting_id = await f.mentor(api, capacity=2)
    _, idle_id = await f.mentor(api, capacity=2)
    await f.send(api, await f.student(api), waiting_id)
    limits = {"id": programme_id, "input": {"limits": {"mentorPendingLimit": 1}}}
    await api.ok(UPDATE, limits, as_=coordinator)
    async with engine.connect() as db:
        payloads = list(
            await db.scalars(
                select(Event.payload)
                .where(Event.kind == EventKind.MENTOR_AVAILABILITY_CHANGED)
                .order_by(Event.seq)
            )
        )
    last = {p["mentorId"]: p["availability"] for p in payloads}
    assert last[decode(waiting_id, "Mentor")] == "BUSY"
    assert last[decode(idle_id, "Mentor")] == "AVAILABLE"


async def test_a_coordinators_override_is_told_as_the_coordinators_doing(
    api: Api, engine: AsyncEngine
) -> None:
    coordinator = api.person(Role.COORDINATOR)
    await f.programme(api, coordinator)
    mentor, mentor_id = await f.mentor(api)
    student = await f.student(api)
    request_id = await f.send(api, student, mentor_id)
    await api.ok(OVERRIDE, {"id": request_id, "decision": "ACCEPT"}, as_=coordinator)
    async with engine.connect() as db:
        accepted = (
            await db.scalars(select(Event.payload).where(Event.kind == EventKind.REQUEST_ACCEPTED))
        ).one()
        to_mentor = (
            await db.scalars(
                select(OutboxMessage.body_text).where(
                    OutboxMessage.kind == "request_accepted",
                    OutboxMessage.to_address == mentor.email,
                )
            )
        ).one()
    assert accepted["byCoordinator"] is True
    assert "coordinators have matched you with" in to_mentor
    assert "Thank you for accepting" not in to_mentor


async def test_the_programme_says_what_day_it_is_there_by_the_servers_clock(api: Api) -> None:
    await f.programme(api)
    student = await f.student(api)
    today = "{ programme { today } }"
    assert (await api.ok(today, as_=student))["programme"]["today"] == "2026-01-22"
    # 23:30 UTC is already the next day in Helsinki.
    api.server.clock.advance(hours=13, minutes=30)
    assert (await api.ok(today, as_=student))["programme"]["today"] == "2026-01-23"
