"""Personal data: a person downloads what is stored about them; erasure leaves their name and
email nowhere in the database (searched in a full dump) while the counts still add up; the
purge anonymises a programme once its retention period is over; dates of birth go once the
identity checks are done."""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine

from app.scheduler import Scheduler
from db.engine import create_sessionmaker
from db.models import MentorProfile, Programme, Role
from live.unit_of_work import UnitOfWork
from schema import ids
from services import events, requests, students
from services.errors import DomainError, ErrorCode
from services.students import StudentInput
from services.viewer import Viewer
from tests import factories as f
from tests.clients import Api, Person, WebSocketClosed, live_client, until_listening
from tests.databases import dump, outbox

ROOT = Path(__file__).resolve().parents[2]
MY_DATA = "{ myPersonalData }"
ERASE_ME = "mutation { eraseMe { personId erasedAt } }"
ERASE = "mutation($id: ID!) { erasePerson(id: $id) { personId } }"
MY_REQUESTS = "{ myRequests { id status reason } }"
MATCHES = "{ matches { totalCount } requests { totalCount } }"
COUNTS = "query($id: ID) { matches(programmeId: $id) { totalCount } }"
MY_MATCHES = "{ myMatches { id } }"
RECORD = """mutation($match: ID!, $on: Date!, $note: String) {
  recordMeeting(matchId: $match, metOn: $on, note: $note) { id }
}"""
BRIEFING = (
    """mutation($input: BriefingSessionInput!) { createBriefingSession(input: $input) { id } }"""
)
SIGN_UP = "mutation($id: ID!) { signUpForBriefing(briefingId: $id) { id } }"
DEFINE = """mutation($input: DefineSurveyInput!) { defineSurvey(input: $input) {
  id questions { id } } }"""
ANSWER = """mutation($survey: ID!, $match: ID!, $answers: [SurveyAnswerInput!]!) {
  answerSurvey(surveyId: $survey, matchId: $match, answers: $answers) { id }
}"""


def canary(api: Api, role: Role, name: str, email: str) -> Person:
    """A person whose name and email appear nowhere else, to be searched for afterwards."""
    return api.person(role, name, email=email)


UPDATE_MENTOR = """mutation($input: MentorProfileInput!) {
  updateMentorProfile(input: $input) { id identityDateHeld }
}"""
CHECK = "query { checkMentorProfile(input: {}) { field } }"


async def born(api: Api, mentor: Person, on: date) -> None:
    """The mentor gives their date of birth for the identity checks: the API takes it and
    never shows it (rule 2)."""
    given = {"input": {"dateOfBirth": on.isoformat()}}
    saved = (await api.ok(UPDATE_MENTOR, given, as_=mentor))["updateMentorProfile"]
    assert saved["identityDateHeld"] is True


async def my_data(api: Api, person: Person) -> dict[str, Any]:
    document: dict[str, Any] = (await api.ok(MY_DATA, as_=person))["myPersonalData"]
    return document


async def only_match(api: Api, person: Person) -> str:
    [match] = (await api.ok(MY_MATCHES, as_=person))["myMatches"]
    match_id: str = match["id"]
    return match_id


