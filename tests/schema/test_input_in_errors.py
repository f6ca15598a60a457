"""An error about an input names it by a short prefix, never whole: a 100,000-character id (or
cursor, language code, time zone) comes back as a few dozen characters, not a 200 KB answer."""

from __future__ import annotations

import base64
import json
from typing import Any

import pytest

from db.models import Role
from tests import factories as f
from tests.clients import Api

LONG = "M" * 100_000
# The longest answer any of these refusals may be: the sentence and a short quote.
MOST = 1_000

CASES: list[tuple[str, str, dict[str, Any], Role]] = [
    ("mentor id", "query($id: ID!) { mentor(id: $id) { id } }", {"id": LONG}, Role.STUDENT),
    (
        "mentor id of a request",
        'mutation($id: ID!) { sendRequest(mentorId: $id, message: "Hi") { id } }',
        {"id": LONG},
        Role.STUDENT,
    ),
    ("global id", "query($id: ID!) { node(id: $id) { id } }", {"id": LONG}, Role.STUDENT),
    (
        "type in a global id",
        "query($id: ID!) { node(id: $id) { id } }",
        {"id": base64.b64encode(f"{LONG}:1".encode()).decode()},
        Role.STUDENT,
    ),
    (
        "id of a person to erase",
        "mutation($id: ID!) { erasePerson(id: $id) { erasedAt } }",
        {"id": LONG},
        Role.COORDINATOR,
    ),
    (
        "cursor",
        "query($after: String) { mentors(after: $after) { totalCount } }",
        {"after": LONG},
        Role.STUDENT,
    ),
    (
        "language code",
        "query($l: [String!]) { mentors(filter: {languages: $l}) { totalCount } }",
        {"l": [LONG]},
        Role.STUDENT,
    ),
    (
        "many language codes",
        "query($l: [String!]) { mentors(filter: {languages: $l}) { totalCount } }",
        {"l": [f"{n}{LONG[:5_000]}" for n in range(20)]},
        Role.STUDENT,
    ),
    (
        "time zone",
        "mutation($input: CreateProgrammeInput!) { createProgramme(input: $input) { id } }",
        {"input": {"name": "Mentoring 2027", "timezone": LONG}},
        Role.COORDINATOR,
    ),
    (
        "date",
        'mutation($on: Date!) { recordMeeting(matchId: "TWF0Y2g6MQ==", metOn: $on) { id } }',
        {"on": LONG},
        Role.MENTOR,
    ),
    (
        "enum value",
        "query($s: [RequestStatus!]) { myRequests(statuses: $s) { id } }",
        {"s": [LONG]},
        Role.STUDENT,
    ),
]


@pytest.mark.parametrize(("case", "query", "variables", "role"), CASES, ids=[c[0] for c in CASES])
async def test_an_invalid_input_is_quoted_by_a_short_prefix(
    api: Api, case: str, query: str, variables: dict[str, Any], role: Role
) -> None:
    await f.programme(api)
    response = await api.raw(query, variables, token=api.person(role).token)
    assert len(response.content) < MOST, response.text[:MOST]
    (error,) = response.json()["errors"]
    assert error["extensions"]["code"] in ("INVALID_INPUT", "GRAPHQL_VALIDATION_FAILED")
    assert "mmmm" in json.dumps(error).lower(), "the answer still says which value it means"


SAVE = "mutation($input: MentorProfileInput!) { updateMentorProfile(input: $input) { id } }"
WRONG_DAY = "1961-02-30"  # a date of birth with a typo: refused, and never repeated (rule 2)
BORN = "1961-07-29"
# how the date of birth is sent -> the document and its variables
BIRTH_CASES: dict[str, tuple[str, dict[str, Any]]] = {
    "in the input": (SAVE, {"input": {"dateOfBirth": WRONG_DAY}}),
    "as a number": (SAVE, {"input": {"dateOfBirth": 19610230}}),
    "in a list": (SAVE, {"input": {"dateOfBirth": [WRONG_DAY]}}),
    "then more": (SAVE, {"input": {"dateOfBirth": WRONG_DAY + " " + LONG}}),
    "beside an unknown field": (SAVE, {"input": {"dateOfBirth": BORN, "bogus": 1}}),
    "beside a wrong field": (SAVE, {"input": {"dateOfBirth": BORN, "capacity": BORN}}),
    "as a variable of its own": (
        "mutation($d: Date) { updateMentorProfile(input: {dateOfBirth: $d}) { id } }",
        {"d": WRONG_DAY},
    ),
    "in the document": (
        f'mutation {{ updateMentorProfile(input: {{dateOfBirth: "{WRONG_DAY}"}}) {{ id }} }}',
        {},
    ),
    "in the document, where no input is": (
        f'{{ mentors(first: {{dateOfBirth: "{BORN}"}}) {{ totalCount }} }}',
        {},
    ),
    "too young": (SAVE, {"input": {"dateOfBirth": "2020-07-29"}}),
    "when checking": (
        "query($i: MentorProfileInput!) { checkMentorProfile(input: $i) { field } }",
        {"i": {"dateOfBirth": WRONG_DAY}},
    ),
}


@pytest.mark.parametrize("case", list(BIRTH_CASES))
async def test_a_refused_date_of_birth_is_never_quoted_back(api: Api, case: str) -> None:
    await f.programme(api)
    mentor, _ = await f.mentor(api)
    query, variables = BIRTH_CASES[case]
    response = await api.raw(query, variables, token=mentor.token)
    errors = response.json()["errors"]
    assert errors, response.text
    for year in ("1961", "2020"):
        assert year not in response.text
    assert all(error["message"] for error in errors)
