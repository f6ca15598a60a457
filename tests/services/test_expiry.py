"""Rule 9: an unanswered request reminds its mentor, then expires, releasing both sides. The
clock moves; a periodic round runs directly, as the server's task would."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncEngine

from app.scheduler import Scheduler
from db.models import Role
from tests import factories as f
from tests.clients import Api
from tests.databases import logged, outbox
from tests.waiting import eventually

MY_REQUESTS = "{ myRequests { id status reason expiresAt } }"
MENTOR = "query($id: ID!) { mentor(id: $id) { availability } }"
UPDATE = """mutation($id: ID!) {
  updateProgramme(id: $id, input: {limits: {requestExpiryOff: true}}) { requestExpiryHours }
}"""


def scheduler(api: Api) -> Scheduler:
    found: Scheduler = api.server.app.state.scheduler
    return found


async def test_the_mentor_is_reminded_once_then_the_request_expires_and_frees_both(
    api: Api, engine: AsyncEngine
) -> None:
    await f.programme(api, name="Mentoring 2026")
    mentor, mentor_id = await f.mentor(api, capacity=2)
    student = await f.student(api, api.person(Role.STUDENT, "Aino Student"))
    await f.send(api, student, mentor_id, "Could you help me?")
    clock = api.server.clock

    clock.advance(hours=47, minutes=59)  # the reminder is due 24 h before the 72 h expiry
    await scheduler(api).run_round()
    assert await outbox(engine, "request_reminder") == []

    clock.advance(minutes=2)
    await scheduler(api).run_round()
    await scheduler(api).run_round()
    [reminder] = await outbox(engine, "request_reminder")
    assert reminder.to_address == mentor.email
    assert reminder.subject == "[Mentoring 2026] Reminder: Aino Student is waiting for your answer"
    assert "expires on Sun 25 Jan 2026 at 12:00 (Europe/Helsinki time)" in reminder.body_text
    assert len(await logged(engine, "REQUEST_REMINDED")) == 1
    assert (await api.ok(MY_REQUESTS, as_=student))["myRequests"][0]["status"] == "PENDING"

    clock.advance(hours=24)
    await scheduler(api).run_round()
    await scheduler(api).run_round()
    [seen] = (await api.ok(MY_REQUESTS, as_=student))["myRequests"]
    assert seen["status"] == "EXPIRED"
    assert seen["reason"] == "The mentor did not answer in time."
    assert len(await logged(engine, "REQUEST_EXPIRED")) == 1
    expired = await outbox(engine, "request_expired")
    assert sorted(m.to_address for m in expired) == sorted([student.email, mentor.email])
    to_student = next(m for m in expired if m.to_address == student.email)
    assert "You may ask another mentor now" in to_student.body_text

    # Both sides are free again: the student asks someone else, the mentor's slot is back.
    _, other_id = await f.mentor(api)
    await f.send(api, student, other_id)
    coordinator = api.person(Role.COORDINATOR)
    seen_mentor = (await api.ok(MENTOR, {"id": mentor_id}, as_=coordinator))["mentor"]
    assert seen_mentor["availability"] == "AVAILABLE"


async def test_no_request_expires_when_the_programme_turns_expiry_off(
    api: Api, engine: AsyncEngine
) -> None:
    coordinator = api.person(Role.COORDINATOR)
    programme_id = await f.programme(api, coordinator)
    await api.ok(UPDATE, {"id": programme_id}, as_=coordinator)
    _, mentor_id = await f.mentor(api)
    student = await f.student(api)
    await f.send(api, student, mentor_id)
    api.server.clock.advance(days=30)
    await scheduler(api).run_round()
    [seen] = (await api.ok(MY_REQUESTS, as_=student))["myRequests"]
    assert seen["status"] == "PENDING"
    assert seen["expiresAt"] is None
    assert await outbox(engine, "request_reminder") == []


async def test_an_answered_request_never_expires(api: Api, engine: AsyncEngine) -> None:
    await f.programme(api)
    mentor, mentor_id = await f.mentor(api)
    student = await f.student(api)
    request_id = await f.send(api, student, mentor_id)
    api.server.clock.advance(hours=10)
    await api.ok(f.ACCEPT, {"id": request_id}, as_=mentor)
    api.server.clock.advance(days=5)
    await scheduler(api).run_round()
    [seen] = (await api.ok(MY_REQUESTS, as_=student))["myRequests"]
    assert seen["status"] == "ACCEPTED"
    assert await outbox(engine, "request_expired") == []
    assert await logged(engine, "REQUEST_EXPIRED") == []


async def test_a_shorter_expiry_with_a_long_reminder_sends_no_reminder(
    api: Api, engine: AsyncEngine
) -> None:
    await f.programme(api, limits={"requestExpiryHours": 12, "reminderHoursBeforeExpiry": 24})
    _, mentor_id = await f.mentor(api)
    student = await f.student(api)
    await f.send(api, student, mentor_id)
    api.server.clock.advance(hours=6)
    await scheduler(api).run_round()
    assert await outbox(engine, "request_reminder") == []
    api.server.clock.advance(hours=6)
    await scheduler(api).run_round()
    assert (await api.ok(MY_REQUESTS, as_=student))["myRequests"][0]["status"] == "EXPIRED"


async def test_the_servers_own_periodic_task_expires_requests_when_poked(api: Api) -> None:
    await f.programme(api)
    _, mentor_id = await f.mentor(api)
    student = await f.student(api)
    await f.send(api, student, mentor_id)
    api.server.clock.advance(hours=73)
    scheduler(api).poke()

    async def expired() -> bool:
        seen = (await api.ok(MY_REQUESTS, as_=student))["myRequests"][0]
        return bool(seen["status"] == "EXPIRED")

    await eventually(expired, what="the request to expire", within=60)