async def test_a_person_downloads_everything_stored_about_them(
    api: Api, engine: AsyncEngine
) -> None:
    coordinator = api.person(Role.COORDINATOR)
    await f.programme(api, coordinator, name="Mentoring 2026")
    mentor, mentor_id = await f.mentor(api, api.person(Role.MENTOR, "Maija Mentor"))
    await born(api, mentor, date(1978, 4, 3))
    student = await f.student(api, api.person(Role.STUDENT, "Sami Student"))
    request_id = await f.send(api, student, mentor_id, "Would you mentor me?")
    await api.ok(f.ACCEPT, {"id": request_id}, as_=mentor)
    await api.ok(
        RECORD,
        {"match": await only_match(api, student), "on": str(f.today(api)), "note": "CV"},
        as_=student,
    )

    mine = await my_data(api, mentor)
    assert (mine["person"]["name"], mine["person"]["email"]) == ("Maija Mentor", mentor.email)
    [profile] = mine["mentorProfiles"]
    assert profile["programme"] == "Mentoring 2026"
    assert profile["contactEmail"] == mentor.email
    assert profile["dateOfBirth"] == (
        "stored for identity checks only, never shown; cleared on 2026-02-26"
    )
    assert "1978" not in json.dumps(mine)  # rule 2: never shown, not even to its owner
    [received] = mine["requests"]
    assert (received["direction"], received["counterpart"]) == ("received", "Sami Student")
    [match] = mine["matches"]
    assert (match["as"], match["partner"]) == ("mentor", "Sami Student")
    assert [m["note"] for m in match["meetings"]] == ["CV"]
    assert {e["subject"] for e in mine["emails"]} == {
        "[Mentoring 2026] Sami Student would like you as their mentor",
        "[Mentoring 2026] You are now Sami Student's mentor",
    }

    theirs = await my_data(api, student)
    [sent] = theirs["requests"]
    assert (sent["direction"], sent["message"], sent["status"]) == (
        "sent",
        "Would you mentor me?",
        "ACCEPTED",
    )
    assert theirs["mentorProfiles"] == []
    assert theirs["studentProfiles"][0]["contactEmail"] == student.email


async def test_an_erased_person_is_nowhere_in_the_database_and_the_counts_remain(
    api: Api, engine: AsyncEngine
) -> None:
    name, email = "Zebedee Quillfeather-Canary", "zebedee.canary.7q3@example.org"
    coordinator = api.person(Role.COORDINATOR)
    await f.programme(api, coordinator, name="Mentoring 2026")
    tweety = canary(api, Role.MENTOR, name, email)
    _, mentor_id = await f.mentor(
        api,
        tweety,
        capacity=2,
        headline=f"{name} — data engineer",
        contactEmail=email,
    )
    await born(api, tweety, date(1980, 1, 1))
    matched = await f.student(api, api.person(Role.STUDENT, "Aino Student"))
    waiting = await f.student(api, api.person(Role.STUDENT, "Bertta Student"))
    refused = await f.student(api, api.person(Role.STUDENT, "Celia Student"))

    first = await f.send(api, refused, mentor_id, f"Dear {name}, could you mentor me?")
    await api.ok(f.REJECT, {"id": first, "reason": f"Sorry, {name} is too busy."}, as_=tweety)
    accepted = await f.send(api, matched, mentor_id, f"Hello Zebedee! Write to me, {email}?")
    await api.ok(f.ACCEPT, {"id": accepted}, as_=tweety)
    await f.send(api, waiting, mentor_id, f"Dear {name}")

    starts = (api.server.clock() + timedelta(days=3)).isoformat()
    briefing = await api.ok(
        BRIEFING,
        {
            "input": {
                "audience": "MENTORS",
                "startsAt": starts,
                "capacity": 10,
                "onlineUrl": "https://meet.example.edu/b",
            }
        },
        as_=coordinator,
    )
    await api.ok(SIGN_UP, {"id": briefing["createBriefingSession"]["id"]}, as_=tweety)
    match_id = await only_match(api, matched)
    await api.ok(
        RECORD,
        {"match": match_id, "on": str(f.today(api)), "note": f"Coffee with {name}"},
        as_=matched,
    )
    today = f.today(api)
    survey = (
        await api.ok(
            DEFINE,
            {
                "input": {
                    "kind": "HALFWAY",
                    "title": "Check-in",
                    "opensOn": str(today),
                    "closesOn": str(today + timedelta(days=9)),
                    "questions": [
                        {"kind": "SCALE_1_5", "prompt": "How is it going?"},
                        {"kind": "TEXT", "prompt": "Tell us more"},
                    ],
                }
            },
            as_=coordinator,
        )
    )["defineSurvey"]
    scale_q, text_q = (q["id"] for q in survey["questions"])
    for person, text in ((matched, "Zebedee is wonderful."), (tweety, f"I am {name}.")):
        await api.ok(
            ANSWER,
            {
                "survey": survey["id"],
                "match": match_id,
                "answers": [
                    {"questionId": scale_q, "scale": 5},
                    {"questionId": text_q, "text": text},
                ],
            },
            as_=person,
        )
    await api.server.app.state.scheduler.run_round()  # the survey is announced by email
    before = await dump(engine)
    assert name in before
    assert email in before
    counts = await api.ok(MATCHES, as_=coordinator)

    erased = (await api.ok(ERASE_ME, as_=tweety))["eraseMe"]
    assert erased["personId"]

    after = await dump(engine)
    for trace in (name, email, "Zebedee", "Quillfeather", "zebedee.canary", tweety.subject):
        assert trace.lower() not in after.lower(), f"{trace!r} is still in the database"
    assert "1980-01-01" not in after
    # The counts stay: one match, three requests, one survey response per side.
    assert await api.ok(MATCHES, as_=coordinator) == counts
    assert after.count("survey_responses:") == 2
    # The student who was waiting is released at once, and told.
    [seen] = (await api.ok(MY_REQUESTS, as_=waiting))["myRequests"]
    assert (seen["status"], seen["reason"]) == ("REJECTED", "The mentor left the programme.")
    told = [m for m in await outbox(engine, "request_rejected") if m.to_address == waiting.email]
    assert [m.subject for m in told] == [
        "[Mentoring 2026] Your request to Former mentor was not accepted"
    ]
    _, other_id = await f.mentor(api)
    await f.send(api, waiting, other_id)


