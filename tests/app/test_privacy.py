"""Who sees what and who may do what: every role against every private field and every
decision (rule 3, DESIGN.md): contact details reach only the two people of a match."""

from __future__ import annotations

from dataclasses import dataclass

import pytest
from graphql import build_schema

from db.models import Role
from schema.build import sdl
from tests import factories as f
from tests.support import Api, Person

NODE = """query($id: ID!) { node(id: $id) {
  id
  ... on Mentor { contactEmail }
  ... on Student { contactEmail }
} }"""
MY_REQUESTS = "{ myRequests { id status student { contactEmail } mentor { contactEmail } } }"
MY_MATCHES = "{ myMatches { id mentor { contactEmail } student { contactEmail } } }"
OVERRIDE = """mutation($id: ID!) { overrideRequest(requestId: $id, decision: REJECT) { status } }"""
ROLES = ["anonymous", "student", "other student", "mentor", "other mentor", "coordinator"]


@dataclass
class World:
    """A mentor matched with a student; another mentor with another student's request waiting."""

    people: dict[str, Person | None]
    mentor: str
    other_mentor: str
    student: str
    other_student: str
    match: str
    accepted_request: str
    waiting_request: str
    emails: dict[str, str]


async def student_id(api: Api, person: Person) -> str:
    data = await api.ok("{ myStudentProfile { id } }", as_=person)
    found: str = data["myStudentProfile"]["id"]
    return found


async def world(api: Api) -> World:
    await f.programme(api)
    mentor, mentor_id = await f.mentor(api, capacity=2, contactEmail="mentor@example.com")
    other_mentor, other_mentor_id = await f.mentor(api, contactEmail="other.mentor@example.com")
    student = await f.student(api)
    other_student = await f.student(api)
    accepted = await f.send(api, student, mentor_id)
    await api.ok(f.ACCEPT, {"id": accepted}, as_=mentor)
    waiting = await f.send(api, other_student, other_mentor_id)
    match = (await api.ok(MY_MATCHES, as_=student))["myMatches"][0]["id"]
    return World(
        people={
            "anonymous": None,
            "student": student,
            "other student": other_student,
            "mentor": mentor,
            "other mentor": other_mentor,
            "coordinator": api.person(Role.COORDINATOR),
        },
        mentor=mentor_id,
        other_mentor=other_mentor_id,
        student=await student_id(api, student),
        other_student=await student_id(api, other_student),
        match=match,
        accepted_request=accepted,
        waiting_request=waiting,
        emails={
            "mentor": "mentor@example.com",
            "other mentor": "other.mentor@example.com",
            "student": student.email,
            "other student": other_student.email,
        },
    )


EMAIL = "email"  # the profile's contact email is shown
HIDDEN = None  # the profile is shown, its email is not
# target profile -> role -> what that role gets when reading it by id
PROFILE_MATRIX: dict[str, dict[str, str | None]] = {
    "mentor": {
        "anonymous": "UNAUTHENTICATED",
        "student": EMAIL,  # their accepted mentee
        "other student": HIDDEN,
        "mentor": EMAIL,  # themself
        "other mentor": "NOT_FOUND",  # mentors do not browse mentors
        "coordinator": HIDDEN,
    },
    "other mentor": {
        "anonymous": "UNAUTHENTICATED",
        "student": HIDDEN,
        "other student": HIDDEN,  # asked, not accepted
        "mentor": "NOT_FOUND",
        "other mentor": EMAIL,
        "coordinator": HIDDEN,
    },
    "student": {
        "anonymous": "UNAUTHENTICATED",
        "student": EMAIL,
        "other student": "NOT_FOUND",
        "mentor": EMAIL,  # the mentor who accepted them
        "other mentor": "NOT_FOUND",
        "coordinator": HIDDEN,
    },
    "other student": {
        "anonymous": "UNAUTHENTICATED",
        "student": "NOT_FOUND",
        "other student": EMAIL,
        "mentor": "NOT_FOUND",
        "other mentor": HIDDEN,  # asked them, has not accepted
        "coordinator": HIDDEN,
    },
}


def target_id(w: World, target: str) -> str:
    return {
        "mentor": w.mentor,
        "other mentor": w.other_mentor,
        "student": w.student,
        "other student": w.other_student,
    }[target]


