"""Mentor and student profiles: sign-up, publication, capacity and withdrawal (rules 2 and 6)."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import date, timedelta
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine

from db.engine import create_sessionmaker
from db.models import MentorProfile, Role
from tests import factories as f
from tests.clients import Api, Person

MENTOR_FIELDS = """id status availability displayName headline educationalBackground
  professionalBackground careerExperience workingLifeYears hasDoctorate location city remoteOk
  capacity acceptedCount remainingCapacity contactEmail languages { code } degreeLevels
  fields { name }"""
CREATE = f"""mutation($input: MentorProfileInput!) {{
  createMentorProfile(input: $input) {{ {MENTOR_FIELDS} }}
}}"""
UPDATE = f"""mutation($input: MentorProfileInput!) {{
  updateMentorProfile(input: $input) {{ {MENTOR_FIELDS} }}
}}"""
PUBLISH = "mutation { publishMentorProfile { id status availability } }"
WITHDRAW_PROFILE = "mutation { withdrawMentorProfile { id status availability } }"
MINE = f"{{ myMentorProfile {{ {MENTOR_FIELDS} }} }}"
STUDENT_FIELDS = """id displayName degreeLevel international onExchange matched contactEmail
  field { name } languages { code }"""
UPDATE_STUDENT = f"""mutation($input: StudentProfileInput!) {{
  updateStudentProfile(input: $input) {{ {STUDENT_FIELDS} }}
}}"""
MY_STUDENT = f"{{ myStudentProfile {{ {STUDENT_FIELDS} }} }}"
MY_REQUESTS = "{ myRequests { id status reason } }"
MENTOR = "query($id: ID!) { mentor(id: $id) { availability remainingCapacity } }"
LISTED = "{ mentors { edges { node { id } } } }"


async def full_profile(api: Api, person: Person, **changes: Any) -> dict[str, Any]:
    known = await f.field_ids(api, person)
    return {
        "displayName": "Maija Mentor",
        "headline": "Product lead",
        "educationalBackground": "M.Sc. (Tech.), Computer Science",
        "professionalBackground": "Fifteen years in product development.",
        "careerExperience": "Built and led two product teams.",
        "workingLifeYears": 15,
        "hasDoctorate": False,
        "location": "ABROAD",
        "city": "Stockholm",
        "remoteOk": True,
        "capacity": 2,
        "contactEmail": "maija@example.com",
        "languages": ["sv", "en"],
        "degreeLevels": ["MASTERS", "DOCTORAL"],
        "fields": [known["Computer Science"], known["Design"]],
        "dateOfBirth": "1978-11-09",
        **changes,
    }


async def listed_ids(api: Api) -> set[str]:
    found = (await api.ok(LISTED, as_=await f.student(api)))["mentors"]
    return {edge["node"]["id"] for edge in found["edges"]}


async def test_a_mentor_fills_in_a_draft_then_publishes_it(api: Api) -> None:
    await f.programme(api)
    mentor = api.person(Role.MENTOR)
    draft = (await api.ok(CREATE, {"input": await full_profile(api, mentor)}, as_=mentor))[
        "createMentorProfile"
    ]
    assert (draft["status"], draft["availability"]) == ("DRAFT", "HIDDEN")
    assert draft["id"] not in await listed_ids(api)
    assert draft["headline"] == "Product lead"
    assert (draft["location"], draft["city"], draft["capacity"]) == ("ABROAD", "Stockholm", 2)
    assert draft["contactEmail"] == "maija@example.com"  # a mentor sees their own email
    assert {lang["code"] for lang in draft["languages"]} == {"sv", "en"}
    assert set(draft["degreeLevels"]) == {"MASTERS", "DOCTORAL"}
    assert {field["name"] for field in draft["fields"]} == {"Computer Science", "Design"}

    published = (await api.ok(PUBLISH, as_=mentor))["publishMentorProfile"]
    assert (published["status"], published["availability"]) == ("PUBLISHED", "AVAILABLE")
    assert draft["id"] in await listed_ids(api)
    assert (await api.ok(MINE, as_=mentor))["myMentorProfile"]["remainingCapacity"] == 2


async def test_a_new_profile_starts_from_the_sign_in_name_and_email(api: Api) -> None:
    await f.programme(api)
    mentor = api.person(Role.MENTOR, "Pekka Virtanen")
    created = (await api.ok(CREATE, {"input": {}}, as_=mentor))["createMentorProfile"]
    assert created["displayName"] == "Pekka Virtanen"
    assert created["contactEmail"] == mentor.email
    assert created["capacity"] == 1


@pytest.mark.parametrize("capacity", [0, 3, -1, 100])
async def test_capacity_is_one_or_two_mentees(api: Api, capacity: int) -> None:
    await f.programme(api)
    mentor = api.person(Role.MENTOR)
    error = await api.error(CREATE, {"input": {"capacity": capacity}}, as_=mentor)
    assert error["extensions"] == {"code": "INVALID_INPUT", "field": "capacity"}
    assert error["message"] == "A mentor takes 1 or 2 mentees."
    await api.ok(CREATE, {"input": {"capacity": 2}}, as_=mentor)
    error = await api.error(UPDATE, {"input": {"capacity": capacity}}, as_=mentor)
    assert error["extensions"]["code"] == "INVALID_INPUT"
    assert (await api.ok(MINE, as_=mentor))["myMentorProfile"]["capacity"] == 2


async def test_a_mentor_has_one_profile_per_programme(api: Api) -> None:
    await f.programme(api)
    mentor = api.person(Role.MENTOR)
    error = await api.error(UPDATE, {"input": {"headline": "x"}}, as_=mentor)
    assert error["extensions"]["code"] == "PROFILE_REQUIRED"
    error = await api.error(PUBLISH, as_=mentor)
    assert error["extensions"]["code"] == "PROFILE_REQUIRED"
    await api.ok(CREATE, {"input": {}}, as_=mentor)
    error = await api.error(CREATE, {"input": {}}, as_=mentor)
    assert error["extensions"]["code"] == "PROFILE_EXISTS"
    assert "update it" in error["message"]


async def test_an_incomplete_profile_cannot_be_published_and_says_what_is_missing(
    api: Api,
) -> None:
    await f.programme(api)
    mentor = api.person(Role.MENTOR)
    await api.ok(CREATE, {"input": {"workingLifeYears": 2}}, as_=mentor)
    error = await api.error(PUBLISH, as_=mentor)
    assert error["extensions"]["code"] == "PROFILE_INCOMPLETE"
    assert error["extensions"]["missing"] == [
        "at least 4 years of working life",
        "your professional background or career experience",
        "a language",
        "a field",
        "a degree level",
        "your date of birth, for the identity checks",
    ]
    assert error["extensions"]["fields"] == [
        "working_life_years",
        "professional_background",
        "languages",
        "fields",
        "degree_levels",
        "date_of_birth",
    ]
    assert error["message"].startswith("Your profile cannot be published yet; it needs at least")
    assert (await api.ok(MINE, as_=mentor))["myMentorProfile"]["status"] == "DRAFT"

    await api.ok(UPDATE, {"input": await full_profile(api, mentor)}, as_=mentor)
    assert (await api.ok(PUBLISH, as_=mentor))["publishMentorProfile"]["status"] == "PUBLISHED"


CHECK = """query($input: MentorProfileInput!) {
  checkMentorProfile(input: $input) { field message }
}"""


async def test_a_profile_is_checked_as_it_is_typed_without_being_saved(api: Api) -> None:
    await f.programme(api)
    mentor = api.person(Role.MENTOR)
    nothing_yet = await api.ok(CHECK, {"input": {"workingLifeYears": 2}}, as_=mentor)
    assert nothing_yet["checkMentorProfile"] == [
        {
            "field": "working_life_years",
            "message": "Publishing needs at least 4 years of working life.",
        },
        {
            "field": "professional_background",
            "message": "Publishing needs your professional background or career experience.",
        },
        {"field": "languages", "message": "Publishing needs a language."},
        {"field": "fields", "message": "Publishing needs a field."},
        {"field": "degree_levels", "message": "Publishing needs a degree level."},
        {
            "field": "date_of_birth",
            "message": "Publishing needs your date of birth, for the identity checks.",
        },
    ]
    assert (await api.ok(MINE, as_=mentor))["myMentorProfile"] is None

    error = await api.error(CHECK, {"input": {"contactEmail": "not an email"}}, as_=mentor)
    assert error["extensions"] == {
        "code": "INVALID_INPUT",
        "field": "contact_email",
    }
    assert error["message"] == "The contact email is not an email address."

    await api.ok(CREATE, {"input": await full_profile(api, mentor)}, as_=mentor)
    check = await api.ok(CHECK, {"input": {"careerExperience": ""}}, as_=mentor)
    assert check["checkMentorProfile"] == []  # the saved background still counts
    error = await api.error(CHECK, {"input": {"languages": []}}, as_=mentor)
    assert error["message"] == "Choose at least one language to mentor in."
    check = await api.ok(CHECK, {"input": {"workingLifeYears": 3}}, as_=mentor)
    assert [gap["field"] for gap in check["checkMentorProfile"]] == ["working_life_years"]
    assert (await api.ok(MINE, as_=mentor))["myMentorProfile"]["workingLifeYears"] == 15


async def test_an_update_replaces_languages_levels_and_fields(api: Api) -> None:
    await f.programme(api)
    mentor, mentor_id = await f.mentor(api, languages=["fi"], fields=["Finance"])
    known = await f.field_ids(api, mentor)
    changed = (
        await api.ok(
            UPDATE,
            {
                "input": {
                    "languages": ["en", "de"],
                    "degreeLevels": ["DOCTORAL"],
                    "fields": [known["Marketing"]],
                    "headline": "  Brand strategist  ",
                }
            },
            as_=mentor,
        )
    )["updateMentorProfile"]
    assert changed["id"] == mentor_id
    assert {lang["code"] for lang in changed["languages"]} == {"en", "de"}
    assert changed["degreeLevels"] == ["DOCTORAL"]
    assert [field["name"] for field in changed["fields"]] == ["Marketing"]
    assert changed["headline"] == "Brand strategist"
    assert changed["status"] == "PUBLISHED"  # a change keeps the profile listed


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"contactEmail": "not an email"}, "The contact email is not an email address."),
        ({"headline": "x" * 201}, "The headline can be at most 200 characters."),
        ({"displayName": "   "}, "The display name cannot be empty."),
        ({"workingLifeYears": 71}, "Years of working life must be between 0 and 70."),
        ({"languages": []}, "Choose at least one language to mentor in."),
        ({"languages": ["fi", "klingon"]}, "Unknown language code: klingon."),
        ({"degreeLevels": []}, "Choose master's, doctoral or both degree levels."),
        ({"fields": []}, "Choose at least one field you suit."),
        ({"fields": ["RmllbGQ6OTk5OTk5"]}, "Unknown field id: 999999."),
    ],
)
async def test_invalid_profile_input_is_refused_and_changes_nothing(
    api: Api, change: dict[str, Any], message: str
) -> None:
    await f.programme(api)
    mentor, _ = await f.mentor(api)
    before = (await api.ok(MINE, as_=mentor))["myMentorProfile"]
    error = await api.error(UPDATE, {"input": change}, as_=mentor)
    assert error["extensions"]["code"] == "INVALID_INPUT"
    assert error["message"] == message
    assert (await api.ok(MINE, as_=mentor))["myMentorProfile"] == before


@pytest.mark.parametrize("role", [Role.STUDENT, Role.COORDINATOR])
async def test_only_mentors_have_mentor_profiles(api: Api, role: Role) -> None:
    await f.programme(api)
    error = await api.error(CREATE, {"input": {}}, as_=api.person(role))
    assert error["extensions"]["code"] == "FORBIDDEN"
    assert error["message"] == "Only a mentor can do that."


async def test_capacity_cannot_drop_below_the_mentees_already_accepted(api: Api) -> None:
    await f.programme(api)
    mentor, mentor_id = await f.mentor(api, capacity=2)
    for _ in range(2):
        await api.ok(
            f.ACCEPT, {"id": await f.send(api, await f.student(api), mentor_id)}, as_=mentor
        )
    error = await api.error(UPDATE, {"input": {"capacity": 1}}, as_=mentor)
    assert error["extensions"]["code"] == "CAPACITY_BELOW_ACCEPTED"
    assert error["message"] == (
        "You have already accepted 2 mentees; capacity cannot go below that."
    )
    assert (await api.ok(MINE, as_=mentor))["myMentorProfile"]["capacity"] == 2


async def test_lowering_capacity_to_the_accepted_mentees_fills_the_mentor(api: Api) -> None:
    await f.programme(api)
    mentor, mentor_id = await f.mentor(api, capacity=2)
    await api.ok(f.ACCEPT, {"id": await f.send(api, await f.student(api), mentor_id)}, as_=mentor)
    waiting = await f.student(api)
    await f.send(api, waiting, mentor_id)

    changed = (await api.ok(UPDATE, {"input": {"capacity": 1}}, as_=mentor))["updateMentorProfile"]
    assert (changed["availability"], changed["remainingCapacity"]) == ("FULL", 0)
    # Rule 6: the waiting student's request closes at once, and they are free to ask again.
    (closed,) = (await api.ok(MY_REQUESTS, as_=waiting))["myRequests"]
    assert (closed["status"], closed["reason"]) == ("CLOSED_MENTOR_FULL", "mentor is full")
    assert mentor_id not in await listed_ids(api)
    _, other = await f.mentor(api)
    await f.send(api, waiting, other)


async def test_raising_capacity_lists_a_full_mentor_again(api: Api) -> None:
    await f.programme(api)
    mentor, mentor_id = await f.mentor(api, capacity=1)
    await api.ok(f.ACCEPT, {"id": await f.send(api, await f.student(api), mentor_id)}, as_=mentor)
    assert mentor_id not in await listed_ids(api)
    await api.ok(UPDATE, {"input": {"capacity": 2}}, as_=mentor)
    assert mentor_id in await listed_ids(api)
    coordinator = api.person(Role.COORDINATOR)
    seen = (await api.ok(MENTOR, {"id": mentor_id}, as_=coordinator))["mentor"]
    assert seen == {"availability": "AVAILABLE", "remainingCapacity": 1}


async def test_withdrawing_a_profile_answers_every_waiting_request(api: Api) -> None:
    await f.programme(api)
    mentor, mentor_id = await f.mentor(api, capacity=2)
    waiting = [await f.student(api), await f.student(api)]
    for student in waiting:
        await f.send(api, student, mentor_id)

    withdrawn = (await api.ok(WITHDRAW_PROFILE, as_=mentor))["withdrawMentorProfile"]
    assert (withdrawn["status"], withdrawn["availability"]) == ("WITHDRAWN", "HIDDEN")
    for student in waiting:
        (answered,) = (await api.ok(MY_REQUESTS, as_=student))["myRequests"]
        assert answered["status"] == "REJECTED"
        assert answered["reason"] == "The mentor withdrew from the programme."
    assert mentor_id not in await listed_ids(api)
    inbox = (await api.ok(MY_REQUESTS, as_=mentor))["myRequests"]
    assert {r["status"] for r in inbox} == {"REJECTED"}
    _, other = await f.mentor(api)
    for student in waiting:  # both released at once
        await f.send(api, student, other)


async def test_a_withdrawn_profile_can_be_published_again_in_the_sign_up_window(
    api: Api,
) -> None:
    await f.programme(api)
    mentor, mentor_id = await f.mentor(api)
    await api.ok(WITHDRAW_PROFILE, as_=mentor)
    assert (await api.ok(PUBLISH, as_=mentor))["publishMentorProfile"]["availability"] == (
        "AVAILABLE"
    )
    assert mentor_id in await listed_ids(api)


async def test_publishing_outside_mentor_sign_up_is_closed(api: Api) -> None:
    await f.programme(api)
    mentor, _ = await f.mentor(api, publish=False)
    api.server.clock.advance(days=25)  # sign-up closes on day 20
    error = await api.error(PUBLISH, as_=mentor)
    assert error["extensions"]["code"] == "PHASE_CLOSED"
    # Leaving is always possible.
    assert (await api.ok(WITHDRAW_PROFILE, as_=mentor))["withdrawMentorProfile"]["status"] == (
        "WITHDRAWN"
    )


async def test_a_student_fills_in_and_changes_their_profile(api: Api) -> None:
    await f.programme(api)
    student = api.person(Role.STUDENT, "Sanna Student")
    known = await f.field_ids(api, student)
    created = (
        await api.ok(
            UPDATE_STUDENT,
            {
                "input": {
                    "degreeLevel": "DOCTORAL",
                    "field": known["Data Science"],
                    "languages": ["fi", "en"],
                    "international": False,
                    "onExchange": False,
                }
            },
            as_=student,
        )
    )["updateStudentProfile"]
    assert created["displayName"] == "Sanna Student"
    assert created["degreeLevel"] == "DOCTORAL"
    assert created["field"] == {"name": "Data Science"}
    assert {lang["code"] for lang in created["languages"]} == {"fi", "en"}
    assert created["contactEmail"] == student.email
    assert created["matched"] is False

    changed = (
        await api.ok(
            UPDATE_STUDENT,
            {"input": {"international": True, "onExchange": True, "languages": ["en"]}},
            as_=student,
        )
    )["updateStudentProfile"]
    assert changed["id"] == created["id"]
    assert (changed["international"], changed["onExchange"]) == (True, True)
    assert changed["degreeLevel"] == "DOCTORAL"  # untouched
    assert [lang["code"] for lang in changed["languages"]] == ["en"]
    assert (await api.ok(MY_STUDENT, as_=student))["myStudentProfile"] == changed


@pytest.mark.parametrize(
    ("profile", "message"),
    [
        ({"languages": ["en"]}, "Tell us your degree level: master's or doctoral."),
        ({"degreeLevel": "MASTERS", "languages": []}, "Choose at least one language"),
        ({"degreeLevel": "MASTERS", "languages": ["xx"]}, "Unknown language code: xx."),
        ({"degreeLevel": "MASTERS", "field": "RmllbGQ6OTk5OTk5"}, "Unknown field id: 999999."),
        ({"degreeLevel": "MASTERS", "field": "nope"}, "'nope' is not the id of a Field."),
        ({"degreeLevel": "MASTERS", "contactEmail": "@"}, "The contact email is not an email"),
        ({"degreeLevel": "MASTERS", "displayName": ""}, "The display name cannot be empty."),
    ],
)
async def test_invalid_student_input_is_refused_with_a_sentence(
    api: Api, profile: dict[str, Any], message: str
) -> None:
    await f.programme(api)
    student = api.person(Role.STUDENT)
    error = await api.error(UPDATE_STUDENT, {"input": profile}, as_=student)
    assert error["extensions"]["code"] == "INVALID_INPUT"
    assert error["message"].startswith(message)
    assert (await api.ok(MY_STUDENT, as_=student))["myStudentProfile"] is None


async def test_a_student_without_a_profile_is_asked_for_one_before_requesting(api: Api) -> None:
    await f.programme(api)
    _, mentor_id = await f.mentor(api)
    error = await api.error(
        f.SEND, {"mentorId": mentor_id, "message": ""}, as_=api.person(Role.STUDENT)
    )
    assert error["extensions"]["code"] == "PROFILE_REQUIRED"
    assert "student profile" in error["message"]


@pytest.mark.parametrize("role", [Role.MENTOR, Role.COORDINATOR])
async def test_only_students_have_student_profiles(api: Api, role: Role) -> None:
    await f.programme(api)
    error = await api.error(
        UPDATE_STUDENT, {"input": {"degreeLevel": "MASTERS"}}, as_=api.person(role)
    )
    assert error["extensions"]["code"] == "FORBIDDEN"
    assert error["message"] == "Only a student can do that."


HELD = "{ myMentorProfile { identityDateHeld } }"


def years_before(day: date, years: int) -> date:
    return day.replace(year=day.year - years)


async def stored_date_of_birth(engine: AsyncEngine) -> list[date | None]:
    async with create_sessionmaker(engine)() as session:
        return list(await session.scalars(select(MentorProfile.date_of_birth)))


async def test_a_date_of_birth_is_written_kept_and_never_read_back(
    api: Api, engine: AsyncEngine
) -> None:
    await f.programme(api)
    mentor = api.person(Role.MENTOR)
    profile = await full_profile(api, mentor, dateOfBirth="1978-11-09")
    created = (await api.ok(CREATE, {"input": profile}, as_=mentor))["createMentorProfile"]
    assert "1978" not in json.dumps(created)
    assert await stored_date_of_birth(engine) == [date(1978, 11, 9)]
    assert (await api.ok(HELD, as_=mentor))["myMentorProfile"] == {"identityDateHeld": True}

    # Saving without it keeps the one on file; a new one replaces it.
    await api.ok(UPDATE, {"input": {"headline": "Design lead"}}, as_=mentor)
    await api.ok(UPDATE, {"input": {"dateOfBirth": None, "capacity": 1}}, as_=mentor)
    assert await stored_date_of_birth(engine) == [date(1978, 11, 9)]
    await api.ok(UPDATE, {"input": {"dateOfBirth": "1978-11-19"}}, as_=mentor)
    assert await stored_date_of_birth(engine) == [date(1978, 11, 19)]
    assert (await api.ok(PUBLISH, as_=mentor))["publishMentorProfile"]["status"] == "PUBLISHED"


ADULT = "The date of birth must be that of someone 18 to 100 years old."
YEARS = "The date of birth must be in the years 1900 to 2200."


@pytest.mark.parametrize(
    ("born", "message"),
    [
        (lambda today: years_before(today, 18) + timedelta(days=1), ADULT),  # 18 tomorrow
        (lambda today: years_before(today, 101), ADULT),  # 101 today
        (lambda today: today + timedelta(days=3), ADULT),
        (lambda today: date(1899, 12, 31), YEARS),
        (lambda today: date(2201, 1, 1), YEARS),
    ],
    ids=["under 18", "over 100", "not yet born", "before 1900", "after 2200"],
)
async def test_an_implausible_date_of_birth_is_refused_without_being_quoted(
    api: Api, engine: AsyncEngine, born: Callable[[date], date], message: str
) -> None:
    await f.programme(api)
    mentor, _ = await f.mentor(api)
    value = born(f.today(api)).isoformat()
    for query in (UPDATE, CHECK):
        error = await api.error(query, {"input": {"dateOfBirth": value}}, as_=mentor)
        assert error == {
            "message": message,
            "locations": error["locations"],
            "path": error["path"],
            "extensions": {"code": "INVALID_INPUT", "field": "date_of_birth"},
        }
    assert await stored_date_of_birth(engine) == [date.fromisoformat(f.DATE_OF_BIRTH)]


async def test_ages_18_and_100_are_taken(api: Api, engine: AsyncEngine) -> None:
    await f.programme(api)
    mentor, _ = await f.mentor(api)
    today = f.today(api)
    for born in (years_before(today, 18), years_before(today, 101) + timedelta(days=1)):
        await api.ok(UPDATE, {"input": {"dateOfBirth": born.isoformat()}}, as_=mentor)
        assert await stored_date_of_birth(engine) == [born]


async def test_publishing_needs_a_date_of_birth_for_the_identity_checks(api: Api) -> None:
    await f.programme(api)
    mentor = api.person(Role.MENTOR)
    profile = await full_profile(api, mentor)
    del profile["dateOfBirth"]
    await api.ok(CREATE, {"input": profile}, as_=mentor)
    assert (await api.ok(HELD, as_=mentor))["myMentorProfile"] == {"identityDateHeld": False}
    gaps = (await api.ok(CHECK, {"input": {}}, as_=mentor))["checkMentorProfile"]
    assert [gap["field"] for gap in gaps] == ["date_of_birth"]
    error = await api.error(PUBLISH, as_=mentor)
    assert error["extensions"]["code"] == "PROFILE_INCOMPLETE"
    assert error["extensions"]["fields"] == ["date_of_birth"]
    assert error["message"] == (
        "Your profile cannot be published yet; it needs your date of birth, for the identity "
        "checks."
    )
    given = {"dateOfBirth": "1978-11-09"}
    assert (await api.ok(CHECK, {"input": given}, as_=mentor))["checkMentorProfile"] == []
    await api.ok(UPDATE, {"input": given}, as_=mentor)
    assert (await api.ok(PUBLISH, as_=mentor))["publishMentorProfile"]["status"] == "PUBLISHED"