async def test_a_coordinator_erases_a_student_by_id_and_others_cannot(
    api: Api, engine: AsyncEngine
) -> None:
    coordinator = api.person(Role.COORDINATOR)
    await f.programme(api, coordinator)
    mentor, mentor_id = await f.mentor(api)
    name, email = "Quentin Canarysson", "quentin.canarysson.9x@example.org"
    student = await f.student(api, canary(api, Role.STUDENT, name, email))
    request_id = await f.send(api, student, mentor_id, f"I am {name}, {email}")
    [mine] = (await api.ok("{ myStudentProfile { id } }", as_=student),)
    student_id = mine["myStudentProfile"]["id"]

    error = await api.error(ERASE, {"id": student_id}, as_=mentor)
    assert error["extensions"]["code"] == "FORBIDDEN"
    await api.ok(ERASE, {"id": student_id}, as_=coordinator)

    after = (await dump(engine)).lower()
    assert name.lower() not in after
    assert email not in after
    # The mentor's slot is free again: the erased student's request was withdrawn.
    inbox = (await api.ok(MY_REQUESTS, as_=mentor))["myRequests"]
    assert [(r["id"], r["status"]) for r in inbox] == [(request_id, "WITHDRAWN")]


async def test_dates_of_birth_are_cleared_once_identity_checks_are_over(
    api: Api, engine: AsyncEngine
) -> None:
    await f.programme(api, signup=(-10, 5))
    mentor, _ = await f.mentor(api)
    await born(api, mentor, date(1975, 6, 30))
    scheduler: Scheduler = api.server.app.state.scheduler

    async def stored() -> list[object]:
        async with create_sessionmaker(engine)() as session:
            return list(await session.scalars(select(MentorProfile.date_of_birth)))

    api.server.clock.advance(days=5 + 14)  # sign-up closed 14 days ago: still kept
    await scheduler.run_round()
    assert len([d for d in await stored() if d is not None]) == 1
    api.server.clock.advance(days=1)
    await scheduler.run_round()
    assert await stored() == [None]
    [profile] = (await my_data(api, mentor))["mentorProfiles"]
    assert profile["dateOfBirth"] is None
    # The checks are over: nobody is asked for it again, and editing the profile goes on.
    assert (await api.ok(CHECK, as_=mentor))["checkMentorProfile"] == []
    saved = await api.ok(UPDATE_MENTOR, {"input": {"headline": "Still here"}}, as_=mentor)
    assert saved["updateMentorProfile"]["identityDateHeld"] is False
    assert await stored() == [None]