@pytest.mark.parametrize("target", list(PROFILE_MATRIX))
async def test_every_role_sees_a_profile_and_its_email_only_as_rule_3_allows(
    api: Api, target: str
) -> None:
    w = await world(api)
    for role in ROLES:
        expected = PROFILE_MATRIX[target][role]
        body = await api.result(NODE, {"id": target_id(w, target)}, as_=w.people[role])
        where = f"{role} reading {target}"
        if expected in (EMAIL, HIDDEN):
            assert not body.get("errors"), where
            email = w.emails[target] if expected == EMAIL else None
            assert body["data"]["node"]["contactEmail"] == email, where
        else:
            assert body["data"] is None, where
            assert body["errors"][0]["extensions"]["code"] == expected, where
            assert body["errors"][0]["message"].endswith("."), where


async def test_the_pair_see_each_others_email_through_their_match_and_nobody_else(
    api: Api,
) -> None:
    w = await world(api)
    mentor, student = w.people["mentor"], w.people["student"]
    for person in (mentor, student):
        (match,) = (await api.ok(MY_MATCHES, as_=person))["myMatches"]
        assert match["mentor"]["contactEmail"] == w.emails["mentor"]
        assert match["student"]["contactEmail"] == w.emails["student"]
    # A request not (yet) accepted shares nothing, in either direction.
    for role in ("other mentor", "other student"):
        (waiting,) = (await api.ok(MY_REQUESTS, as_=w.people[role]))["myRequests"]
        assert waiting["id"] == w.waiting_request
        own, other = ("mentor", "student") if role == "other mentor" else ("student", "mentor")
        assert waiting[own]["contactEmail"] == w.emails[role]
        assert waiting[other]["contactEmail"] is None


def test_date_of_birth_is_not_in_the_schema_at_all() -> None:
    schema = build_schema(sdl())
    names = []
    for type_ in schema.type_map.values():
        for name, field in getattr(type_, "fields", {}).items():
            names.append(f"{type_.name}.{name}")
            names += [f"{type_.name}.{name}({arg})" for arg in getattr(field, "args", {})]
    assert names  # the walk found the schema's fields
    assert [name for name in names if "birth" in name.lower()] == []


def test_contact_emails_can_be_withheld_without_breaking_a_query() -> None:
    text = sdl()
    for type_name in ("Mentor", "Student"):
        block = text.split(f"type {type_name} implements Node {{", 1)[1].split("}", 1)[0]
        assert "contactEmail: String\n" in block  # nullable: hidden is null, not an error


REQUEST_MATRIX: dict[str, dict[str, str | None]] = {
    # role -> what reading the waiting request (other student -> other mentor) by id gives
    "waiting": {
        "anonymous": "UNAUTHENTICATED",
        "student": "NOT_FOUND",
        "other student": None,
        "mentor": "NOT_FOUND",
        "other mentor": None,
        "coordinator": None,
    },
    "match": {
        "anonymous": "UNAUTHENTICATED",
        "student": None,
        "other student": "NOT_FOUND",
        "mentor": None,
        "other mentor": "NOT_FOUND",
        "coordinator": None,
    },
}


@pytest.mark.parametrize("target", list(REQUEST_MATRIX))
async def test_requests_and_matches_by_id_are_seen_only_by_their_people(
    api: Api, target: str
) -> None:
    w = await world(api)
    node_id = w.waiting_request if target == "waiting" else w.match
    for role in ROLES:
        body = await api.result(
            "query($id: ID!) { node(id: $id) { id } }", {"id": node_id}, as_=w.people[role]
        )
        expected = REQUEST_MATRIX[target][role]
        if expected is None:
            assert body["data"]["node"]["id"] == node_id, role
        else:
            assert body["errors"][0]["extensions"]["code"] == expected, role


async def test_nobody_reads_another_students_requests(api: Api) -> None:
    w = await world(api)
    seen = {
        role: {r["id"] for r in (await api.ok(MY_REQUESTS, as_=w.people[role]))["myRequests"]}
        for role in ("student", "other student", "mentor", "other mentor")
    }
    assert seen == {
        "student": {w.accepted_request},
        "other student": {w.waiting_request},
        "mentor": {w.accepted_request},
        "other mentor": {w.waiting_request},
    }
    for role in ("student", "other student", "mentor", "other mentor"):
        for query in ("{ requests { totalCount } }", "{ matches { totalCount } }"):
            error = await api.error(query, as_=w.people[role])
            assert error["extensions"]["code"] == "FORBIDDEN", (role, query)
            assert error["message"] == "Only a coordinator can do that."
    everything = await api.ok("{ requests { totalCount } }", as_=w.people["coordinator"])
    assert everything["requests"]["totalCount"] == 2


