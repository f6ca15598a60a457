"""The request round, rules 4 to 8, as students and mentors meet them through the API."""

from __future__ import annotations

import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine

from db.models import Event, Role
from services import mail
from services.events import EventKind
from tests import factories as f
from tests.clients import Api

MY_REQUESTS = """{ myRequests { id status reason mentor { id displayName contactEmail }
  student { id displayName contactEmail } } }"""
MENTOR = (
    """query($id: ID!) { mentor(id: $id) { id availability remainingCapacity contactEmail } }"""
)
LIST = """query($filter: MentorFilter) {
  mentors(filter: $filter) { totalCount edges { node { id } } }
}"""


async def test_a_whole_round_matches_the_pair_and_shares_contacts_only_with_them(api: Api) -> None:
    await f.programme(api)
    mentor, mentor_id = await f.mentor(api, capacity=1)
    alice = await f.student(api, api.person(Role.STUDENT, "Alice Student"))
    bob = await f.student(api, api.person(Role.STUDENT, "Bob Student"))

    alice_request = await f.send(api, alice, mentor_id, "I would love your advice.")
    bob_request = await f.send(api, bob, mentor_id)

    inbox = (await api.ok(MY_REQUESTS, as_=mentor))["myRequests"]
    assert {r["id"] for r in inbox} == {alice_request, bob_request}
    assert all(r["student"]["contactEmail"] is None for r in inbox)  # not before acceptance

    accepted = (await api.ok(f.ACCEPT, {"id": alice_request}, as_=mentor))["acceptRequest"]
    assert accepted["status"] == "ACCEPTED"

    # Bob's pending request closed the moment the mentor filled up, with the reason.
    bob_view = (await api.ok(MY_REQUESTS, as_=bob))["myRequests"]
    assert bob_view[0]["status"] == "CLOSED_MENTOR_FULL"
    assert bob_view[0]["reason"] == "mentor is full"
    assert bob_view[0]["mentor"]["contactEmail"] is None

    # The pair see each other's email; nobody else does.
    alice_view = (await api.ok(MY_REQUESTS, as_=alice))["myRequests"][0]
    assert alice_view["mentor"]["contactEmail"] == mentor.email
    inbox = {r["id"]: r for r in (await api.ok(MY_REQUESTS, as_=mentor))["myRequests"]}
    assert inbox[alice_request]["student"]["contactEmail"] == alice.email
    assert inbox[bob_request]["student"]["contactEmail"] is None

    # The full mentor left the students' list; coordinators still see them as FULL.
    carol = await f.student(api)
    listed = (await api.ok(LIST, as_=carol))["mentors"]
    assert mentor_id not in {e["node"]["id"] for e in listed["edges"]}
    coordinator = api.person(Role.COORDINATOR)
    seen = (await api.ok(MENTOR, {"id": mentor_id}, as_=coordinator))["mentor"]
    assert seen["availability"] == "FULL"
    assert seen["remainingCapacity"] == 0
    assert seen["contactEmail"] is None

    # Bob is free to ask someone else at once.
    _, other_id = await f.mentor(api)
    await f.send(api, bob, other_id)


async def test_a_student_has_one_pending_request_at_a_time(api: Api) -> None:
    await f.programme(api)
    _, first = await f.mentor(api)
    _, second = await f.mentor(api)
    student = await f.student(api)
    await f.send(api, student, first)
    error = await api.error(f.SEND, {"mentorId": second, "message": ""}, as_=student)
    assert error["extensions"]["code"] == "STUDENT_HAS_PENDING_REQUEST"
    assert "already have a request waiting" in error["message"]


async def test_a_mentor_with_two_pending_requests_is_busy(api: Api) -> None:
    await f.programme(api)
    _, mentor_id = await f.mentor(api, capacity=2)
    for _ in range(2):
        await f.send(api, await f.student(api), mentor_id)
    late = await f.student(api)
    error = await api.error(f.SEND, {"mentorId": mentor_id, "message": ""}, as_=late)
    assert error["extensions"]["code"] == "MENTOR_BUSY"
    seen = (await api.ok(MENTOR, {"id": mentor_id}, as_=late))["mentor"]
    assert seen["availability"] == "BUSY"  # still listed, not requestable


async def test_rejection_releases_the_student_and_frees_the_slot(api: Api) -> None:
    await f.programme(api)
    mentor, mentor_id = await f.mentor(api)
    student = await f.student(api)
    request_id = await f.send(api, student, mentor_id)
    rejected = (
        await api.ok(
            f.REJECT, {"id": request_id, "reason": "Our fields are too far apart."}, as_=mentor
        )
    )["rejectRequest"]
    assert rejected == {
        "id": request_id,
        "status": "REJECTED",
        "reason": "Our fields are too far apart.",
    }
    seen = (await api.ok(MENTOR, {"id": mentor_id}, as_=student))["mentor"]
    assert seen["availability"] == "AVAILABLE"
    _, other = await f.mentor(api)
    await api.ok(f.WITHDRAW, {"id": await f.send(api, student, other)}, as_=student)
    # Asking the same mentor again after a rejection is refused.
    error = await api.error(f.SEND, {"mentorId": mentor_id, "message": ""}, as_=student)
    assert error["extensions"]["code"] == "ALREADY_REQUESTED"


