"""Every text input of every mutation at its longest (200-character names, 320-character
addresses, 4000-character backgrounds, 30 questions of 500 characters): the whole programme
round still works, every letter is written, rendered and sent, and the periodic tasks still
remind, expire and announce. What is derived from people's text (a mail's subject) is
shortened to fit where it is stored, never refused or lost."""

from __future__ import annotations

import email
import email.policy
from datetime import date, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy.ext.asyncio import AsyncEngine

from app.mailer import WIRE, render
from app.scheduler import Scheduler
from db.models import OutboxStatus, Role
from tests import factories as f
from tests.clients import Api, Person
from tests.databases import outbox
from tests.waiting import eventually

ZONE = "America/Argentina/ComodRivadavia"  # the longest time zone name there is
UPDATE_PROGRAMME = """mutation($id: ID!, $input: UpdateProgrammeInput!) {
  updateProgramme(id: $id, input: $input) { id name }
}"""
UPDATE_MENTOR = """mutation($input: MentorProfileInput!) {
  updateMentorProfile(input: $input) { id displayName headline city }
}"""
SEARCH = "query($text: String) { mentors(filter: {text: $text}) { totalCount } }"
OVERRIDE = """mutation($id: ID!, $decision: Decision!, $reason: String) {
  overrideRequest(requestId: $id, decision: $decision, reason: $reason) { id status }
}"""
BRIEFING = """mutation($input: BriefingSessionInput!) {
  createBriefingSession(input: $input) { id place onlineUrl }
}"""
UPDATE_BRIEFING = """mutation($id: ID!, $input: BriefingSessionInput!) {
  updateBriefingSession(id: $id, input: $input) { id }
}"""
SIGN_UP = "mutation($id: ID!) { signUpForBriefing(briefingId: $id) { signedUpCount } }"
CANCEL = "mutation($id: ID!) { cancelBriefingSignUp(briefingId: $id) { signedUpCount } }"
DEFINE = """mutation($input: DefineSurveyInput!) {
  defineSurvey(input: $input) { id title questions { id kind } }
}"""
ANSWER = """mutation($survey: ID!, $match: ID!, $answers: [SurveyAnswerInput!]!) {
  answerSurvey(surveyId: $survey, matchId: $match, answers: $answers) { id }
}"""
RESULTS = "query($id: ID!) { surveyResults(surveyId: $id) { responses } }"
CSV = "query($id: ID!) { surveyResultsCsv(surveyId: $id) }"
MY_MATCHES = "{ myMatches { id } }"
RECORD = """mutation($match: ID!, $on: Date!, $note: String!) {
  recordMeeting(matchId: $match, metOn: $on, note: $note) { id note }
}"""
MY_DATA = "{ myPersonalData }"


