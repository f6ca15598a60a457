"""People's text as it enters: one line where a line belongs (names, titles: they reach email
headers), free text that keeps its line breaks but no other control characters (PostgreSQL
refuses a NUL byte), every field within its length, each refusal naming the field."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import timedelta
from typing import Any

import pytest

from db.models import Role
from tests import factories as f
from tests.clients import Api
from tests.services.test_surveys import answers, define_halfway, matched_programme, only_match

Attempt = Callable[[Api, str], Awaitable[dict[str, Any]]]

MENTOR = "mutation($input: MentorProfileInput!) { updateMentorProfile(input: $input) { id } }"
STUDENT = """mutation($input: StudentProfileInput!) {
  updateStudentProfile(input: $input) { id contactEmail }
}"""
CREATE_PROGRAMME = "mutation($name: String!) { createProgramme(input: {name: $name}) { id } }"
RENAME = (
    "mutation($id: ID!, $name: String) { updateProgramme(id: $id, input: {name: $name}) { id } }"
)
BRIEFING = (
    """mutation($input: BriefingSessionInput!) { createBriefingSession(input: $input) { id } }"""
)
DEFINE = "mutation($input: DefineSurveyInput!) { defineSurvey(input: $input) { id } }"
SEARCH = "query($text: String) { mentors(filter: {text: $text}) { totalCount } }"
RECORD = """mutation($match: ID!, $on: Date!, $note: String!) {
  recordMeeting(matchId: $match, metOn: $on, note: $note) { id note }
}"""
ANSWER = """mutation($survey: ID!, $match: ID!, $answers: [SurveyAnswerInput!]!) {
  answerSurvey(surveyId: $survey, matchId: $match, answers: $answers) { id }
}"""
MY_REQUESTS = "{ myRequests { message } }"
MY_MENTOR = "{ myMentorProfile { careerExperience } }"


async def mentor_field(api: Api, name: str, value: str) -> dict[str, Any]:
    await f.programme(api)
    mentor, _ = await f.mentor(api)
    return await api.result(MENTOR, {"input": {name: value}}, as_=mentor)


async def student_field(api: Api, name: str, value: str) -> dict[str, Any]:
    await f.programme(api)
    profile = {"degreeLevel": "MASTERS", name: value}
    return await api.result(STUDENT, {"input": profile}, as_=api.person(Role.STUDENT))


async def programme_name(api: Api, value: str) -> dict[str, Any]:
    return await api.result(CREATE_PROGRAMME, {"name": value}, as_=api.person(Role.COORDINATOR))


async def programme_rename(api: Api, value: str) -> dict[str, Any]:
    coordinator = api.person(Role.COORDINATOR)
    programme_id = await f.programme(api, coordinator)
    return await api.result(RENAME, {"id": programme_id, "name": value}, as_=coordinator)


async def briefing_place(api: Api, value: str) -> dict[str, Any]:
    coordinator = api.person(Role.COORDINATOR)
    await f.programme(api, coordinator)
    starts = (api.server.clock() + timedelta(days=7)).isoformat()
    briefing = {"audience": "STUDENTS", "startsAt": starts, "capacity": 20, "place": value}
    return await api.result(BRIEFING, {"input": {**briefing}}, as_=coordinator)


async def survey_title(api: Api, value: str) -> dict[str, Any]:
    coordinator = api.person(Role.COORDINATOR)
    await f.programme(api, coordinator)
    survey = {"kind": "HALFWAY", "title": value, "questions": [{"kind": "TEXT", "prompt": "How?"}]}
    return await api.result(DEFINE, {"input": survey}, as_=coordinator)


async def request_message(api: Api, value: str) -> dict[str, Any]:
    await f.programme(api)
    _, mentor_id = await f.mentor(api)
    student = await f.student(api)
    return await api.result(f.SEND, {"mentorId": mentor_id, "message": value}, as_=student)


async def reject_reason(api: Api, value: str) -> dict[str, Any]:
    await f.programme(api)
    mentor, mentor_id = await f.mentor(api)
    request_id = await f.send(api, await f.student(api), mentor_id)
    return await api.result(f.REJECT, {"id": request_id, "reason": value}, as_=mentor)


async def search_text(api: Api, value: str) -> dict[str, Any]:
    await f.programme(api)
    await f.mentor(api)
    return await api.result(SEARCH, {"text": value}, as_=await f.student(api))


async def meeting_note(api: Api, value: str) -> dict[str, Any]:
    _, _, student, _ = await matched_programme(api)
    api.server.clock.advance(days=1)
    match = {"match": await only_match(api, student), "on": str(f.today(api)), "note": value}
    return await api.result(RECORD, match, as_=student)


async def survey_answer(api: Api, value: str) -> dict[str, Any]:
    coordinator, _, student, _ = await matched_programme(api)
    survey = await define_halfway(api, coordinator, opens_in=0)
    given = {
        "survey": survey["id"],
        "match": await only_match(api, student),
        "answers": answers(survey, 4, value),
    }
    return await api.result(ANSWER, given, as_=student)


async def career_experience(api: Api, value: str) -> dict[str, Any]:
    return await mentor_field(api, "careerExperience", value)


ONE_LINE: list[tuple[str, Attempt]] = [
    ("display name", lambda api, v: mentor_field(api, "displayName", v)),
    ("headline", lambda api, v: mentor_field(api, "headline", v)),
    ("city", lambda api, v: mentor_field(api, "city", v)),
    ("display name", lambda api, v: student_field(api, "displayName", v)),
    ("programme name", programme_name),
    ("programme name", programme_rename),
    ("place", briefing_place),
    ("title", survey_title),
]
ONE_LINE_IDS = [
    "mentor name",
    "headline",
    "city",
    "student name",
    "new programme",
    "renamed programme",
    "briefing place",
    "survey title",
]
FREE_TEXT: list[tuple[str, Attempt]] = [
    ("message", request_message),
    ("reason", reject_reason),
    ("search text", search_text),
    ("note", meeting_note),
    ("written answer", survey_answer),
    ("career experience", career_experience),
]


def refusal(body: dict[str, Any]) -> str:
    (error,) = body["errors"]
    assert error["extensions"]["code"] == "INVALID_INPUT", error
    message: str = error["message"]
    return message


@pytest.mark.parametrize(("label", "attempt"), ONE_LINE, ids=ONE_LINE_IDS)
@pytest.mark.parametrize("bad", ["Maija\nMentor", "Maija\x00"])
async def test_a_control_character_in_a_one_line_field_is_refused_naming_it(
    api: Api, label: str, attempt: Attempt, bad: str
) -> None:
    assert refusal(await attempt(api, bad)) == (
        f"The {label} must be one line, without line breaks or other control characters."
    )


@pytest.mark.parametrize(("label", "attempt"), FREE_TEXT, ids=[c[0] for c in FREE_TEXT])
@pytest.mark.parametrize("bad", ["Hello\x00there", "Hello\x1b[2J"])
async def test_a_control_character_in_free_text_is_refused_naming_it(
    api: Api, label: str, attempt: Attempt, bad: str
) -> None:
    assert refusal(await attempt(api, bad)) == (
        f"The {label} cannot contain control characters other than line breaks and tabs."
    )


@pytest.mark.parametrize(
    ("label", "attempt", "limit"),
    [
        ("message", request_message, 2000),
        ("search text", search_text, 200),
        ("place", briefing_place, 300),
        ("career experience", career_experience, 4000),
    ],
    ids=["message", "search text", "briefing place", "career experience"],
)
async def test_text_longer_than_its_field_is_refused_naming_it(
    api: Api, label: str, attempt: Attempt, limit: int
) -> None:
    message = refusal(await attempt(api, "x" * (limit + 1)))
    assert message == f"The {label} can be at most {limit} characters."


async def test_free_text_keeps_its_line_breaks_and_tabs(api: Api) -> None:
    await f.programme(api)
    mentor, _ = await f.mentor(api)
    experience = "Two teams:\r\n\t- platform\n\t- data"
    assert "errors" not in await api.result(
        MENTOR, {"input": {"careerExperience": experience}}, as_=mentor
    )
    assert (await api.ok(MY_MENTOR, as_=mentor))["myMentorProfile"] == {
        "careerExperience": "Two teams:\n\t- platform\n\t- data"
    }


async def test_a_request_message_arrives_as_written(api: Api) -> None:
    await f.programme(api)
    _, mentor_id = await f.mentor(api)
    student = await f.student(api)
    await f.send(api, student, mentor_id, "Hello!\r\n\n\tI study data science.\nThanks  ")
    assert (await api.ok(MY_REQUESTS, as_=student))["myRequests"] == [
        {"message": "Hello!\n\n\tI study data science.\nThanks"}
    ]


@pytest.mark.parametrize("who", ["mentor", "student"])
@pytest.mark.parametrize(
    ("email", "message"),
    [
        ("a" * 309 + "@example.edu", "The contact email can be at most 320 characters."),
        ("maija@example.edu\n", "The contact email is not an email address."),
        ("maija\x00@example.edu", "The contact email is not an email address."),
        ("maija@example.edu\nBcc: all@example.edu", "The contact email is not an email address."),
    ],
    ids=["321 characters", "trailing newline", "NUL", "header injection"],
)
async def test_a_contact_email_that_is_too_long_or_not_one_line_is_refused(
    api: Api, who: str, email: str, message: str
) -> None:
    if who == "mentor":
        body = await mentor_field(api, "contactEmail", email)
    else:
        body = await student_field(api, "contactEmail", email)
    assert refusal(body) == message


async def test_a_language_code_with_a_control_character_is_simply_unknown(api: Api) -> None:
    await f.programme(api)
    query = (
        "query($languages: [String!]) { mentors(filter: {languages: $languages}) { totalCount } }"
    )
    body = await api.result(query, {"languages": ["fi\x00"]}, as_=await f.student(api))
    assert refusal(body) == "Unknown language code: fi\\x00."


async def test_a_contact_email_of_320_characters_is_kept(api: Api) -> None:
    email = "a" * 308 + "@example.edu"
    assert len(email) == 320
    body = await student_field(api, "contactEmail", email)
    assert body["data"]["updateStudentProfile"]["contactEmail"] == email


@pytest.mark.parametrize(
    ("label", "attempt"),
    [*ONE_LINE, *FREE_TEXT],
    ids=[*ONE_LINE_IDS, *(c[0] for c in FREE_TEXT)],
)
async def test_a_lone_surrogate_is_refused_naming_the_field(
    api: Api, label: str, attempt: Attempt
) -> None:
    # JSON's "\ud800" (as a client escapes it) arrives as half a UTF-16 pair: no character.
    assert refusal(await attempt(api, "Maija \ud800 Mentor")) == (
        f"The {label} contains a broken character (an unpaired UTF-16 surrogate)."
    )


@pytest.mark.parametrize("who", ["mentor", "student"])
async def test_a_contact_email_with_a_lone_surrogate_is_not_an_email_address(
    api: Api, who: str
) -> None:
    attempt = mentor_field if who == "mentor" else student_field
    body = await attempt(api, "contactEmail", "maija\udfff@example.edu")
    assert refusal(body) == "The contact email is not an email address."


async def test_a_language_code_with_a_lone_surrogate_is_simply_unknown(api: Api) -> None:
    await f.programme(api)
    query = (
        "query($languages: [String!]) { mentors(filter: {languages: $languages}) { totalCount } }"
    )
    body = await api.result(query, {"languages": ["f\ud800"]}, as_=await f.student(api))
    assert refusal(body) == "Unknown language code: f\\ud800."
