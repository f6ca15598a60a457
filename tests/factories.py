"""Plain async factories that go through the public API, as a real client would; and, for tests
without a server, seed_requests, which writes through the services as the API would."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine

from db.engine import create_sessionmaker
from db.models import DegreeLevel, Field, Phase, Role, User
from services import events, mentors, programmes, requests, students
from services.programmes import Limits, PhaseDates
from services.viewer import Viewer
from tests.clients import Api, Person

CREATE_PROGRAMME = """
mutation($input: CreateProgrammeInput!) {
  createProgramme(input: $input) { id name currentPhases }
}"""

CREATE_MENTOR = """
mutation($input: MentorProfileInput!, $programmeId: ID) {
  createMentorProfile(input: $input, programmeId: $programmeId) { id status availability }
}"""

PUBLISH = """mutation($programmeId: ID) {
  publishMentorProfile(programmeId: $programmeId) { id status availability }
}"""

STUDENT_PROFILE = """
mutation($input: StudentProfileInput!, $programmeId: ID) {
  updateStudentProfile(input: $input, programmeId: $programmeId) { id degreeLevel }
}"""

SEND = """mutation($mentorId: ID!, $message: String!) {
  sendRequest(mentorId: $mentorId, message: $message) { id status }
}"""

ACCEPT = """mutation($id: ID!) { acceptRequest(requestId: $id) { id status reason } }"""
REJECT = """mutation($id: ID!, $reason: String) {
  rejectRequest(requestId: $id, reason: $reason) { id status reason }
}"""
WITHDRAW = """mutation($id: ID!) { withdrawRequest(requestId: $id) { id status } }"""

FIELDS = "{ fields { id name school } }"
# Publishing needs one for the identity checks (rule 2); the API takes it and never shows it.
DATE_OF_BIRTH = "1979-04-03"


def today(api: Api) -> date:
    return api.server.clock().astimezone(ZoneInfo("Europe/Helsinki")).date()


def phases(
    start: date, *, signup: tuple[int, int] = (-10, 20), requests: tuple[int, int] = (-3, 20)
) -> list[dict[str, str]]:
    return [
        {
            "phase": "MENTOR_SIGNUP",
            "opensOn": (start + timedelta(days=signup[0])).isoformat(),
            "closesOn": (start + timedelta(days=signup[1])).isoformat(),
        },
        {
            "phase": "STUDENT_REQUESTS",
            "opensOn": (start + timedelta(days=requests[0])).isoformat(),
            "closesOn": (start + timedelta(days=requests[1])).isoformat(),
        },
        {
            "phase": "PROGRAMME",
            "opensOn": (start + timedelta(days=30)).isoformat(),
            "closesOn": (start + timedelta(days=200)).isoformat(),
        },
    ]


async def programme(
    api: Api,
    coordinator: Person | None = None,
    *,
    name: str = "Mentoring 2026",
    limits: dict[str, Any] | None = None,
    **phase_offsets: tuple[int, int],
) -> str:
    coordinator = coordinator or api.person(Role.COORDINATOR)
    data = await api.ok(
        CREATE_PROGRAMME,
        {
            "input": {
                "name": name,
                "phases": phases(today(api), **phase_offsets),
                "limits": limits or {},
            }
        },
        as_=coordinator,
    )
    programme_id: str = data["createProgramme"]["id"]
    return programme_id


async def field_ids(api: Api, person: Person) -> dict[str, str]:
    data = await api.ok(FIELDS, as_=person)
    return {f["name"]: f["id"] for f in data["fields"]}


async def mentor(
    api: Api,
    person: Person | None = None,
    *,
    capacity: int = 1,
    languages: list[str] | None = None,
    degree_levels: list[str] | None = None,
    fields: list[str] | None = None,
    publish: bool = True,
    **extra: Any,
) -> tuple[Person, str]:
    person = person or api.person(Role.MENTOR)
    known = await field_ids(api, person)
    wanted = fields or ["Computer Science"]
    profile = {
        "headline": "Engineering manager",
        "professionalBackground": "Twelve years building software in Finnish industry.",
        "careerExperience": "Led teams; hired and mentored engineers.",
        "workingLifeYears": 12,
        "capacity": capacity,
        "languages": languages or ["fi", "en"],
        "degreeLevels": degree_levels or ["MASTERS"],
        "fields": [known[f] for f in wanted],
        "dateOfBirth": DATE_OF_BIRTH,
        **extra,
    }
    data = await api.ok(CREATE_MENTOR, {"input": profile}, as_=person)
    mentor_id: str = data["createMentorProfile"]["id"]
    if publish:
        await api.ok(PUBLISH, as_=person)
    return person, mentor_id


async def student(
    api: Api,
    person: Person | None = None,
    *,
    degree_level: str = "MASTERS",
    field: str = "Computer Science",
    languages: list[str] | None = None,
    international: bool = False,
) -> Person:
    person = person or api.person(Role.STUDENT)
    known = await field_ids(api, person)
    await api.ok(
        STUDENT_PROFILE,
        {
            "input": {
                "degreeLevel": degree_level,
                "field": known[field],
                "languages": languages or ["en"],
                "international": international,
            }
        },
        as_=person,
    )
    return person


async def send(api: Api, person: Person, mentor_id: str, message: str = "Hello!") -> str:
    data = await api.ok(SEND, {"mentorId": mentor_id, "message": message}, as_=person)
    request_id: str = data["sendRequest"]["id"]
    return request_id


async def seed_requests(
    engine: AsyncEngine, sent_at: Sequence[datetime], *, name: str = "Mentoring 2026"
) -> list[int]:
    """A programme with one mentor and one student per request, each request sent at the
    given time, written through the services as the API would."""
    sessions = create_sessionmaker(engine)
    first = min(sent_at)
    async with sessions() as session:
        people = [
            User(
                subject=f"seed-{role.value.lower()}-{n}",
                role=role,
                name=f"{role.value.title()} {n}",
                email=f"{role.value.lower()}.{n}@example.edu",
                created_at=first,
            )
            for n in range(len(sent_at))
            for role in (Role.MENTOR, Role.STUDENT)
        ]
        coordinator = User(
            subject="seed-coordinator",
            role=Role.COORDINATOR,
            name="Coordinator",
            email="coordinator@example.edu",
            created_at=first,
        )
        session.add_all([*people, coordinator])
        await session.flush()
        field_id = await session.scalar(select(Field.id).order_by(Field.id).limit(1))
        assert field_id is not None
        day = first.date()
        window = (day - timedelta(days=10), day + timedelta(days=10))
        programme = await programmes.create(
            session,
            _viewer(coordinator),
            name=name,
            phases=[
                PhaseDates(Phase.MENTOR_SIGNUP, *window),
                PhaseDates(Phase.STUDENT_REQUESTS, *window),
            ],
            limits=Limits(),
            now=first,
        )
        ids = []
        for n, at in enumerate(sent_at):
            mentor, student = _viewer(people[2 * n]), _viewer(people[2 * n + 1])
            profile = await mentors.save_profile(
                session,
                mentor,
                programme.id,
                mentors.ProfileInput(
                    working_life_years=10,
                    professional_background="Years of work.",
                    languages=["en"],
                    degree_levels=[DegreeLevel.MASTERS],
                    field_ids=[field_id],
                    date_of_birth=date.fromisoformat(DATE_OF_BIRTH),
                ),
                create=True,
                now=first,
            )
            await mentors.set_published(session, mentor, programme.id, published=True, now=first)
            await students.save_profile(
                session,
                student,
                programme.id,
                students.StudentInput(degree_level=DegreeLevel.MASTERS),
                now=first,
            )
            request = await requests.send(session, student, profile.id, "Hello!", now=at)
            ids.append(request.id)
        await events.write_pending(session)
        await session.commit()
    return ids


def _viewer(user: User) -> Viewer:
    return Viewer(user_id=user.id, role=user.role, name=user.name, email=user.email)
