"""Surveys (rule 10): they open on their dates and say so by email, each side of each match
answers once, and coordinators see response rates, averages and a CSV."""

from __future__ import annotations

import asyncio
import csv
import io
from datetime import timedelta
from typing import Any

from sqlalchemy.ext.asyncio import AsyncEngine

from app.scheduler import Scheduler
from db.models import Role
from tests import factories as f
from tests.clients import Api, Person
from tests.databases import logged, outbox

DEFINE = """mutation($input: DefineSurveyInput!) {
  defineSurvey(input: $input) {
    id kind title opensOn closesOn isOpen questions { id position kind prompt }
  }
}"""
TASKS = "{ mySurveyTasks { survey { id title } matchId side answered } }"
ANSWER = """mutation($survey: ID!, $match: ID!, $answers: [SurveyAnswerInput!]!) {
  answerSurvey(surveyId: $survey, matchId: $match, answers: $answers) { id side }
}"""
RESULTS = """query($id: ID!) { surveyResults(surveyId: $id) {
  expectedResponses responses mentorResponses studentResponses responseRate
  questions { question { prompt kind } answers average distribution }
} }"""
CSV = "query($id: ID!) { surveyResultsCsv(surveyId: $id) }"
MY_MATCHES = "{ myMatches { id } }"


async def matched_programme(api: Api) -> tuple[Person, Person, Person, Person]:
    """A coordinator, and a mentor matched with two students."""
    coordinator = api.person(Role.COORDINATOR)
    await f.programme(api, coordinator, name="Mentoring 2026")
    mentor, mentor_id = await f.mentor(api, api.person(Role.MENTOR, "Maija Mentor"), capacity=2)
    students = [await f.student(api, api.person(Role.STUDENT, name)) for name in ("Aino", "Bertta")]
    for student in students:
        request_id = await f.send(api, student, mentor_id)
        await api.ok(f.ACCEPT, {"id": request_id}, as_=mentor)
    return coordinator, mentor, students[0], students[1]


async def define_halfway(api: Api, coordinator: Person, *, opens_in: int) -> dict[str, Any]:
    today = f.today(api)
    data = await api.ok(
        DEFINE,
        {
            "input": {
                "kind": "HALFWAY",
                "title": "The halfway check-in",
                "opensOn": (today + timedelta(days=opens_in)).isoformat(),
                "closesOn": (today + timedelta(days=opens_in + 14)).isoformat(),
                "questions": [
                    {"kind": "SCALE_1_5", "prompt": "How useful are your meetings?"},
                    {"kind": "TEXT", "prompt": "What would you change?"},
                ],
            }
        },
        as_=coordinator,
    )
    survey: dict[str, Any] = data["defineSurvey"]
    return survey


def answers(survey: dict[str, Any], scale: int, text: str = "") -> list[dict[str, Any]]:
    scale_q, text_q = (q["id"] for q in survey["questions"])
    return [{"questionId": scale_q, "scale": scale}, {"questionId": text_q, "text": text}]


async def only_match(api: Api, person: Person) -> str:
    [match] = (await api.ok(MY_MATCHES, as_=person))["myMatches"]
    match_id: str = match["id"]
    return match_id


