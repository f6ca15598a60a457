"""Which programme a person means when they name none: their own. Next year's programme,
prepared while this year's runs, changes nothing for this year's people."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from db.models import Role
from tests import factories as f
from tests.clients import Api, Person

MINE = """{
  programme { id name }
  myStudentProfile { id matched }
  myRequests { id status }
  myMatches { id }
}"""
MENTOR_MINE = """{
  programme { id name }
  myMentorProfile { id acceptedCount }
  myRequests { id status }
  myMatches { id }
}"""
VIEWER = "{ viewer { programme { id } programmes { id name } } }"
SEARCH = "{ mentors { totalCount edges { node { id } } } }"
CURRENT = "{ programme { id name } }"
PROFILE_IN = """query($programmeId: ID) {
  myMentorProfile(programmeId: $programmeId) { id programme { id } }
}"""
REQUESTS_IN = "query($programmeId: ID) { myRequests(programmeId: $programmeId) { id } }"


async def next_years_programme(
    api: Api, *, signup: tuple[int, int] = (0, 10), requests: tuple[int, int] = (20, 30)
) -> str:
    """Mentoring 2027, with mentor sign-up open today unless told otherwise; it runs on for a
    year after this year's (f.programme's) ends."""
    today = f.today(api)
    phases = [
        {
            "phase": phase,
            "opensOn": (today + timedelta(days=opens)).isoformat(),
            "closesOn": (today + timedelta(days=closes)).isoformat(),
        }
        for phase, (opens, closes) in (
            ("MENTOR_SIGNUP", signup),
            ("STUDENT_REQUESTS", requests),
            ("PROGRAMME", (60, 560)),
        )
    ]
    data = await api.ok(
        f.CREATE_PROGRAMME,
        {"input": {"name": "Mentoring 2027", "phases": phases}},
        as_=api.person(Role.COORDINATOR),
    )
    programme_id: str = data["createProgramme"]["id"]
    return programme_id


async def matched_pair(api: Api) -> tuple[Person, str, Person, str]:
    mentor, mentor_id = await f.mentor(api)
    student = await f.student(api)
    request_id = await f.send(api, student, mentor_id)
    await api.ok(f.ACCEPT, {"id": request_id}, as_=mentor)
    return mentor, mentor_id, student, request_id


async def test_a_matched_pair_keeps_its_programme_when_next_years_mentor_sign_up_opens(
    api: Api,
) -> None:
    this_year = await f.programme(api)
    mentor, mentor_id, student, request_id = await matched_pair(api)
    await f.mentor(api)  # another mentor, with a place free
    before_student = await api.ok(MINE, as_=student)
    before_mentor = await api.ok(MENTOR_MINE, as_=mentor)
    assert before_student["programme"]["id"] == this_year
    assert before_student["myStudentProfile"]["matched"] is True
    assert before_mentor["myMentorProfile"]["id"] == mentor_id

    await next_years_programme(api)

    after_student = await api.ok(MINE, as_=student)
    after_mentor = await api.ok(MENTOR_MINE, as_=mentor)
    assert after_student == before_student
    assert after_mentor == before_mentor
    assert [r["id"] for r in after_student["myRequests"]] == [request_id]
    assert after_mentor["myMentorProfile"]["acceptedCount"] == 1
    # The student's search is still in their programme.
    assert (await api.ok(SEARCH, as_=student))["mentors"]["totalCount"] == 1


async def test_a_coordinator_sees_the_running_programme_while_next_years_is_prepared(
    api: Api,
) -> None:
    this_year = await f.programme(api)
    coordinator = api.person(Role.COORDINATOR)
    await next_years_programme(api)  # sign-up open today: both run now
    assert (await api.ok(CURRENT, as_=coordinator))["programme"]["id"] == this_year


async def test_a_programme_not_yet_open_changes_nothing_for_anyone(api: Api) -> None:
    this_year = await f.programme(api)
    mentor, _, student, _ = await matched_pair(api)
    coordinator = api.person(Role.COORDINATOR)
    newcomers = [api.person(Role.MENTOR), api.person(Role.STUDENT)]
    people = [mentor, student, coordinator, *newcomers]
    before = [await api.ok(CURRENT, as_=p) for p in people]
    assert {b["programme"]["id"] for b in before} == {this_year}

    await next_years_programme(api, signup=(30, 40), requests=(50, 60))

    assert [await api.ok(CURRENT, as_=p) for p in people] == before


async def test_a_new_mentor_joins_the_programme_whose_sign_up_is_open(api: Api) -> None:
    await f.programme(api, signup=(-20, -5))  # this year's sign-up is over
    next_year = await next_years_programme(api)
    newcomer, mentor_id = await f.mentor(api)  # names no programme
    profile = (await api.ok(PROFILE_IN, {"programmeId": None}, as_=newcomer))["myMentorProfile"]
    assert profile == {"id": mentor_id, "programme": {"id": next_year}}


async def test_a_mentor_who_signs_up_again_next_year_has_both_and_this_year_first(
    api: Api,
) -> None:
    this_year = await f.programme(api)
    mentor, this_years_profile, student, _ = await matched_pair(api)
    next_year = await next_years_programme(api)

    created = await api.ok(
        f.CREATE_MENTOR,
        {"input": _profile(await f.field_ids(api, mentor)), "programmeId": next_year},
        as_=mentor,
    )
    next_years_profile = created["createMentorProfile"]["id"]

    mine = await api.ok(MENTOR_MINE, as_=mentor)
    viewer = (await api.ok(VIEWER, as_=mentor))["viewer"]
    assert viewer["programme"]["id"] == this_year
    assert viewer["programmes"] == [
        {"id": this_year, "name": "Mentoring 2026"},
        {"id": next_year, "name": "Mentoring 2027"},
    ]
    assert mine["myMentorProfile"]["id"] == this_years_profile
    there = await api.ok(PROFILE_IN, {"programmeId": next_year}, as_=mentor)
    assert there["myMentorProfile"]["id"] == next_years_profile
    # Requests are the programme's: this year's by default, none yet in next year's.
    assert len((await api.ok(REQUESTS_IN, {"programmeId": None}, as_=mentor))["myRequests"]) == 1
    assert (await api.ok(REQUESTS_IN, {"programmeId": next_year}, as_=mentor))["myRequests"] == []
    # The student has one programme only.
    assert [p["id"] for p in (await api.ok(VIEWER, as_=student))["viewer"]["programmes"]] == [
        this_year
    ]


async def test_once_this_years_programme_ends_its_people_move_on_to_their_next(
    api: Api,
) -> None:
    await f.programme(api)
    mentor, _, _, _ = await matched_pair(api)
    next_year = await next_years_programme(api)
    await api.ok(
        f.CREATE_MENTOR,
        {"input": _profile(await f.field_ids(api, mentor)), "programmeId": next_year},
        as_=mentor,
    )
    api.server.clock.now += timedelta(days=201)  # this year's last phase closed yesterday
    assert (await api.ok(CURRENT, as_=mentor))["programme"]["id"] == next_year


def _profile(fields: dict[str, str]) -> dict[str, Any]:
    return {
        "headline": "Engineering manager",
        "professionalBackground": "Twelve years building software in Finnish industry.",
        "careerExperience": "Led teams; hired and mentored engineers.",
        "workingLifeYears": 12,
        "capacity": 1,
        "languages": ["fi", "en"],
        "degreeLevels": ["MASTERS"],
        "fields": [fields["Computer Science"]],
    }
