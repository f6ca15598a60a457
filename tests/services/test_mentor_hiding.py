"""A coordinator takes a mentor off the students' list, with a reason the mentor is told by
email: the students waiting are answered as when a mentor withdraws, accepted mentees stay, and
the mentor cannot publish again until a coordinator lets them."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from db.models import Role
from schema.ids import decode
from services.mentor_hiding import HIDDEN_REASON
from tests import factories as f
from tests.clients import Api, Person
from tests.clock import FakeClock
from tests.conftest import START, server_settings
from tests.databases import fresh_database, logged, outbox
from tests.mail import smtp_sink
from tests.servers import running_server
from tests.waiting import eventually

HIDDEN = "hiddenByCoordinator { hiddenAt reason }"
HIDE = f"""mutation($mentor: ID!, $reason: String!) {{
  hideMentor(mentorId: $mentor, reason: $reason) {{ id status availability {HIDDEN} }}
}}"""
UNHIDE = f"""mutation($mentor: ID!) {{
  unhideMentor(mentorId: $mentor) {{ id status availability {HIDDEN} }}
}}"""
PUBLISH = "mutation { publishMentorProfile { id status availability } }"
WITHDRAW_PROFILE = "mutation { withdrawMentorProfile { id status } }"
MINE = f"{{ myMentorProfile {{ status availability {HIDDEN} }} }}"
MENTOR = f"query($id: ID!) {{ mentor(id: $id) {{ availability {HIDDEN} }} }}"
MY_REQUESTS = "{ myRequests { id status reason } }"
LISTED = "{ mentors { edges { node { id } } } }"
REASON = "A student reported missed meetings; we are looking into it."


async def a_mentor_with_students(api: Api) -> tuple[Person, Person, str, Person, list[Person]]:
    """A coordinator; a mentor of two places with one mentee accepted and two students
    waiting for an answer."""
    coordinator = api.person(Role.COORDINATOR)
    await f.programme(api, coordinator)
    mentor, mentor_id = await f.mentor(
        api, api.person(Role.MENTOR, "Maija Mentor", email="maija@example.fi"), capacity=2
    )
    mentee = await f.student(api, api.person(Role.STUDENT, "Mia Matched"))
    await api.ok(f.ACCEPT, {"id": await f.send(api, mentee, mentor_id)}, as_=mentor)
    waiting = []
    for name in ("Sami Student", "Olli Odottaja"):
        student = await f.student(api, api.person(Role.STUDENT, name))
        await f.send(api, student, mentor_id)
        waiting.append(student)
    return coordinator, mentor, mentor_id, mentee, waiting


async def listed(api: Api) -> set[str]:
    found = (await api.ok(LISTED, as_=await f.student(api)))["mentors"]
    return {edge["node"]["id"] for edge in found["edges"]}


async def test_hiding_a_mentor_answers_the_waiting_students_and_tells_the_mentor_why(
    api: Api, engine: AsyncEngine
) -> None:
    coordinator, _, mentor_id, mentee, waiting = await a_mentor_with_students(api)

    variables = {"mentor": mentor_id, "reason": f"  {REASON}\n"}
    hidden = (await api.ok(HIDE, variables, as_=coordinator))["hideMentor"]
    now = api.server.clock()
    assert (hidden["status"], hidden["availability"]) == ("WITHDRAWN", "HIDDEN")
    assert hidden["hiddenByCoordinator"] == {"hiddenAt": now.isoformat(), "reason": REASON}
    assert mentor_id not in await listed(api)

    # As when a mentor withdraws: each waiting student is answered, released and told.
    for student in waiting:
        [answered] = (await api.ok(MY_REQUESTS, as_=student))["myRequests"]
        assert (answered["status"], answered["reason"]) == ("REJECTED", HIDDEN_REASON)
    [kept] = (await api.ok(MY_REQUESTS, as_=mentee))["myRequests"]
    assert kept["status"] == "ACCEPTED"  # the mentee stays the mentor's
    _, other = await f.mentor(api)
    for student in waiting:
        await f.send(api, student, other)

    declined = await outbox(engine, "request_rejected")
    assert len(declined) == 2
    assert all(HIDDEN_REASON in m.body_text and REASON not in m.body_text for m in declined)
    [letter] = await outbox(engine, "mentor_hidden")
    assert letter.to_address == "maija@example.fi"
    assert letter.subject == "[Mentoring 2026] Your mentor profile was taken off the list"
    assert REASON in letter.body_text
    assert "The 2 students who were waiting for your answer have been told" in letter.body_text
    assert "reply to this email" in letter.body_text

    # Live lists drop the mentor at once; the log holds ids and counts, never the reason.
    key = decode(mentor_id, "Mentor")
    changes = [
        e for e in await logged(engine, "MENTOR_AVAILABILITY_CHANGED") if e["mentorId"] == key
    ]
    assert (changes[-1]["previous"], changes[-1]["availability"]) == ("BUSY", "HIDDEN")
    [event] = await logged(engine, "MENTOR_HIDDEN")
    assert event == {"mentorId": key, "requestsClosed": 2}


async def test_a_hidden_mentor_cannot_publish_until_a_coordinator_lets_them(
    api: Api, engine: AsyncEngine
) -> None:
    coordinator = api.person(Role.COORDINATOR)
    await f.programme(api, coordinator)
    mentor, mentor_id = await f.mentor(api)
    await api.ok(HIDE, {"mentor": mentor_id, "reason": "Identity check failed."}, as_=coordinator)

    error = await api.error(PUBLISH, as_=mentor)
    assert error["extensions"]["code"] == "MENTOR_HIDDEN_BY_COORDINATOR"
    assert (
        "A coordinator of Mentoring 2026 took your profile off the students' list"
        in (error["message"])
    )
    assert "contact the programme's coordinators" in error["message"]
    assert error["extensions"]["reason"] == "Identity check failed."
    # Withdrawing (already off the list) and editing the profile stay possible.
    await api.ok(WITHDRAW_PROFILE, as_=mentor)
    mine = (await api.ok(MINE, as_=mentor))["myMentorProfile"]
    assert mine["hiddenByCoordinator"]["reason"] == "Identity check failed."

    let = (await api.ok(UNHIDE, {"mentor": mentor_id}, as_=coordinator))["unhideMentor"]
    # Letting them publish does not publish: the mentor does.
    assert (let["availability"], let["hiddenByCoordinator"]) == ("HIDDEN", None)
    assert mentor_id not in await listed(api)
    [letter] = await outbox(engine, "mentor_unhidden")
    assert "publish it on your page" in letter.body_text
    # Letting again changes nothing and tells nobody again.
    await api.ok(UNHIDE, {"mentor": mentor_id}, as_=coordinator)
    assert len(await outbox(engine, "mentor_unhidden")) == 1
    assert len(await logged(engine, "MENTOR_UNHIDDEN")) == 1

    published = (await api.ok(PUBLISH, as_=mentor))["publishMentorProfile"]
    assert published["availability"] == "AVAILABLE"
    assert mentor_id in await listed(api)


async def test_only_the_mentor_and_coordinators_read_why(api: Api) -> None:
    coordinator, mentor, mentor_id, _, [asked, _] = await a_mentor_with_students(api)
    await api.ok(HIDE, {"mentor": mentor_id, "reason": REASON}, as_=coordinator)

    # A student who asked still sees the mentor (their request names them), not why.
    seen = (await api.ok(MENTOR, {"id": mentor_id}, as_=asked))["mentor"]
    assert seen == {"availability": "HIDDEN", "hiddenByCoordinator": None}
    for person in (mentor, coordinator, api.person(Role.COORDINATOR)):
        seen = (await api.ok(MENTOR, {"id": mentor_id}, as_=person))["mentor"]
        assert seen["hiddenByCoordinator"]["reason"] == REASON


async def test_only_coordinators_hide_and_each_mentor_is_hidden_once(
    api: Api, engine: AsyncEngine
) -> None:
    coordinator, mentor, mentor_id, _, [student, _] = await a_mentor_with_students(api)
    variables = {"mentor": mentor_id, "reason": REASON}
    for person in (mentor, student):
        for query, given in ((HIDE, variables), (UNHIDE, {"mentor": mentor_id})):
            error = await api.error(query, given, as_=person)
            assert error["extensions"]["code"] == "FORBIDDEN"
    assert (await api.error(HIDE, variables))["extensions"]["code"] == "UNAUTHENTICATED"
    empty = await api.error(HIDE, {"mentor": mentor_id, "reason": "  "}, as_=coordinator)
    assert (empty["extensions"]["code"], empty["extensions"]["field"]) == (
        "INVALID_INPUT",
        "reason",
    )
    missing = {"mentor": "TWVudG9yOjk5OTk5OQ==", "reason": REASON}  # Mentor:999999
    error = await api.error(HIDE, missing, as_=coordinator)
    assert error["extensions"]["code"] == "NOT_FOUND"
    assert mentor_id in await listed(api)  # nothing of that changed anything

    # Two coordinators at the same moment: one hides, the other is told; one letter.
    other = api.person(Role.COORDINATOR)
    results = await asyncio.gather(
        *(api.result(HIDE, variables, as_=who) for who in (coordinator, other) * 2)
    )
    assert sorted(code_of(r) for r in results) == ["MENTOR_ALREADY_HIDDEN"] * 3 + ["OK"]
    assert len(await outbox(engine, "mentor_hidden")) == 1
    assert len(await outbox(engine, "request_rejected")) == 2


def code_of(result: dict[str, Any]) -> str:
    return str(result["errors"][0]["extensions"]["code"]) if result.get("errors") else "OK"


async def test_a_mentor_publishing_as_a_coordinator_hides_them_ends_hidden(api: Api) -> None:
    coordinator = api.person(Role.COORDINATOR)
    await f.programme(api, coordinator)
    mentor, mentor_id = await f.mentor(api)
    for _ in range(5):
        await api.ok(WITHDRAW_PROFILE, as_=mentor)
        hide, publish = await asyncio.gather(
            api.result(HIDE, {"mentor": mentor_id, "reason": REASON}, as_=coordinator),
            api.result(PUBLISH, as_=mentor),
        )
        # Whichever came first, the coordinator's hiding holds: published a moment before, the
        # mentor is taken off again; hidden first, the mentor's publishing is refused.
        assert code_of(hide) == "OK"
        assert code_of(publish) in ("OK", "MENTOR_HIDDEN_BY_COORDINATOR")
        mine = (await api.ok(MINE, as_=mentor))["myMentorProfile"]
        assert (mine["status"], mine["availability"]) == ("WITHDRAWN", "HIDDEN")
        assert mentor_id not in await listed(api)
        await api.ok(UNHIDE, {"mentor": mentor_id}, as_=coordinator)


ERASE = "mutation($id: ID!) { erasePerson(id: $id) { personId } }"
MY_STUDENT = "{ myStudentProfile { id } }"


async def test_erasure_keeps_what_students_read_and_takes_names_out_of_a_reason(
    api: Api,
) -> None:
    coordinator, _, mentor_id, _, [sami, _] = await a_mentor_with_students(api)
    reason = "Sami Student complained about missed meetings."
    await api.ok(HIDE, {"mentor": mentor_id, "reason": reason}, as_=coordinator)
    sami_id = (await api.ok(MY_STUDENT, as_=sami))["myStudentProfile"]["id"]

    await api.ok(ERASE, {"id": sami_id}, as_=coordinator)
    seen = (await api.ok(MENTOR, {"id": mentor_id}, as_=coordinator))["mentor"]
    assert seen["hiddenByCoordinator"]["reason"] == "[erased] complained about missed meetings."

    await api.ok(ERASE, {"id": mentor_id}, as_=coordinator)
    seen = (await api.ok(MENTOR, {"id": mentor_id}, as_=coordinator))["mentor"]
    assert seen["hiddenByCoordinator"] is None  # written about the mentor: gone with them
    requests = await api.ok("{ requests { edges { node { status reason } } } }", as_=coordinator)
    reasons = {e["node"]["reason"] for e in requests["requests"]["edges"]}
    assert HIDDEN_REASON in reasons  # the programme's sentence, not a person's


@pytest.fixture(params=["sqlite", "postgresql"])
async def own_database(
    request: pytest.FixtureRequest, tmp_path: Path
) -> AsyncIterator[tuple[str, AsyncEngine]]:
    """A database of the test's own: the suite's shared server would deliver its mail too."""
    async with fresh_database(request.param, tmp_path) as found:
        yield found


async def test_the_mentor_reads_why_in_a_letter_through_a_real_mail_server(
    own_database: tuple[str, AsyncEngine], tmp_path: Path
) -> None:
    url, _ = own_database
    async with smtp_sink() as sink:
        settings = server_settings(
            url, tmp_path / "mail", public_url="https://mentoring.example.edu", **sink.settings()
        )
        async with (
            running_server(settings, FakeClock(START)) as server,
            httpx.AsyncClient(base_url=server.url, timeout=30) as client,
        ):
            api = Api(server=server, client=client)
            coordinator, _, mentor_id, _, _ = await a_mentor_with_students(api)
            await api.ok(HIDE, {"mentor": mentor_id, "reason": REASON}, as_=coordinator)

            def to(address: str, subject: str) -> list[EmailMessage]:
                return [
                    m
                    for m in sink.messages()
                    if str(m["To"]) == address and subject in str(m["Subject"])
                ]

            async def arrived() -> list[EmailMessage] | None:
                found = to("maija@example.fi", "taken off the list")
                declined = [m for m in sink.messages() if "was not accepted" in str(m["Subject"])]
                return found if found and len(declined) >= 2 else None

            [letter] = await eventually(arrived, what="the letters to arrive", within=30)
            declined = [m for m in sink.messages() if "was not accepted" in str(m["Subject"])]
    assert str(letter["Subject"]) == "[Mentoring 2026] Your mentor profile was taken off the list"
    body = letter.get_body(("plain",))
    assert body is not None
    text = body.get_content().replace("\r\n", "\n")
    assert "Dear Maija Mentor" in text
    assert f"The coordinator's reason:\n{REASON}" in text
    assert "https://mentoring.example.edu/mentor" in text
    for message in declined:
        student_body = message.get_body(("plain",))
        assert student_body is not None
        student_text = student_body.get_content()
        assert HIDDEN_REASON in student_text
        assert REASON not in student_text