async def test_a_student_can_withdraw_a_pending_request(api: Api) -> None:
    await f.programme(api)
    mentor, mentor_id = await f.mentor(api)
    student = await f.student(api)
    request_id = await f.send(api, student, mentor_id)
    withdrawn = (await api.ok(f.WITHDRAW, {"id": request_id}, as_=student))["withdrawRequest"]
    assert withdrawn["status"] == "WITHDRAWN"
    error = await api.error(f.ACCEPT, {"id": request_id}, as_=mentor)
    assert error["extensions"]["code"] == "REQUEST_NOT_PENDING"
    assert "withdrawn" in error["message"]
    _, other = await f.mentor(api)
    await f.send(api, student, other)


async def test_a_matched_student_cannot_request_again(api: Api) -> None:
    await f.programme(api)
    mentor, mentor_id = await f.mentor(api, capacity=2)
    student = await f.student(api)
    await api.ok(f.ACCEPT, {"id": await f.send(api, student, mentor_id)}, as_=mentor)
    _, other = await f.mentor(api)
    error = await api.error(f.SEND, {"mentorId": other, "message": ""}, as_=student)
    assert error["extensions"]["code"] == "STUDENT_ALREADY_MATCHED"


async def test_a_doctoral_student_needs_a_mentor_who_takes_doctoral_students(api: Api) -> None:
    await f.programme(api)
    _, masters_only = await f.mentor(api, degree_levels=["MASTERS"])
    _, both = await f.mentor(api, degree_levels=["MASTERS", "DOCTORAL"])
    doctoral = await f.student(api, degree_level="DOCTORAL")
    error = await api.error(f.SEND, {"mentorId": masters_only, "message": ""}, as_=doctoral)
    assert error["extensions"]["code"] == "DEGREE_LEVEL_MISMATCH"
    await f.send(api, doctoral, both)


async def test_requests_outside_the_request_window_fail_with_the_dates(api: Api) -> None:
    await f.programme(api, requests=(5, 10))
    _, mentor_id = await f.mentor(api)
    student = await f.student(api)
    error = await api.error(f.SEND, {"mentorId": mentor_id, "message": ""}, as_=student)
    assert error["extensions"]["code"] == "PHASE_CLOSED"
    assert "Europe/Helsinki" in error["message"]
    api.server.clock.advance(days=6)
    await f.send(api, student, mentor_id)


async def test_accepting_the_same_request_twice_is_one_transition(api: Api) -> None:
    await f.programme(api)
    mentor, mentor_id = await f.mentor(api, capacity=2)
    request_id = await f.send(api, await f.student(api), mentor_id)
    for _ in range(3):
        again = (await api.ok(f.ACCEPT, {"id": request_id}, as_=mentor))["acceptRequest"]
        assert again["status"] == "ACCEPTED"
    seen = (await api.ok(MENTOR, {"id": mentor_id}, as_=api.person(Role.COORDINATOR)))["mentor"]
    assert seen["remainingCapacity"] == 1


async def test_nothing_is_half_written_when_a_request_fails(
    api: Api, engine: AsyncEngine, monkeypatch: pytest.MonkeyPatch
) -> None:
    await f.programme(api)
    _, mentor_id = await f.mentor(api, capacity=2)
    student = await f.student(api)

    async def mail_server_on_fire(*args: object, **kwargs: object) -> None:
        raise RuntimeError("the outbox could not be written")

    # The failure comes after the mentor's slot and the student's were taken, and the request
    # row written: all of it must be undone, and nothing published.
    monkeypatch.setattr(mail, "request_arrived", mail_server_on_fire)
    error = await api.error(f.SEND, {"mentorId": mentor_id, "message": ""}, as_=student)
    assert error["extensions"]["code"] == "INTERNAL_ERROR"
    assert "nothing was changed" in error["message"]
    monkeypatch.undo()

    assert (await api.ok(MY_REQUESTS, as_=student))["myRequests"] == []
    async with engine.connect() as db:
        kinds = list(await db.scalars(select(Event.kind)))
    assert EventKind.REQUEST_SENT not in kinds
    # Both of the mentor's slots are still free, and the student may still ask.
    await f.send(api, student, mentor_id)
    await f.send(api, await f.student(api), mentor_id)
    coordinator = api.person(Role.COORDINATOR)
    seen = (await api.ok(MENTOR, {"id": mentor_id}, as_=coordinator))["mentor"]
    assert seen["availability"] == "BUSY"


async def test_a_student_may_ask_again_after_withdrawing_but_not_after_a_rejection(
    api: Api,
) -> None:
    await f.programme(api)
    mentor, mentor_id = await f.mentor(api, capacity=2)
    student = await f.student(api)
    await api.ok(f.WITHDRAW, {"id": await f.send(api, student, mentor_id)}, as_=student)
    again = await f.send(api, student, mentor_id)
    await api.ok(f.REJECT, {"id": again, "reason": "Not this year."}, as_=mentor)
    error = await api.error(f.SEND, {"mentorId": mentor_id, "message": ""}, as_=student)
    assert error["extensions"]["code"] == "ALREADY_REQUESTED"
    assert "declined your earlier request" in error["message"]


async def test_a_students_degree_level_stays_while_a_request_waits(api: Api) -> None:
    await f.programme(api)
    _, mentor_id = await f.mentor(api, degree_levels=["MASTERS"])
    student = await f.student(api)
    request_id = await f.send(api, student, mentor_id)
    change = {"input": {"degreeLevel": "DOCTORAL"}}
    error = await api.error(f.STUDENT_PROFILE, change, as_=student)
    assert error["extensions"]["code"] == "INVALID_INPUT"
    assert "withdraw it first" in error["message"]
    await api.ok(f.WITHDRAW, {"id": request_id}, as_=student)
    changed = (await api.ok(f.STUDENT_PROFILE, change, as_=student))["updateStudentProfile"]
    assert changed["degreeLevel"] == "DOCTORAL"