# mutation -> role -> the refusal's code (every one of these is refused)
DECISIONS = {
    "accept": (f.ACCEPT, {}),
    "reject": (f.REJECT, {"reason": "No."}),
    "withdraw": (f.WITHDRAW, {}),
}
REFUSALS: dict[str, dict[str, str]] = {
    "accept": {
        "anonymous": "UNAUTHENTICATED",
        "student": "FORBIDDEN",
        "other student": "FORBIDDEN",  # even their own request: students do not accept
        "mentor": "NOT_FOUND",  # another mentor's request
        "coordinator": "FORBIDDEN",  # only through overrideRequest
    },
    "reject": {
        "anonymous": "UNAUTHENTICATED",
        "student": "FORBIDDEN",
        "other student": "FORBIDDEN",
        "mentor": "NOT_FOUND",
        "coordinator": "FORBIDDEN",
    },
    "withdraw": {
        "anonymous": "UNAUTHENTICATED",
        "student": "NOT_FOUND",  # another student's request
        "mentor": "FORBIDDEN",
        "other mentor": "FORBIDDEN",  # mentors reject; they do not withdraw
        "coordinator": "FORBIDDEN",
    },
}


@pytest.mark.parametrize("decision", list(REFUSALS))
async def test_only_the_right_person_decides_a_request(api: Api, decision: str) -> None:
    w = await world(api)
    mutation, extra = DECISIONS[decision]
    for role, code in REFUSALS[decision].items():
        error = await api.error(mutation, {"id": w.waiting_request, **extra}, as_=w.people[role])
        assert error["extensions"]["code"] == code, role
        assert error["message"].endswith("."), role
    # Nothing moved: the request still waits on the other mentor.
    (waiting,) = (await api.ok(MY_REQUESTS, as_=w.people["other student"]))["myRequests"]
    assert waiting["status"] == "PENDING"
    # The right person can.
    right = "other student" if decision == "withdraw" else "other mentor"
    done = await api.ok(mutation, {"id": w.waiting_request, **extra}, as_=w.people[right])
    assert next(iter(done.values()))["status"] in {"ACCEPTED", "REJECTED", "WITHDRAWN"}


async def test_a_coordinator_steps_in_only_through_an_override(api: Api) -> None:
    w = await world(api)
    coordinator = w.people["coordinator"]
    error = await api.error(f.ACCEPT, {"id": w.waiting_request}, as_=coordinator)
    assert error["message"] == "Coordinators decide on a mentor's behalf only with an override."
    done = await api.ok(OVERRIDE, {"id": w.waiting_request}, as_=coordinator)
    assert done["overrideRequest"]["status"] == "REJECTED"


@pytest.mark.parametrize(
    ("role", "code"),
    [("anonymous", "UNAUTHENTICATED"), ("mentor", "FORBIDDEN"), ("coordinator", "FORBIDDEN")],
)
async def test_only_students_send_requests(api: Api, role: str, code: str) -> None:
    w = await world(api)
    error = await api.error(
        f.SEND, {"mentorId": w.other_mentor, "message": "Hi"}, as_=w.people[role]
    )
    assert error["extensions"]["code"] == code


async def test_a_mentor_hidden_from_a_student_stays_hidden_when_they_ask(api: Api) -> None:
    await f.programme(api)
    _, draft = await f.mentor(api, displayName="Secret Draft", publish=False)
    newcomer = await f.student(api)
    body = await api.result(NODE, {"id": draft}, as_=newcomer)
    assert body["errors"][0]["extensions"]["code"] == "NOT_FOUND"
    error = await api.error(f.SEND, {"mentorId": draft, "message": ""}, as_=newcomer)
    assert error["extensions"]["code"] == "MENTOR_NOT_AVAILABLE"
    assert "Secret Draft" not in error["message"]
