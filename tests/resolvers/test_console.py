"""The coordinator console's API: people by name, what a programme change or an erasure would
do before it is made, catalogue files through the API, and the request and match lists'
filters. Coordinators only."""

from __future__ import annotations

import uuid
from typing import Any

from db.models import Role
from tests import factories as f
from tests.clients import Api, Person

PEOPLE = """query($search: String, $role: Role, $first: Int!, $after: String) {
  people(search: $search, role: $role, first: $first, after: $after) {
    totalCount
    pageInfo { hasNextPage endCursor }
    edges { node {
      id displayName role erased
      mentor { id displayName contactEmail availability }
      student { id displayName contactEmail field { name } }
    } }
  }
}"""

IMPACT = """query($id: ID!, $input: UpdateProgrammeInput!) {
  programmeChangeImpact(id: $id, input: $input) {
    pendingRequests requestWindowCloses studentsOverLimit mentorsOverLimit mentorsMadeBusy
    requestsLapsing warnings
  }
}"""

PREVIEW = """query($id: ID!) {
  erasurePreview(id: $id) {
    personId alreadyErased pendingRequestsToThem pendingRequestsFromThem requests matches
    meetingsWithNotes programmes { name }
  }
}"""
ERASE = "mutation($id: ID!) { erasePerson(id: $id) { personId } }"

IMPORT = """mutation($what: CatalogueList!, $csv: String!) {
  importCatalogue(what: $what, csv: $csv) { added changed unchanged summary }
}"""
LANGUAGES = "{ languages(includeRetired: true) { code name } }"

REQUESTS = """query($filter: RequestFilter) {
  requests(filter: $filter) { totalCount edges { node { student { displayName } } } }
}"""
MATCHES = """query($student: ID, $field: ID, $language: String) {
  matches(student: $student, field: $field, language: $language) {
    totalCount edges { node { student { displayName } } }
  }
}"""


def names(connection: dict[str, Any]) -> list[str]:
    return [e["node"]["displayName"] for e in connection["edges"]]


async def test_coordinators_find_mentors_and_students_by_any_part_of_the_name(api: Api) -> None:
    coordinator = api.person(Role.COORDINATOR)
    await f.programme(api, coordinator)
    await f.mentor(api, api.person(Role.MENTOR, "Maija Öhman"))
    await f.mentor(api, api.person(Role.MENTOR, "Ben Mentor"))
    await f.student(api, api.person(Role.STUDENT, "Sami Öhman-Virtanen"))

    both = (await api.ok(PEOPLE, {"search": "öhman", "first": 10}, as_=coordinator))["people"]
    assert names(both) == ["Maija Öhman", "Sami Öhman-Virtanen"]
    mentor, student = (e["node"] for e in both["edges"])
    assert mentor["role"] == "MENTOR"
    assert mentor["student"] is None
    assert mentor["mentor"]["contactEmail"] is None  # rule 3: not even to coordinators
    assert student["student"]["field"] == {"name": "Computer Science"}
    assert student["student"]["contactEmail"] is None

    students = await api.ok(
        PEOPLE, {"search": "ÖHMAN", "role": "STUDENT", "first": 10}, as_=coordinator
    )
    assert names(students["people"]) == ["Sami Öhman-Virtanen"]
    words = await api.ok(PEOPLE, {"search": "ben  mentor", "first": 10}, as_=coordinator)
    assert names(words["people"]) == ["Ben Mentor"]


async def test_people_come_page_by_page_and_only_to_coordinators(api: Api) -> None:
    coordinator = api.person(Role.COORDINATOR)
    await f.programme(api, coordinator)
    for n in range(3):
        await f.student(api, api.person(Role.STUDENT, f"Student {n}"))
    first = (await api.ok(PEOPLE, {"first": 2}, as_=coordinator))["people"]
    assert first["totalCount"] == 3
    assert names(first) == ["Student 0", "Student 1"]
    assert first["pageInfo"]["hasNextPage"]
    after = first["pageInfo"]["endCursor"]
    rest = (await api.ok(PEOPLE, {"first": 2, "after": after}, as_=coordinator))["people"]
    assert names(rest) == ["Student 2"]

    student = await f.student(api)
    refused = await api.error(PEOPLE, {"first": 2}, as_=student)
    assert refused["extensions"]["code"] == "FORBIDDEN"
    for type_name in ("Person", "Mentor", "Student"):
        query = f'{{ __type(name: "{type_name}") {{ fields {{ name }} }} }}'
        found = (await api.ok(query, as_=coordinator))["__type"]["fields"]
        assert not [f for f in found if "birth" in f["name"].lower()]