async def test_a_survey_opens_on_its_date_is_announced_once_and_answered_once_per_side(
    api: Api, engine: AsyncEngine
) -> None:
    coordinator, mentor, aino, bertta = await matched_programme(api)
    survey = await define_halfway(api, coordinator, opens_in=10)
    assert survey["isOpen"] is False
    aino_match = await only_match(api, aino)
    error = await api.error(
        ANSWER,
        {"survey": survey["id"], "match": aino_match, "answers": answers(survey, 4)},
        as_=aino,
    )
    assert error["extensions"]["code"] == "PHASE_CLOSED"
    assert (await api.ok(TASKS, as_=aino))["mySurveyTasks"] == []

    api.server.clock.advance(days=10)
    scheduler: Scheduler = api.server.app.state.scheduler
    await scheduler.run_round()
    await scheduler.run_round()
    announced = await outbox(engine, "survey_open")
    assert sorted(m.to_address for m in announced) == sorted(
        [mentor.email, mentor.email, aino.email, bertta.email]
    )
    assert all(m.subject.startswith("[Mentoring 2026] The halfway check-in") for m in announced)

    tasks = (await api.ok(TASKS, as_=mentor))["mySurveyTasks"]
    assert len(tasks) == 2
    assert {(t["side"], t["answered"]) for t in tasks} == {("MENTOR", False)}

    await api.ok(
        ANSWER,
        {"survey": survey["id"], "match": aino_match, "answers": answers(survey, 4, "More!")},
        as_=aino,
    )
    again = await api.error(
        ANSWER,
        {"survey": survey["id"], "match": aino_match, "answers": answers(survey, 5)},
        as_=aino,
    )
    assert again["extensions"]["code"] == "ALREADY_ANSWERED"
    [task] = (await api.ok(TASKS, as_=aino))["mySurveyTasks"]
    assert task["answered"] is True

    # Bertta presses "send" twice at once: one answer is kept.
    bertta_match = await only_match(api, bertta)
    twice = await asyncio.gather(
        *(
            api.result(
                ANSWER,
                {"survey": survey["id"], "match": bertta_match, "answers": answers(survey, 2)},
                as_=bertta,
            )
            for _ in range(2)
        )
    )
    codes = sorted(r["errors"][0]["extensions"]["code"] if r.get("errors") else "OK" for r in twice)
    assert codes == ["ALREADY_ANSWERED", "OK"]

    not_hers = await api.error(
        ANSWER,
        {"survey": survey["id"], "match": aino_match, "answers": answers(survey, 3)},
        as_=bertta,
    )
    assert not_hers["extensions"]["code"] == "NOT_MATCHED"
    out_of_scale = await api.error(
        ANSWER,
        {"survey": survey["id"], "match": aino_match, "answers": answers(survey, 6)},
        as_=mentor,
    )
    assert out_of_scale["extensions"]["code"] == "INVALID_INPUT"

    results = (await api.ok(RESULTS, {"id": survey["id"]}, as_=coordinator))["surveyResults"]
    assert (results["expectedResponses"], results["responses"]) == (4, 2)
    assert results["responseRate"] == 0.5
    scale, text = results["questions"]
    assert (scale["answers"], scale["average"], scale["distribution"]) == (2, 3.0, [0, 1, 0, 1, 0])
    assert (text["answers"], text["average"]) == (1, None)

    await api.ok(
        ANSWER,
        {"survey": survey["id"], "match": aino_match, "answers": answers(survey, 5)},
        as_=mentor,
    )
    await api.ok(
        ANSWER,
        {"survey": survey["id"], "match": bertta_match, "answers": answers(survey, 5, "=1+1")},
        as_=mentor,
    )
    results = (await api.ok(RESULTS, {"id": survey["id"]}, as_=coordinator))["surveyResults"]
    assert (results["mentorResponses"], results["studentResponses"]) == (2, 2)
    assert results["responseRate"] == 1.0
    assert results["questions"][0]["average"] == 4.0
    assert [e["responses"] for e in await logged(engine, "SURVEY_ANSWERED")] == [1, 2, 3, 4]

    text_csv = (await api.ok(CSV, {"id": survey["id"]}, as_=coordinator))["surveyResultsCsv"]
    rows = list(csv.reader(io.StringIO(text_csv)))
    assert rows[0] == [
        "response",
        "side",
        "submitted_at",
        "Q1: How useful are your meetings?",
        "Q2: What would you change?",
    ]
    assert sorted((r[1], r[3], r[4]) for r in rows[1:]) == [
        ("MENTOR", "5", ""),
        ("MENTOR", "5", "'=1+1"),  # a formula stays text in a spreadsheet
        ("STUDENT", "2", ""),
        ("STUDENT", "4", "More!"),
    ]
    for person in (mentor, aino, bertta):
        assert person.email not in text_csv
        assert person.name not in text_csv

    changed = await api.error(
        DEFINE,
        {
            "input": {
                "kind": "HALFWAY",
                "title": "New",
                "questions": [{"kind": "TEXT", "prompt": "Anything?"}],
            }
        },
        as_=coordinator,
    )
    assert changed["extensions"]["code"] == "CONFLICT"


async def test_only_coordinators_see_results_and_define_surveys(api: Api) -> None:
    coordinator, mentor, aino, _ = await matched_programme(api)
    survey = await define_halfway(api, coordinator, opens_in=0)
    assert survey["isOpen"] is True
    for query in (RESULTS, CSV):
        error = await api.error(query, {"id": survey["id"]}, as_=aino)
        assert error["extensions"]["code"] == "FORBIDDEN"
    error = await api.error(
        DEFINE,
        {
            "input": {
                "kind": "FINAL",
                "title": "End",
                "questions": [{"kind": "TEXT", "prompt": "?"}],
            }
        },
        as_=mentor,
    )
    assert error["extensions"]["code"] == "FORBIDDEN"


async def test_once_a_survey_is_over_each_side_can_still_ask_whether_they_answered_it(
    api: Api,
) -> None:
    coordinator, _, aino, bertta = await matched_programme(api)
    survey = await define_halfway(api, coordinator, opens_in=0)
    aino_match = await only_match(api, aino)
    await api.ok(
        ANSWER,
        {"survey": survey["id"], "match": aino_match, "answers": answers(survey, 4)},
        as_=aino,
    )

    api.server.clock.advance(days=15)  # the survey closed yesterday
    closed = "{ mySurveyTasks(includeClosed: true) { survey { id isOpen } answered } }"
    assert (await api.ok(TASKS, as_=aino))["mySurveyTasks"] == []  # nothing left to answer
    for person, answered in ((aino, True), (bertta, False)):
        assert (await api.ok(closed, as_=person))["mySurveyTasks"] == [
            {"survey": {"id": survey["id"], "isOpen": False}, "answered": answered}
        ]
