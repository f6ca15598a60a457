"""Who sees what and who may do what: every role against every private field and every
decision (rule 3, docs/rules.md): contact details reach only the two people of a match."""

from __future__ import annotations

import contextlib
import json
import re
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

import pytest
from graphql import GraphQLInputObjectType, GraphQLNamedType, build_schema, get_named_type

from app.schema import sdl
from db.models import Role
from tests import factories as f
from tests import readable
from tests.clients import Api, Person, live_client, until_listening

NODE = """query($id: ID!) { node(id: $id) {
  id
  ... on Mentor { contactEmail identityVerified }
  ... on Student { contactEmail }
} }"""
MY_REQUESTS = "{ myRequests { id status student { contactEmail } mentor { contactEmail } } }"
MY_MATCHES = "{ myMatches { id mentor { contactEmail } student { contactEmail } } }"
UPDATE_PROFILE = """mutation($input: MentorProfileInput!) {
  updateMentorProfile(input: $input) { id }
}"""
WITHDRAW_PROFILE = "mutation { withdrawMentorProfile { id } }"
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


# target mentor -> who learns whether their identity is checked (the others read null)
IDENTITY_SEEN_BY = {
    "mentor": {"mentor", "coordinator"},
    "other mentor": {"other mentor", "coordinator"},
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
            if target in IDENTITY_SEEN_BY:  # not yet checked: False to those who may know
                verified = False if role in IDENTITY_SEEN_BY[target] else None
                assert body["data"]["node"]["identityVerified"] is verified, where
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


PARTNERS = """{ myMatches {
  mentor { displayName erased contactEmail } student { displayName erased contactEmail } } }"""


async def test_a_partner_who_erased_their_data_is_said_to_have_erased_it(api: Api) -> None:
    w = await world(api)
    mentor, student = w.people["mentor"], w.people["student"]
    assert mentor is not None
    assert student is not None
    (before,) = (await api.ok(PARTNERS, as_=mentor))["myMatches"]
    assert (before["mentor"]["erased"], before["student"]["erased"]) == (False, False)

    await api.ok("mutation { eraseMe { erasedAt } }", as_=student)
    (match,) = (await api.ok(PARTNERS, as_=mentor))["myMatches"]
    assert match["student"] == {"displayName": "Former student", "erased": True, "contactEmail": ""}
    assert match["mentor"]["erased"] is False


# The one place a date of birth enters the API (rule 2): the mentor profile's input, which
# these operations take. Nothing reads it back.
BIRTH_INPUTS = ["MentorProfileInput.dateOfBirth"]
# checkMentorProfile answers what publishing still needs as the mentor types: gaps, never values.
TAKING_IT = [
    "Mutation.createMentorProfile",
    "Mutation.updateMentorProfile",
    "Query.checkMentorProfile",
]


def _inputs_within(type_: GraphQLNamedType, seen: set[str]) -> set[str]:
    """The input types an argument of this type can hold, itself included."""
    if not isinstance(type_, GraphQLInputObjectType) or type_.name in seen:
        return set()
    seen.add(type_.name)
    for field in type_.fields.values():
        _inputs_within(get_named_type(field.type), seen)
    return seen


def test_a_date_of_birth_is_only_written_through_the_mentor_profile_input() -> None:
    schema = build_schema(sdl())
    outputs, arguments, inputs = [], [], []
    for type_ in schema.type_map.values():
        if type_.name.startswith("__"):
            continue
        if isinstance(type_, GraphQLInputObjectType):
            inputs += [f"{type_.name}.{name}" for name in type_.fields]
            continue
        for name, field in getattr(type_, "fields", {}).items():
            outputs.append(f"{type_.name}.{name}")
            arguments += [f"{type_.name}.{name}({arg})" for arg in field.args]
        outputs += [f"{type_.name}.{v}" for v in getattr(type_, "values", {})]  # enums
    assert all((outputs, arguments, inputs))  # the walk found the schema
    assert [name for name in outputs + arguments if "birth" in name.lower()] == []
    assert [name for name in inputs if "birth" in name.lower()] == BIRTH_INPUTS
    holding = {name.split(".")[0] for name in BIRTH_INPUTS}
    taking = []
    for root in (schema.query_type, schema.mutation_type, schema.subscription_type):
        assert root is not None
        for name, field in root.fields.items():
            within: set[str] = set()
            for arg in field.args.values():
                _inputs_within(get_named_type(arg.type), within)
            if within & holding:
                taking.append(f"{root.name}.{name}")
    assert sorted(taking) == TAKING_IT  # and never a subscription


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


BORN = date(1961, 7, 29)
# The date as anything might write it; and its year on its own.
BORN_AS = [
    BORN.isoformat(),
    BORN.strftime("%d.%m.%Y"),
    f"{BORN.day}.{BORN.month}.{BORN.year}",
    BORN.strftime("%m/%d/%Y"),
    BORN.strftime("%d/%m/%Y"),
    BORN.strftime("%Y/%m/%d"),
    BORN.strftime("%Y%m%d"),
    BORN.strftime("%d %B %Y"),
    BORN.strftime("%B %d, %Y"),
    BORN.strftime("%d %b %Y"),
]
BORN_YEAR = re.compile(rf"(?<!\d){BORN.year}(?!\d)")
DEFINE_SURVEY = """mutation($input: DefineSurveyInput!) {
  defineSurvey(input: $input) { id questions { id } }
}"""
ANSWER_SURVEY = """mutation($survey: ID!, $match: ID!, $answers: [SurveyAnswerInput!]!) {
  answerSurvey(surveyId: $survey, matchId: $match, answers: $answers) { id }
}"""
# A crawl that did not run is no proof: these say the document itself was refused.
NOT_READ = {"GRAPHQL_VALIDATION_FAILED", "QUERY_TOO_COMPLEX", "INTERNAL_ERROR"}


def shows_the_date_of_birth(text: str) -> list[str]:
    return [form for form in BORN_AS if form.lower() in text.lower()] + BORN_YEAR.findall(text)


async def read_everything(api: Api, person: Person, given: dict[str, Any]) -> list[str]:
    """Every root query as this person, each selecting everything it can, as raw answers."""
    schema = build_schema(sdl())
    assert schema.query_type is not None
    answers = []
    for name, field in schema.query_type.fields.items():
        if name == "node":
            continue  # read by each type below
        document, variables = readable.call("Query", name, field, schema, given, depth=5)
        answers.append((name, await api.raw(document, variables, token=person.token)))
    for node_id, type_name in given["nodes"]:
        inner = readable.selection(schema.type_map[type_name], schema, 4)
        document = f"query($id: ID!) {{ node(id: $id) {{ ... on {type_name} {inner} }} }}"
        answers.append(
            (f"node {type_name}", await api.raw(document, {"id": node_id}, token=person.token))
        )
    for name, response in answers:
        body = response.json()
        codes = {e.get("extensions", {}).get("code") for e in body.get("errors") or ()}
        assert not codes & NOT_READ, (name, body["errors"])
    return [f"{name}: {response.text}" for name, response in answers]


async def test_a_date_of_birth_given_is_found_nowhere_anyone_can_read(api: Api) -> None:
    """Rule 2, end to end: a mentor gives their date of birth; every query of the schema (as
    the mentor, their mentee and a coordinator), every node, the survey CSV, the personal data
    download and every subscription's events are searched for it in any format."""
    coordinator = api.person(Role.COORDINATOR)
    programme_id = await f.programme(api, coordinator)
    mentor, mentor_id = await f.mentor(api, capacity=2, dateOfBirth=BORN.isoformat())
    held = await api.ok("{ myMentorProfile { identityDateHeld } }", as_=mentor)
    assert held["myMentorProfile"]["identityDateHeld"] is True
    student = await f.student(api)
    request_id = await f.send(api, student, mentor_id)
    await api.ok(f.ACCEPT, {"id": request_id}, as_=mentor)
    match_id = (await api.ok(MY_MATCHES, as_=student))["myMatches"][0]["id"]
    today = f.today(api)
    survey = (
        await api.ok(
            DEFINE_SURVEY,
            {
                "input": {
                    "kind": "HALFWAY",
                    "title": "Check-in",
                    "opensOn": str(today),
                    "closesOn": str(today + timedelta(days=9)),
                    "questions": [{"kind": "TEXT", "prompt": "How is it going?"}],
                }
            },
            as_=coordinator,
        )
    )["defineSurvey"]
    answers = [{"questionId": survey["questions"][0]["id"], "text": "Well."}]
    variables = {"survey": survey["id"], "match": match_id, "answers": answers}
    await api.ok(ANSWER_SURVEY, variables, as_=mentor)
    given: dict[str, Any] = {
        "id": mentor_id,
        "programmeChangeImpact.id": programme_id,
        "input": {},
        "surveyId": survey["id"],
        "matchId": match_id,
        "days": 0,
        "semicolons": False,
        "includeRetired": True,
        "checkCoordinatorInvite.email": "someone.new@example.fi",
        "nodes": [
            (mentor_id, "Mentor"),
            (await student_id(api, student), "Student"),
            (match_id, "Match"),
            (request_id, "MentorRequest"),
        ],
    }
    texts = []
    for person in (mentor, student, coordinator):
        texts += await read_everything(api, person, given)
    assert any("identityDateHeld" in text for text in texts)  # the crawl read the profile
    assert any("stored for identity checks only" in text for text in texts)  # and the download
    # A search is no way to find it either.
    for person in (student, coordinator):
        search = f'{{ mentors(filter: {{text: "{BORN.year}"}}) {{ totalCount }} }}'
        assert (await api.ok(search, as_=person))["mentors"]["totalCount"] == 0

    # Live: everyone listens while the mentor gives the date again and changes their listing.
    schema = build_schema(sdl())
    assert schema.subscription_type is not None
    newcomer = await f.student(api)
    listeners = [
        (coordinator, "mentorAvailabilityChanged"),
        (coordinator, "programmeStats"),
        (coordinator, "programmeEvents"),
        (mentor, "myRequestEvents"),
        (student, "mentorAvailabilityChanged"),
        (newcomer, "myRequestEvents"),
    ]
    assert {name for _, name in listeners} == set(schema.subscription_type.fields)
    async with contextlib.AsyncExitStack() as stack:
        subscribed = []
        for person, name in listeners:
            client = await stack.enter_async_context(live_client(api.server.ws_url, person.token))
            field = schema.subscription_type.fields[name]
            document, variables = readable.call("Subscription", name, field, schema, {}, depth=4)
            subscribed.append((name, client, await client.subscribe(document, variables)))
        await until_listening(api.client, len(subscribed))
        update = {"input": {"headline": "Still here", "dateOfBirth": BORN.isoformat()}}
        await api.ok(UPDATE_PROFILE, update, as_=mentor)
        await api.ok(WITHDRAW_PROFILE, as_=mentor)
        await api.ok(f.PUBLISH, as_=mentor)
        await f.send(api, newcomer, mentor_id)
        for name, client, operation in subscribed:
            first = await client.message(operation)
            assert first["type"] == "next", (name, first)
            texts += [f"{name}: {json.dumps(m)}" for m in client.received(operation)]

    found = [(text[:60], shows_the_date_of_birth(text)) for text in texts]
    assert [(where, forms) for where, forms in found if forms] == []