async def _pending_request(api: Api, **limits: Any) -> tuple[Person, str, str, Person]:
    coordinator = api.person(Role.COORDINATOR)
    programme_id = await f.programme(api, coordinator, limits=limits or None)
    mentor, mentor_id = await f.mentor(api, api.person(Role.MENTOR, "Maija Mentor"), capacity=2)
    student = await f.student(api, api.person(Role.STUDENT, "Sami Student"))
    await f.send(api, student, mentor_id)
    return coordinator, programme_id, mentor_id, mentor


async def test_closing_student_requests_while_requests_wait_is_announced_first(api: Api) -> None:
    coordinator, programme_id, _, _ = await _pending_request(api)
    yesterday = f.today(api).fromordinal(f.today(api).toordinal() - 1).isoformat()
    input = {
        "phases": [
            {"phase": "STUDENT_REQUESTS", "opensOn": "2026-01-01", "closesOn": yesterday},
        ]
    }
    impact = (await api.ok(IMPACT, {"id": programme_id, "input": input}, as_=coordinator))[
        "programmeChangeImpact"
    ]
    assert impact["pendingRequests"] == 1
    assert impact["requestWindowCloses"] is True
    assert impact["warnings"] == [
        "Student requests close at once while 1 request is waiting for an answer. Their "
        "mentors cannot answer them until the programme begins: they wait for expiry or for "
        "you to step in."
    ]
    # Nothing was saved: the window is still open.
    still = await api.ok("{ programme { currentPhases } }", as_=coordinator)
    assert "STUDENT_REQUESTS" in still["programme"]["currentPhases"]

    quiet = {"limits": {"reminderHoursBeforeExpiry": 12}}
    none = await api.ok(IMPACT, {"id": programme_id, "input": quiet}, as_=coordinator)
    assert none["programmeChangeImpact"]["warnings"] == []


async def test_lowering_limits_below_what_people_hold_is_counted(api: Api) -> None:
    coordinator, programme_id, _, _ = await _pending_request(
        api, mentorPendingLimit=3, studentPendingLimit=2
    )
    input = {"limits": {"mentorPendingLimit": 1, "studentPendingLimit": 1}}
    impact = (await api.ok(IMPACT, {"id": programme_id, "input": input}, as_=coordinator))[
        "programmeChangeImpact"
    ]
    assert impact["mentorsMadeBusy"] == 1
    assert impact["mentorsOverLimit"] == 0
    assert impact["studentsOverLimit"] == 0
    assert impact["warnings"] == [
        "1 available mentor becomes busy at once: listed, but taking no new request."
    ]

    api.server.clock.advance(hours=30)
    shorter = {"limits": {"requestExpiryHours": 24}}
    lapsing = await api.ok(IMPACT, {"id": programme_id, "input": shorter}, as_=coordinator)
    assert lapsing["programmeChangeImpact"]["requestsLapsing"] == 1

    mentor = api.person(Role.MENTOR)
    refused = await api.error(IMPACT, {"id": programme_id, "input": input}, as_=mentor)
    assert refused["extensions"]["code"] == "FORBIDDEN"


async def test_the_erasure_preview_counts_what_erasing_then_does(api: Api) -> None:
    coordinator, _, mentor_id, mentor = await _pending_request(api)
    matched = await f.student(api, api.person(Role.STUDENT, "Mia Matched"))
    request_id = await f.send(api, matched, mentor_id)
    await api.ok(f.ACCEPT, {"id": request_id}, as_=mentor)

    preview = (await api.ok(PREVIEW, {"id": mentor_id}, as_=coordinator))["erasurePreview"]
    assert preview["pendingRequestsToThem"] == 1
    assert preview["pendingRequestsFromThem"] == 0
    assert preview["requests"] == 2
    assert preview["matches"] == 1
    assert preview["alreadyErased"] is False
    assert preview["programmes"] == [{"name": "Mentoring 2026"}]

    erased = await api.ok(ERASE, {"id": mentor_id}, as_=coordinator)
    assert erased["erasePerson"]["personId"] == preview["personId"]
    pending = await api.ok(REQUESTS, {"filter": {"statuses": ["PENDING"]}}, as_=coordinator)
    assert pending["requests"]["totalCount"] == 0  # the one waiting was answered
    matches = await api.ok(MATCHES, as_=coordinator)
    assert matches["matches"]["totalCount"] == 1  # kept, anonymous
    again = (await api.ok(PREVIEW, {"id": mentor_id}, as_=coordinator))["erasurePreview"]
    assert again["alreadyErased"] is True

    refused = await api.error(PREVIEW, {"id": mentor_id}, as_=api.person(Role.STUDENT))
    assert refused["extensions"]["code"] == "FORBIDDEN"


