"""The catalogue: what coordinators add, rename, retire and reinstate, and what that does to
profiles and search. Known codes and ids are remembered per process (services/catalogue.py):
what is not known yet always goes to the database, so additions count at once."""

from __future__ import annotations

import uuid
from typing import Any

import httpx
import pytest
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

from db.models import Field, Language, Role
from schema import ids
from tests import factories as f
from tests.clients import Api, GraphQLErrorResponse, Person
from tests.servers import running_server
from tests.services.test_mentors import SEARCH, names, search


async def test_a_language_or_field_added_while_running_is_accepted_at_once(
    api: Api, engine: AsyncEngine
) -> None:
    await f.programme(api)
    await f.mentor(api, displayName="Anna", languages=["fi", "en"])
    student = await f.student(api)
    fields = await f.field_ids(api, student)
    # The codes and ids already in use are known from here on.
    found = await search(
        api, student, {"languages": ["en"], "fields": [fields["Computer Science"]]}
    )
    assert names(found) == {"Anna"}
    code = f"x{uuid.uuid4().hex[:7]}"
    error = await api.error(SEARCH, {"filter": {"languages": [code]}}, as_=student)
    assert error["message"] == f"Unknown language code: {code}."

    async with AsyncSession(engine) as session:
        field = Field(name=f"Field {code}", school="School of Tests")
        session.add_all([Language(code=code, name=f"Language {code}"), field])
        await session.flush()
        new_field = str(ids.encode("Field", field.id))
        await session.commit()

    # Nothing was remembered of the refusal: the new language and field are searchable at once.
    found = await search(api, student, {"languages": [code], "fields": [new_field]})
    assert found["totalCount"] == 0
    await f.mentor(api, displayName="Ben", languages=[code], fields=[f"Field {code}"])
    found = await search(api, student, {"languages": [code], "fields": [new_field]})
    assert names(found) == {"Ben"}
    # An unknown code is still refused once others are known.
    error = await api.error(SEARCH, {"filter": {"languages": [code, "xx"]}}, as_=student)
    assert error["message"] == "Unknown language code: xx."


LANGUAGES = "query($all: Boolean!) { languages(includeRetired: $all) { code name retired } }"
FIELDS = "query($all: Boolean!) { fields(includeRetired: $all) { id name school retired } }"
ADD_LANGUAGE = """mutation($code: String!, $name: String!) {
  addLanguage(code: $code, name: $name) { code name retired }
}"""
RENAME_LANGUAGE = """mutation($code: String!, $name: String!) {
  renameLanguage(code: $code, name: $name) { code name retired }
}"""
RETIRE_LANGUAGE = "mutation($code: String!) { retireLanguage(code: $code) { code retired } }"
REINSTATE_LANGUAGE = "mutation($code: String!) { reinstateLanguage(code: $code) { code retired } }"
ADD_FIELD = """mutation($name: String!, $school: String!) {
  addField(name: $name, school: $school) { id name school retired }
}"""
UPDATE_FIELD = """mutation($id: ID!, $name: String, $school: String) {
  updateField(id: $id, name: $name, school: $school) { id name school retired }
}"""
RETIRE_FIELD = "mutation($id: ID!) { retireField(id: $id) { id retired } }"
REINSTATE_FIELD = "mutation($id: ID!) { reinstateField(id: $id) { id retired } }"
MY_MENTOR = "{ myMentorProfile { languages { code } fields { name } } }"
UPDATE_MENTOR = """mutation($input: MentorProfileInput!) {
  updateMentorProfile(input: $input) { languages { code } fields { name } }
}"""
UPDATE_STUDENT = """mutation($input: StudentProfileInput!) {
  updateStudentProfile(input: $input) { field { name } languages { code } }
}"""


def unique() -> str:
    """A code (and names) no other test uses: the catalogue is kept between tests."""
    return f"qa-{uuid.uuid4().hex[:4]}"


async def offered(api: Api, person: Person, *, all: bool = False) -> dict[str, dict[str, Any]]:
    data = await api.ok(LANGUAGES, {"all": all}, as_=person)
    return {row["code"]: row for row in data["languages"]}


async def offered_fields(
    api: Api, person: Person, *, all: bool = False
) -> dict[str, dict[str, Any]]:
    data = await api.ok(FIELDS, {"all": all}, as_=person)
    return {row["id"]: row for row in data["fields"]}


