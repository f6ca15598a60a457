"""The programmes each process keeps: a search reads none from the database, and a change to a
programme is seen at once by the next operation."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy.ext.asyncio import AsyncEngine

from db.models import Role
from tests import factories as f
from tests.clients import Api
from tests.services.test_statements import counting

SEARCH = "query($programmeId: ID) { mentors(programmeId: $programmeId) { edges { node { id } } } }"
UPDATE = """mutation($id: ID!, $input: UpdateProgrammeInput!) {
  updateProgramme(id: $id, input: $input) { id }
}"""


def found(data: dict[str, object]) -> list[str]:
    return [e["node"]["id"] for e in data["mentors"]["edges"]]  # type: ignore[index]


def ended_yesterday(api: Api) -> list[dict[str, str]]:
    """Phases that put a programme wholly in the past."""
    today = f.today(api)
    return [
        {
            "phase": phase,
            "opensOn": (today - timedelta(days=60)).isoformat(),
            "closesOn": (today - timedelta(days=1)).isoformat(),
        }
        for phase in ("MENTOR_SIGNUP", "STUDENT_REQUESTS", "PROGRAMME")
    ]


async def two_running_programmes(api: Api) -> tuple[str, str, str, str]:
    """This year's programme with a mentor, and next year's (sign-up open today) with another."""
    this_year = await f.programme(api)
    _, this_years_mentor = await f.mentor(api)
    next_year = await f.programme(api, name="Mentoring 2027", signup=(0, 10))
    mentor = api.person(Role.MENTOR)
    fields = await f.field_ids(api, mentor)
    profile = {
        "headline": "Designer",
        "professionalBackground": "Ten years of service design.",
        "workingLifeYears": 10,
        "languages": ["en"],
        "degreeLevels": ["MASTERS"],
        "fields": [fields["Design"]],
    }
    created = await api.ok(
        f.CREATE_MENTOR, {"input": profile, "programmeId": next_year}, as_=mentor
    )
    return this_year, this_years_mentor, next_year, created["createMentorProfile"]["id"]


async def test_a_search_reads_no_programme_from_the_database_once_they_are_kept(
    api: Api,
) -> None:
    programme_id = await f.programme(api)
    await f.mentor(api)
    student = await f.student(api)
    await api.ok(SEARCH, {"programmeId": None}, as_=student)
    engine: AsyncEngine = api.server.app.state.engine
    with counting(engine) as statements:
        await api.ok(SEARCH, {"programmeId": None}, as_=student)
        await api.ok(SEARCH, {"programmeId": programme_id}, as_=student)
    assert [s for s in statements if "programme_phases" in s] == []


async def test_a_change_of_dates_is_seen_at_once_by_the_next_search(api: Api) -> None:
    this_year, this_years_mentor, next_year, next_years_mentor = await two_running_programmes(api)
    coordinator = api.person(Role.COORDINATOR)
    assert found(await api.ok(SEARCH, {"programmeId": None}, as_=coordinator)) == [
        this_years_mentor
    ]

    await api.ok(
        UPDATE, {"id": this_year, "input": {"phases": ended_yesterday(api)}}, as_=coordinator
    )

    # This year's is over: the programme running now is next year's.
    assert found(await api.ok(SEARCH, {"programmeId": None}, as_=coordinator)) == [
        next_years_mentor
    ]
    assert next_year


async def test_a_new_programme_is_found_at_once_by_id(api: Api) -> None:
    coordinator = api.person(Role.COORDINATOR)
    await f.programme(api)
    await api.ok(SEARCH, {"programmeId": None}, as_=coordinator)  # kept
    next_year = await f.programme(api, name="Mentoring 2027", signup=(0, 10))
    assert found(await api.ok(SEARCH, {"programmeId": next_year}, as_=coordinator)) == []