async def test_a_catalogue_file_loads_through_the_api_all_or_nothing(api: Api) -> None:
    coordinator = api.person(Role.COORDINATOR)
    tag = uuid.uuid4().hex[:4]  # the catalogue outlives each test
    loaded = await api.ok(
        IMPORT,
        {"what": "LANGUAGES", "csv": f"\ufeffcode;name\nxq-{tag};Xiqish {tag}\nfi;Finnish\n"},
        as_=coordinator,
    )
    assert loaded["importCatalogue"]["added"] == [f"Added language xq-{tag}: Xiqish {tag}"]
    assert loaded["importCatalogue"]["summary"] == "Languages: 1 added, 0 changed, 1 unchanged."

    text = f"code,name\nxr-{tag},Xrish {tag}\n# a note\nnot a code,Bad\n"
    error = await api.error(IMPORT, {"what": "LANGUAGES", "csv": text}, as_=coordinator)
    assert error["extensions"]["code"] == "INVALID_INPUT"
    assert error["extensions"]["line"] == 4
    assert error["message"].startswith("line 4: 'not a code' is not a language code")
    codes = {lang["code"] for lang in (await api.ok(LANGUAGES, as_=coordinator))["languages"]}
    assert f"xq-{tag}" in codes
    assert f"xr-{tag}" not in codes  # the good line before the mistake was not kept

    fields = f"school,field\nSchool of Tests,Testing Studies {tag}\n"
    added = await api.ok(IMPORT, {"what": "FIELDS", "csv": fields}, as_=coordinator)
    assert added["importCatalogue"]["added"] == [
        f"Added field 'Testing Studies {tag}' (School of Tests)"
    ]
    wrong = await api.error(IMPORT, {"what": "FIELDS", "csv": "code,name\n"}, as_=coordinator)
    assert wrong["message"].startswith("line 1: Unknown column 'code'")

    refused = await api.error(
        IMPORT, {"what": "FIELDS", "csv": fields}, as_=api.person(Role.MENTOR)
    )
    assert refused["extensions"]["code"] == "FORBIDDEN"


async def test_requests_and_matches_filter_by_age_field_and_language(api: Api) -> None:
    coordinator = api.person(Role.COORDINATOR)
    await f.programme(api, coordinator)
    mentor, mentor_id = await f.mentor(api, capacity=2, fields=["Computer Science", "Mathematics"])
    _, other_id = await f.mentor(api, capacity=1, fields=["Mathematics"])
    early = await f.student(api, api.person(Role.STUDENT, "Early Bird"), languages=["fi"])
    early_request = await f.send(api, early, mentor_id)
    api.server.clock.advance(hours=50)
    late = await f.student(api, api.person(Role.STUDENT, "Late Comer"), field="Mathematics")
    await f.send(api, late, other_id)
    fields = await f.field_ids(api, coordinator)

    async def requested(**flt: Any) -> list[str]:
        data = await api.ok(REQUESTS, {"filter": flt}, as_=coordinator)
        return [e["node"]["student"]["displayName"] for e in data["requests"]["edges"]]

    assert await requested(olderThanHours=48) == ["Early Bird"]
    assert await requested(olderThanHours=1, statuses=["PENDING"]) == ["Early Bird"]
    assert await requested(field=fields["Mathematics"]) == ["Late Comer"]
    assert await requested(language="FI") == ["Early Bird"]
    assert await requested() == ["Early Bird", "Late Comer"]
    unknown = await api.error(REQUESTS, {"filter": {"language": "zz"}}, as_=coordinator)
    assert unknown["message"] == "Unknown language code: zz."

    await api.ok(f.ACCEPT, {"id": early_request}, as_=mentor)
    by_language = await api.ok(MATCHES, {"language": "fi"}, as_=coordinator)
    assert by_language["matches"]["totalCount"] == 1
    by_field = await api.ok(MATCHES, {"field": fields["Mathematics"]}, as_=coordinator)
    assert by_field["matches"]["totalCount"] == 0