def purge(url: str, *extra: str) -> str:
    done = subprocess.run(
        [sys.executable, "-m", "app.cli", "purge", *extra],
        cwd=ROOT,
        env={**os.environ, "DATABASE_URL": url, "BROKER_URL": "memory://"},
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    return done.stdout


async def test_mentori_purge_anonymises_a_programme_after_its_retention_period(
    api: Api, engine: AsyncEngine, database: tuple[str, AsyncEngine]
) -> None:
    # A programme of years ago (its last phase closed long before the retention period).
    api.server.clock.now = datetime(2023, 1, 22, 10, 0, tzinfo=UTC)
    coordinator = api.person(Role.COORDINATOR, "Carla Coordinator")
    old_programme = await f.programme(api, coordinator, name="Mentoring 2023")
    old_mentor, old_mentor_id = await f.mentor(api, api.person(Role.MENTOR, "Oona Oldmentor"))
    old_student = await f.student(api, api.person(Role.STUDENT, "Olli Oldstudent"))
    request_id = await f.send(api, old_student, old_mentor_id, "Please, Oona!")
    await api.ok(f.ACCEPT, {"id": request_id}, as_=old_mentor)
    # And this year's programme, which must stay as it is.
    api.server.clock.now = datetime.now(UTC)
    await f.programme(api, coordinator, name=f"Mentoring {datetime.now(UTC).year}")
    await f.mentor(api, api.person(Role.MENTOR, "Nina Newmentor"))

    listed = await asyncio.to_thread(purge, database[0], "--dry-run")
    assert "Would purge 'Mentoring 2023'" in listed
    assert "Oona Oldmentor" in await dump(engine)

    done = await asyncio.to_thread(purge, database[0])
    assert "Purged 'Mentoring 2023'" in done
    after = await dump(engine)
    for trace in ("Oona", "Oldmentor", "Olli", "Oldstudent", old_mentor.email, old_student.email):
        assert trace not in after
    assert "Nina Newmentor" in after
    assert "Carla Coordinator" in after  # staff are not the programme's participants
    async with create_sessionmaker(engine)() as session:
        purged = await session.scalar(
            select(Programme.purged_at).where(Programme.name == "Mentoring 2023")
        )
    assert purged is not None
    assert "No programme ended" in await asyncio.to_thread(purge, database[0])
    kept = await api.ok(COUNTS, {"id": old_programme}, as_=coordinator)
    assert kept["matches"]["totalCount"] == 1


VIEWER = "{ viewer { id name } }"
MY_PROFILE = "{ myStudentProfile { id displayName contactEmail } }"
RENAME = """mutation($input: StudentProfileInput!) {
  updateStudentProfile(input: $input) { id displayName contactEmail }
}"""
LIVE = "subscription { myRequestEvents { kind } }"


def after_tokens_were_issued(api: Api) -> None:
    """Tokens are issued (and checked) in real time: the server's clock is set after it, so
    whatever a test erases, it erases after its people's tokens were issued."""
    api.server.clock.now = datetime.now(UTC) + timedelta(minutes=5)


async def test_an_erased_persons_token_stops_working_at_once_on_http_and_websocket(
    api: Api,
) -> None:
    after_tokens_were_issued(api)
    await f.programme(api)
    student = await f.student(api, api.person(Role.STUDENT, "Wilhelmina Gone"))
    assert (await api.ok(VIEWER, as_=student))["viewer"]["name"] == "Wilhelmina Gone"  # cached

    async with live_client(api.server.ws_url, student.token) as live:
        await live.subscribe(LIVE)
        await until_listening(api.client, 1)
        await api.ok(ERASE_ME, as_=student)

        code, reason = await live.closed(within=5)
        assert code == 4401, reason
        error = await api.error(VIEWER, as_=student)
        assert error["extensions"]["code"] == "UNAUTHENTICATED"
        assert "erased" in error["message"]
    with pytest.raises(WebSocketClosed):
        async with live_client(api.server.ws_url, student.token):
            pass


async def test_an_erased_student_cannot_write_their_profile_again(
    api: Api, engine: AsyncEngine
) -> None:
    after_tokens_were_issued(api)
    await f.programme(api)
    name, email = "Ottoline Backagain", "ottoline.backagain@example.org"
    student = await f.student(api, canary(api, Role.STUDENT, name, email))
    await api.ok(MY_PROFILE, as_=student)
    await api.ok(ERASE_ME, as_=student)

    error = await api.error(
        RENAME, {"input": {"displayName": name, "contactEmail": email}}, as_=student
    )
    assert error["extensions"]["code"] == "UNAUTHENTICATED"
    after = (await dump(engine)).lower()
    assert "ottoline" not in after
    assert "backagain" not in after


async def test_an_erased_persons_write_in_flight_is_refused(api: Api) -> None:
    """The process that runs it may not have heard of the erasure yet (a broker message lost):
    the write itself checks, in its own transaction."""
    after_tokens_were_issued(api)
    programme_id = ids.decode(await f.programme(api), "Programme")
    student = await f.student(api, api.person(Role.STUDENT, "Tilda Stale"))
    stale = Viewer(user_id=await user_id(api, student), role=Role.STUDENT, name="", email="")
    await api.ok(ERASE_ME, as_=student)

    uow: UnitOfWork = api.server.app.state.uow
    with pytest.raises(DomainError) as refused:
        await uow.acting_for(stale).run(
            lambda s: students.save_profile(
                s, stale, programme_id, StudentInput(display_name="Tilda"), now=api.server.clock()
            )
        )
    assert refused.value.code is ErrorCode.UNAUTHENTICATED


async def test_erasing_again_erases_whatever_is_there_now(api: Api, engine: AsyncEngine) -> None:
    after_tokens_were_issued(api)
    coordinator = api.person(Role.COORDINATOR)
    programme = await f.programme(api, coordinator, name="Student Mentoring 2026")
    programme_id = ids.decode(programme, "Programme")
    mentor, mentor_id = await f.mentor(api, api.person(Role.MENTOR, "Maarit Mentor"))
    student = await f.student(api, api.person(Role.STUDENT, "Reino Ruthless"))
    person_id = (await api.ok(VIEWER, as_=student))["viewer"]["id"]
    await api.ok(ERASE_ME, as_=student)

    # Whatever got past (a write that began before the erasure and ended after it, or a future
    # bug), the next erasure takes away.
    name, email = "Sneaky Snodgrass-Canary", "sneaky.snodgrass@example.org"
    stale = Viewer(ids.decode(person_id, "User"), Role.STUDENT, name, email)
    async with create_sessionmaker(engine)() as session:
        await students.save_profile(
            session,
            stale,
            programme_id,
            StudentInput(display_name=name, contact_email=email),
            now=api.server.clock(),
        )
        await requests.send(
            session, stale, ids.decode(mentor_id, "Mentor"), f"I am {name}", now=api.server.clock()
        )
        await events.write_pending(session)
        await session.commit()
    assert "snodgrass" in (await dump(engine)).lower()

    erased = (await api.ok(ERASE, {"id": person_id}, as_=coordinator))["erasePerson"]
    assert erased["personId"] == person_id
    after = (await dump(engine)).lower()
    for trace in ("sneaky", "snodgrass", email, "reino", "ruthless"):
        assert trace not in after, f"{trace!r} is still in the database"
    # Names the programme gave the erased ("Former student", "Erased person") are not taken for
    # the person's own: the mentor's mail keeps its words, without the name.
    told = [m.subject for m in await outbox(engine) if m.to_address == mentor.email]
    assert told == ["[Student Mentoring 2026] [erased] would like you as their mentor"]


async def user_id(api: Api, person: Person) -> int:
    return ids.decode((await api.ok(VIEWER, as_=person))["viewer"]["id"], "User")