async def test_a_coordinator_adds_renames_retires_and_reinstates_a_language(api: Api) -> None:
    coordinator, student = api.person(Role.COORDINATOR), api.person(Role.STUDENT)
    await f.programme(api, coordinator)
    code = unique()
    added = await api.ok(
        ADD_LANGUAGE, {"code": code.upper(), "name": f"Lang {code}"}, as_=coordinator
    )
    assert added["addLanguage"] == {"code": code, "name": f"Lang {code}", "retired": False}
    assert (await offered(api, student))[code]["name"] == f"Lang {code}"
    # Chosen at once, before any cache could know it.
    await f.mentor(api, displayName="Aada", languages=[code])

    renamed = await api.ok(
        RENAME_LANGUAGE, {"code": code, "name": f"Language {code}"}, as_=coordinator
    )
    assert renamed["renameLanguage"]["name"] == f"Language {code}"
    assert (await offered(api, student))[code]["name"] == f"Language {code}"

    retired = await api.ok(RETIRE_LANGUAGE, {"code": code}, as_=coordinator)
    assert retired["retireLanguage"] == {"code": code, "retired": True}
    assert code not in await offered(api, student)
    assert code not in await offered(api, coordinator)
    assert (await offered(api, coordinator, all=True))[code]["retired"] is True

    back = await api.ok(REINSTATE_LANGUAGE, {"code": code}, as_=coordinator)
    assert back["reinstateLanguage"] == {"code": code, "retired": False}
    assert code in await offered(api, student)
    # Nothing new is left on offer to later tests: the catalogue is kept between them.
    await api.ok(RETIRE_LANGUAGE, {"code": code}, as_=coordinator)


async def test_a_coordinator_adds_renames_moves_retires_and_reinstates_a_field(api: Api) -> None:
    coordinator, student = api.person(Role.COORDINATOR), api.person(Role.STUDENT)
    await f.programme(api, coordinator)
    name = f"Field {unique()}"
    added = await api.ok(ADD_FIELD, {"name": name, "school": "School of Tests"}, as_=coordinator)
    field = added["addField"]
    assert (field["name"], field["school"], field["retired"]) == (name, "School of Tests", False)
    assert (await offered_fields(api, student))[field["id"]]["name"] == name
    await f.mentor(api, displayName="Aada", fields=[name])

    moved = await api.ok(
        UPDATE_FIELD,
        {"id": field["id"], "name": f"{name} II", "school": "School of Science"},
        as_=coordinator,
    )
    assert moved["updateField"] == {
        "id": field["id"],
        "name": f"{name} II",
        "school": "School of Science",
        "retired": False,
    }
    assert (await offered_fields(api, student))[field["id"]]["school"] == "School of Science"

    await api.ok(RETIRE_FIELD, {"id": field["id"]}, as_=coordinator)
    assert field["id"] not in await offered_fields(api, student)
    assert (await offered_fields(api, coordinator, all=True))[field["id"]]["retired"] is True
    back = await api.ok(REINSTATE_FIELD, {"id": field["id"]}, as_=coordinator)
    assert back["reinstateField"] == {"id": field["id"], "retired": False}
    assert field["id"] in await offered_fields(api, student)
    await api.ok(RETIRE_FIELD, {"id": field["id"]}, as_=coordinator)  # as above


async def test_a_retired_language_or_field_stays_on_profiles_and_in_search_but_is_not_chosen_anew(
    api: Api,
) -> None:
    coordinator = api.person(Role.COORDINATOR)
    await f.programme(api, coordinator)
    code = unique()
    await api.ok(ADD_LANGUAGE, {"code": code, "name": f"Lang {code}"}, as_=coordinator)
    name = f"Field {code}"
    added = await api.ok(ADD_FIELD, {"name": name, "school": "School of Tests"}, as_=coordinator)
    field_id = added["addField"]["id"]
    mentor, _ = await f.mentor(api, displayName="Aada", languages=[code, "en"], fields=[name])
    student = await f.student(api, field=name, languages=[code])
    await api.ok(RETIRE_LANGUAGE, {"code": code}, as_=coordinator)
    await api.ok(RETIRE_FIELD, {"id": field_id}, as_=coordinator)

    # Kept where chosen, and kept on saving the profile again.
    mine = (await api.ok(MY_MENTOR, as_=mentor))["myMentorProfile"]
    assert mine == {"languages": [{"code": "en"}, {"code": code}], "fields": [{"name": name}]}
    kept = await api.ok(
        UPDATE_MENTOR, {"input": {"languages": [code, "fi"], "fields": [field_id]}}, as_=mentor
    )
    assert {row["code"] for row in kept["updateMentorProfile"]["languages"]} == {code, "fi"}
    again = await api.ok(
        UPDATE_STUDENT, {"input": {"field": field_id, "languages": [code, "en"]}}, as_=student
    )
    assert again["updateStudentProfile"]["field"] == {"name": name}

    # Found by search, by the language and by the field.
    for flt in ({"languages": [code]}, {"fields": [field_id]}):
        assert names(await search(api, student, flt)) == {"Aada"}

    # Not chosen anew, by a mentor or a student.
    with pytest.raises(GraphQLErrorResponse) as refused:
        await f.mentor(api, languages=["fi", code])
    assert refused.value.code == "INVALID_INPUT"
    assert refused.value.errors[0]["message"] == (
        f"Lang {code} ({code}) is no longer offered; choose another language."
    )
    others = await f.field_ids(api, coordinator)
    await api.ok(UPDATE_MENTOR, {"input": {"fields": [others["Finance"]]}}, as_=mentor)
    error = await api.error(
        UPDATE_MENTOR, {"input": {"fields": [field_id, others["Finance"]]}}, as_=mentor
    )
    assert error["extensions"]["code"] == "INVALID_INPUT"  # dropped once, it is new again
    error = await api.error(
        UPDATE_STUDENT,
        {"input": {"degreeLevel": "MASTERS", "field": field_id, "languages": ["en"]}},
        as_=api.person(Role.STUDENT),
    )
    assert error["extensions"]["code"] == "INVALID_INPUT"
    assert error["message"] == f"The field '{name}' is no longer offered; choose another field."