def filled(words: str, length: int) -> str:
    """Text of exactly `length` characters (non-ASCII, with spaces; none at either end)."""
    text = ((words + " ") * (length // len(words) + 2))[:length]
    return text[:-1] + "x" if text.endswith(" ") else text


def longest_email(who: str) -> str:
    """320 characters: a 64-character local part, @, a 255-character domain."""
    local = filled(who.replace(" ", "."), 64).replace(" ", ".")
    labels = ["a" * 63, "b" * 63, "c" * 63, "d" * 60]  # 63+1+63+1+63+1+60 = 252
    address = f"{local}@{'.'.join(labels)}.fi"
    assert len(address) == 320
    return address


def person(api: Api, role: Role, who: str) -> Person:
    """Someone whose name (200 characters) and email (320) are as long as a token may carry."""
    return api.person(role, filled(who, 200), email=longest_email(who))


def local_today(api: Api) -> date:
    return api.server.clock().astimezone(ZoneInfo(ZONE)).date()


def mentor_profile(who: str, fields: list[str]) -> dict[str, Any]:
    return {
        "displayName": filled(f"{who} Ääkkönen-Øresund", 200),
        "headline": filled("Pääinsinööri ja tiiminvetäjä", 200),
        "educationalBackground": filled("Diplomi-insinööri, Aalto-yliopisto.\n", 4000),
        "professionalBackground": filled("Kaksitoista vuotta ohjelmistoja.\n", 4000),
        "careerExperience": filled("Johtanut tiimejä ja palkannut insinöörejä.\n", 4000),
        "workingLifeYears": 12,
        "city": filled("Llanfairpwllgwyngyll Helsingfors", 120),
        "contactEmail": longest_email(f"{who} contact"),
        "languages": ["fi", "en"],
        "degreeLevels": ["MASTERS"],
        "fields": fields,
        "dateOfBirth": f.DATE_OF_BIRTH,
    }


async def test_every_text_input_at_its_longest_runs_the_whole_round(
    api: Api, engine: AsyncEngine
) -> None:
    scheduler: Scheduler = api.server.app.state.scheduler
    coordinator = person(api, Role.COORDINATOR, "Koordinaattori Kärkkäinen")
    today = local_today(api)

    def day(offset: int) -> str:
        return (today + timedelta(days=offset)).isoformat()

    created = await api.ok(
        f.CREATE_PROGRAMME,
        {
            "input": {
                "name": filled("Mentorointiohjelma Åbo Akademi 2026 –", 200),
                "timezone": ZONE,
                "phases": [
                    {"phase": "MENTOR_SIGNUP", "opensOn": day(-10), "closesOn": day(20)},
                    {"phase": "STUDENT_REQUESTS", "opensOn": day(-3), "closesOn": day(20)},
                    {"phase": "BRIEFINGS", "opensOn": day(0), "closesOn": day(30)},
                    {"phase": "PROGRAMME", "opensOn": day(0), "closesOn": day(200)},
                ],
                "limits": {"requestExpiryHours": 72, "reminderHoursBeforeExpiry": 24},
            }
        },
        as_=coordinator,
    )
    programme_id = created["createProgramme"]["id"]
    programme_name = filled("Mentoring programme of the Faculty of Ünïcode –", 200)
    await api.ok(
        UPDATE_PROGRAMME, {"id": programme_id, "input": {"name": programme_name}}, as_=coordinator
    )

    # Briefings with the longest place and link.
    starts = (api.server.clock() + timedelta(days=10)).isoformat()
    briefings = {}
    for audience in ("MENTORS", "STUDENTS"):
        long_briefing = {
            "audience": audience,
            "startsAt": starts,
            "capacity": 40,
            "place": filled("Päärakennus, sali 3, Yliopistonkatu", 300),
            "onlineUrl": "https://meet.example.edu/" + "r" * (500 - 25),
        }
        data = await api.ok(BRIEFING, {"input": long_briefing}, as_=coordinator)
        briefings[audience] = data["createBriefingSession"]["id"]
        await api.ok(
            UPDATE_BRIEFING, {"id": briefings[audience], "input": long_briefing}, as_=coordinator
        )

    # Mentors and students, every field at its longest.
    mentors = []
    for n, capacity in ((1, 2), (2, 1)):
        mentor = person(api, Role.MENTOR, f"Mentori{n} Määttä-Åkerlund")
        known = await f.field_ids(api, mentor)
        profile = mentor_profile(f"Mentori{n}", [known["Computer Science"]])
        given = {"input": {**profile, "capacity": capacity}}
        data = await api.ok(f.CREATE_MENTOR, given, as_=mentor)
        await api.ok(UPDATE_MENTOR, {"input": profile}, as_=mentor)
        await api.ok(f.PUBLISH, as_=mentor)
        mentors.append((mentor, data["createMentorProfile"]["id"]))
    (m1, m1_id), (m2, m2_id) = mentors
    students = []
    for n in range(1, 7):
        student = person(api, Role.STUDENT, f"Opiskelija{n} Öhman-Ääritalo")
        await api.ok(
            f.STUDENT_PROFILE,
            {
                "input": {
                    "displayName": filled(f"Opiskelija{n} Öhman-Ääritalo", 200),
                    "degreeLevel": "MASTERS",
                    "field": (await f.field_ids(api, student))["Computer Science"],
                    "languages": ["en"],
                    "contactEmail": longest_email(f"Opiskelija{n} contact"),
                }
            },
            as_=student,
        )
        students.append(student)
    s1, s2, s3, s4, s5, s6 = students
    await api.ok(SEARCH, {"text": filled("Pääinsinööri Helsingfors", 200)}, as_=s1)

    # The requests: accepted, rejected, withdrawn, overridden, closed, reminded and expired.
    message = filled("Hei! Opiskelen tietotekniikkaa ja haluaisin mentorin.\n", 2000)
    reason = filled("Alani on liian kaukana sinun alastasi.\n", 1000)

    async def send(student: Person, mentor_id: str) -> str:
        data = await api.ok(f.SEND, {"mentorId": mentor_id, "message": message}, as_=student)
        request_id: str = data["sendRequest"]["id"]
        return request_id

    await api.ok(f.ACCEPT, {"id": await send(s1, m1_id)}, as_=m1)
    await api.ok(f.REJECT, {"id": await send(s2, m2_id), "reason": reason}, as_=m2)
    await api.ok(f.WITHDRAW, {"id": await send(s2, m1_id)}, as_=s2)
    refused = await send(s3, m2_id)
    await api.ok(OVERRIDE, {"id": refused, "decision": "REJECT", "reason": reason}, as_=coordinator)
    fourth = await send(s4, m1_id)
    await send(s5, m1_id)
    await api.ok(f.ACCEPT, {"id": fourth}, as_=m1)  # m1 is full: the fifth is closed
    await send(s6, m2_id)
    api.server.clock.advance(hours=49)
    await scheduler.run_round()  # the mentor is reminded
    api.server.clock.advance(hours=24)
    await scheduler.run_round()  # the request expires
    again = await send(s6, m2_id)
    await api.ok(OVERRIDE, {"id": again, "decision": "ACCEPT", "reason": reason}, as_=coordinator)

    # Briefings, meetings and the surveys.
    await api.ok(SIGN_UP, {"id": briefings["MENTORS"]}, as_=m1)
    await api.ok(SIGN_UP, {"id": briefings["STUDENTS"]}, as_=s1)
    await api.ok(SIGN_UP, {"id": briefings["STUDENTS"]}, as_=s4)
    await api.ok(CANCEL, {"id": briefings["STUDENTS"]}, as_=s4)
    api.server.clock.advance(days=1)
    [match] = (await api.ok(MY_MATCHES, as_=s1))["myMatches"]
    note = filled("Puhuimme urasta, CV:stä ja verkostoista.\n", 2000)
    meeting = {"match": match["id"], "on": local_today(api).isoformat(), "note": note}
    assert (await api.ok(RECORD, meeting, as_=s1))["recordMeeting"]["note"] == note

    opens = local_today(api) + timedelta(days=5)
    questions = [
        {"kind": "SCALE_1_5" if n % 2 else "TEXT", "prompt": filled(f"Kysymys {n}: miten?", 500)}
        for n in range(30)
    ]
    surveys = {}
    for kind in ("HALFWAY", "FINAL"):
        data = await api.ok(
            DEFINE,
            {
                "input": {
                    "kind": kind,
                    "title": filled(f"Väliarviointi {kind} – kerro meille", 200),
                    "questions": questions,
                    "opensOn": opens.isoformat(),
                    "closesOn": (opens + timedelta(days=14)).isoformat(),
                }
            },
            as_=coordinator,
        )
        surveys[kind] = data["defineSurvey"]
    api.server.clock.advance(days=5)
    await scheduler.run_round()  # both surveys are announced
    halfway = surveys["HALFWAY"]
    answers = [
        {"questionId": q["id"], "scale": 4}
        if q["kind"] == "SCALE_1_5"
        else {"questionId": q["id"], "text": filled("Enemmän tapaamisia, kiitos.\n", 4000)}
        for q in halfway["questions"]
    ]
    answered = {"survey": halfway["id"], "match": match["id"], "answers": answers}
    await api.ok(ANSWER, answered, as_=s1)
    assert (await api.ok(RESULTS, {"id": halfway["id"]}, as_=coordinator))["surveyResults"][
        "responses"
    ] == 1
    assert (await api.ok(CSV, {"id": halfway["id"]}, as_=coordinator))["surveyResultsCsv"]
    for someone in (m1, s1, coordinator):
        assert (await api.ok(MY_DATA, as_=someone))["myPersonalData"]

    # Every letter was written (each kind there is), renders, and is sent.
    rows = await outbox(engine)
    assert {r.kind for r in rows} == {
        "request_arrived",
        "request_accepted",
        "request_rejected",
        "request_closed_mentor_full",
        "request_reminder",
        "request_expired",
        "survey_open",
    }
    for row in rows:
        assert len(row.subject) <= 300
        assert row.subject.startswith("[Mentoring programme of the Faculty")
        assert programme_name in row.body_text  # shortened in the subject only
        sent = render(row, api.server.settings).as_bytes(policy=WIRE)
        assert max(len(line) for line in sent.split(b"\r\n")) <= 998
        parsed = email.message_from_bytes(sent, policy=email.policy.default)
        assert str(parsed["Subject"]) == row.subject
        assert str(parsed["To"]) == row.to_address

    async def all_sent() -> bool:
        return all(r.status is OutboxStatus.SENT for r in await outbox(engine))

    api.server.app.state.mailer.poke()
    await eventually(all_sent, what="every letter to be sent", within=60)


async def test_erasing_a_short_name_keeps_every_subject_that_named_it_within_its_column(
    api: Api, engine: AsyncEngine
) -> None:
    # Erasure replaces "Ann" wherever it appears, even inside longer names, by "[erased]":
    # a subject grows by five characters for each, here from 156 characters to 346.
    many = "Ann" * 66
    await f.programme(api, name=many)
    mentor, mentor_id = await f.mentor(api, api.person(Role.MENTOR, many))
    ann = await f.student(api, api.person(Role.STUDENT, "Ann"))
    other = await f.student(api)
    await f.send(api, ann, mentor_id)
    await api.ok(f.REJECT, {"id": await f.send(api, other, mentor_id)}, as_=mentor)

    await api.ok("mutation { eraseMe { erasedAt } }", as_=ann)
    [rejected] = await outbox(engine, "request_rejected")
    assert rejected.to_address == other.email
    assert "Ann" not in rejected.subject
    assert len(rejected.subject) <= 300