async def test_catalogue_changes_are_refused_with_their_codes(api: Api) -> None:
    coordinator = api.person(Role.COORDINATOR)
    student, mentor = api.person(Role.STUDENT), api.person(Role.MENTOR)
    code = unique()
    refusals: list[tuple[str, dict[str, Any], Person, str]] = [
        (ADD_LANGUAGE, {"code": code, "name": f"Lang {code}"}, student, "FORBIDDEN"),
        (RETIRE_LANGUAGE, {"code": "fi"}, mentor, "FORBIDDEN"),
        (LANGUAGES, {"all": True}, student, "FORBIDDEN"),
        (FIELDS, {"all": True}, mentor, "FORBIDDEN"),
        (ADD_FIELD, {"name": f"Field {code}", "school": "School of Tests"}, mentor, "FORBIDDEN"),
        (ADD_LANGUAGE, {"code": "f1", "name": f"Lang {code}"}, coordinator, "INVALID_INPUT"),
        (ADD_LANGUAGE, {"code": "finnish", "name": f"Lang {code}"}, coordinator, "INVALID_INPUT"),
        (ADD_LANGUAGE, {"code": code, "name": "  "}, coordinator, "INVALID_INPUT"),
        (ADD_LANGUAGE, {"code": code, "name": "x" * 65}, coordinator, "INVALID_INPUT"),
        (ADD_FIELD, {"name": f"Field {code}", "school": ""}, coordinator, "INVALID_INPUT"),
        (UPDATE_FIELD, {"id": "nope", "name": "Field"}, coordinator, "INVALID_INPUT"),
        (ADD_LANGUAGE, {"code": "FI", "name": f"Lang {code}"}, coordinator, "CONFLICT"),
        (ADD_LANGUAGE, {"code": code, "name": "finnish"}, coordinator, "CONFLICT"),
        (RENAME_LANGUAGE, {"code": "sv", "name": "Finnish"}, coordinator, "CONFLICT"),
        (ADD_FIELD, {"name": "computer science", "school": "X"}, coordinator, "CONFLICT"),
        (RETIRE_LANGUAGE, {"code": code}, coordinator, "NOT_FOUND"),
        (RENAME_LANGUAGE, {"code": "\x00", "name": "Nul"}, coordinator, "NOT_FOUND"),
        (RETIRE_FIELD, {"id": str(ids.encode("Field", 2**31 - 1))}, coordinator, "NOT_FOUND"),
    ]
    for query, variables, person, code_expected in refusals:
        error = await api.error(query, variables, as_=person)
        assert error["extensions"]["code"] == code_expected, (query, variables, error)
    # Nothing of it was kept.
    assert code not in await offered(api, coordinator, all=True)
    assert (await offered(api, student))["fi"] == {
        "code": "fi",
        "name": "Finnish",
        "retired": False,
    }


async def test_a_change_through_one_server_counts_at_once_on_another(api: Api) -> None:
    """Each process remembers the codes and ids it has seen (services/catalogue.py): what
    another process adds is accepted at once, and what it retires is not chosen anew."""
    coordinator = api.person(Role.COORDINATOR)
    await f.programme(api, coordinator)
    code = unique()
    async with (
        running_server(api.server.settings, api.server.clock) as other_server,
        httpx.AsyncClient(base_url=other_server.url, timeout=30) as client,
    ):
        other = Api(server=other_server, client=client)
        student = await f.student(api)
        error = await other.error(SEARCH, {"filter": {"languages": [code, "en"]}}, as_=student)
        assert error["message"] == f"Unknown language code: {code}."

        await api.ok(ADD_LANGUAGE, {"code": code, "name": f"Lang {code}"}, as_=coordinator)
        await f.mentor(other, displayName="Aada", languages=[code])
        assert names(await search(other, student, {"languages": [code]})) == {"Aada"}

        await api.ok(RETIRE_LANGUAGE, {"code": code}, as_=coordinator)
        assert code not in await offered(other, student)
        with pytest.raises(GraphQLErrorResponse) as refused:
            await f.mentor(other, languages=[code])
        assert refused.value.code == "INVALID_INPUT"
        assert names(await search(other, student, {"languages": [code]})) == {"Aada"}
