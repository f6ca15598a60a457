"""A whole programme year, from mentor sign-up to the final survey, with the clock moved
forward and a real SMTP server that is down for part of it: every email arrives exactly once."""

from __future__ import annotations

from collections import Counter
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path

import httpx
import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from app.mailer import Mailer
from app.scheduler import Scheduler
from db.models import OutboxMessage, OutboxStatus, Role
from tests import factories as f
from tests.clients import Api, Person
from tests.clock import FakeClock
from tests.conftest import server_settings
from tests.databases import fresh_database, outbox
from tests.mail import SmtpSink
from tests.servers import running_server
from tests.waiting import eventually

PHASES = [
    ("MENTOR_SIGNUP", "2026-01-07", "2026-01-16"),
    ("STUDENT_REQUESTS", "2026-01-20", "2026-01-26"),
    ("BRIEFINGS", "2026-01-27", "2026-02-06"),
    ("PROGRAMME", "2026-01-27", "2026-06-30"),
    ("HALFWAY_SURVEY", "2026-03-30", "2026-04-10"),
    ("FINAL_SURVEY", "2026-06-01", "2026-06-15"),
]
BRIEFING = "mutation($input: BriefingSessionInput!) { createBriefingSession(input: $input) { id } }"
SIGN_UP = "mutation($id: ID!) { signUpForBriefing(briefingId: $id) { signedUpCount } }"
SURVEY = """mutation($kind: SurveyKind!, $title: String!) {
  defineSurvey(input: {kind: $kind, title: $title, questions: [
    {kind: SCALE_1_5, prompt: "How useful is the mentoring?"},
    {kind: TEXT, prompt: "What should we change?"}]}) { id questions { id } }
}"""
TASKS = "{ mySurveyTasks { survey { id } matchId answered } }"
ANSWER = """mutation($survey: ID!, $match: ID!, $answers: [SurveyAnswerInput!]!) {
  answerSurvey(surveyId: $survey, matchId: $match, answers: $answers) { id }
}"""
RESULTS = "query($id: ID!) { surveyResults(surveyId: $id) { responseRate } }"
MY_MATCHES = "{ myMatches { id } }"
RECORD = "mutation($m: ID!, $on: Date!) { recordMeeting(matchId: $m, metOn: $on) { id } }"
QUIET = "{ quietMatches { daysSince } }"


@pytest.fixture(params=["sqlite", "postgresql"])
async def db(
    request: pytest.FixtureRequest, tmp_path: Path
) -> AsyncIterator[tuple[str, AsyncEngine]]:
    async with fresh_database(request.param, tmp_path) as found:
        yield found


class Year:
    def __init__(self, api: Api, engine: AsyncEngine, sink: SmtpSink) -> None:
        self.api, self.engine, self.sink = api, engine, sink
        self.clock = api.server.clock
        self.scheduler: Scheduler = api.server.app.state.scheduler
        self.mailer: Mailer = api.server.app.state.mailer

    async def on(self, moment: str) -> None:
        """Move to a date (Helsinki noon is 10:00 UTC in winter) and let the periodic tasks run."""
        self.clock.now = datetime.fromisoformat(moment).replace(tzinfo=UTC)
        await self.scheduler.run_round()
        self.mailer.poke()

    async def match_of(self, person: Person) -> str:
        [match] = (await self.api.ok(MY_MATCHES, as_=person))["myMatches"]
        match_id: str = match["id"]
        return match_id

    async def answer_all(self, people: list[Person], survey: dict[str, object]) -> None:
        scale_q, text_q = (q["id"] for q in survey["questions"])  # type: ignore[attr-defined]
        for person in people:
            for task in (await self.api.ok(TASKS, as_=person))["mySurveyTasks"]:
                if task["survey"]["id"] == survey["id"] and not task["answered"]:
                    answers = [
                        {"questionId": scale_q, "scale": 4},
                        {"questionId": text_q, "text": "More meetings."},
                    ]
                    await self.api.ok(
                        ANSWER,
                        {"survey": survey["id"], "match": task["matchId"], "answers": answers},
                        as_=person,
                    )


@pytest.mark.slow
async def test_a_programme_year_with_the_mail_server_down_in_the_middle(
    db: tuple[str, AsyncEngine], tmp_path: Path
) -> None:
    url, engine = db
    sink = SmtpSink()
    await sink.start()
    clock = FakeClock(datetime(2026, 1, 8, 10, tzinfo=UTC))
    settings = server_settings(
        url, tmp_path / "mail", scheduler_interval_seconds=3600, **sink.settings()
    )
    try:
        async with (
            running_server(settings, clock) as server,
            httpx.AsyncClient(base_url=server.url, timeout=30) as client,
        ):
            api = Api(server=server, client=client)
            year = Year(api, engine, sink)
            await run_the_year(year)
    finally:
        await sink.stop()


async def run_the_year(year: Year) -> None:
    api = year.api
    coordinator = api.person(Role.COORDINATOR)
    phases = [{"phase": p, "opensOn": o, "closesOn": c} for p, o, c in PHASES]
    await api.ok(
        f.CREATE_PROGRAMME, {"input": {"name": "Mentoring 2026", "phases": phases}}, as_=coordinator
    )

    # Mentor sign-up, and the briefings the coordinators schedule.
    mentors = [await f.mentor(api, capacity=c) for c in (1, 1, 2)]
    briefings = {}
    for audience, when, where in (
        ("MENTORS", "2026-02-02T16:00:00+02:00", {"onlineUrl": "https://meet.example.edu/m"}),
        ("STUDENTS", "2026-02-03T14:00:00+02:00", {"place": "Main building, hall 3"}),
    ):
        data = await api.ok(
            BRIEFING,
            {"input": {"audience": audience, "startsAt": when, "capacity": 20, **where}},
            as_=coordinator,
        )
        briefings[audience] = data["createBriefingSession"]["id"]

    # The request window: five students ask.
    await year.on("2026-01-20T10:00:00")
    students = [await f.student(api) for _ in range(5)]
    (m1, m1_id), (m2, m2_id), (m3, m3_id) = mentors
    targets = [m1_id, m1_id, m2_id, m3_id, m3_id]
    sent = [await f.send(api, s, t) for s, t in zip(students, targets, strict=True)]

    # The mail server goes down; the programme goes on.
    await eventually(lambda: _all_sent(year.engine), what="the first mails to arrive", within=60)
    await year.sink.stop()
    await year.on("2026-01-21T10:00:00")
    await api.ok(f.ACCEPT, {"id": sent[0]}, as_=m1)  # m1 is full: students[1] is closed out
    await api.ok(f.ACCEPT, {"id": sent[3]}, as_=m3)
    await year.on("2026-01-22T10:30:00")  # 48 h: m2 and m3 are reminded
    await year.on("2026-01-23T10:30:00")  # 72 h: the requests of students[2] and [4] expire

    async def tried_and_waiting() -> list[OutboxMessage]:
        down = [m for m in await outbox(year.engine) if m.status is not OutboxStatus.SENT]
        return down if all(m.attempts >= 1 and m.last_error for m in down) else []

    down = await eventually(tried_and_waiting, what="the mailer to try, and fail", within=60)
    assert len(down) == 2 + 2 + 1 + 2 + 4  # accepted x2, closed, reminders, expired x2
    assert year.sink.messages() == year.sink.messages()[:5]  # only the first five arrived

    # It comes back; everything written meanwhile arrives.
    await year.sink.start()
    await year.on("2026-01-23T12:00:00")
    await eventually(
        lambda: _all_sent(year.engine), what="the mail written while it was down", within=60
    )

    # The released students find other mentors.
    await year.on("2026-01-24T10:00:00")
    again = [await f.send(api, students[1], m2_id), await f.send(api, students[2], m3_id)]
    await api.ok(f.ACCEPT, {"id": again[0]}, as_=m2)
    await api.ok(f.ACCEPT, {"id": again[1]}, as_=m3)
    for person, audience in ((m1, "MENTORS"), (m3, "MENTORS"), (students[0], "STUDENTS")):
        await api.ok(SIGN_UP, {"id": briefings[audience]}, as_=person)

    # The programme: meetings, the halfway check-in, the quiet matches, the final survey.
    await year.on("2026-02-10T10:00:00")
    matched = [students[0], students[3], students[1], students[2]]
    for student in matched[:3]:
        await api.ok(RECORD, {"m": await year.match_of(student), "on": "2026-02-09"}, as_=student)
    halfway = (
        await api.ok(SURVEY, {"kind": "HALFWAY", "title": "The halfway check-in"}, as_=coordinator)
    )["defineSurvey"]
    final = (
        await api.ok(SURVEY, {"kind": "FINAL", "title": "The final feedback"}, as_=coordinator)
    )["defineSurvey"]
    await year.on("2026-03-30T10:00:00")
    await year.answer_all([m1, m2, m3, *matched], halfway)
    rate = await api.ok(RESULTS, {"id": halfway["id"]}, as_=coordinator)
    assert rate["surveyResults"]["responseRate"] == 1.0
    quiet = (await api.ok(QUIET, as_=coordinator))["quietMatches"]
    assert len(quiet) == 4  # nobody has met since 9 February
    await year.on("2026-06-01T10:00:00")
    await year.answer_all([students[0], m1], final)

    await eventually(lambda: _all_sent(year.engine), what="every mail of the year", within=60)
    rows = await outbox(year.engine)
    received = year.sink.messages()
    assert len(received) == len(rows)
    assert sorted(str(m["Message-ID"]) for m in received) == sorted(
        f"<mentori-outbox-{r.id}@example.edu>" for r in rows
    )
    assert Counter(r.kind for r in rows) == {
        "request_arrived": 7,
        "request_accepted": 8,
        "request_closed_mentor_full": 1,
        "request_reminder": 2,
        "request_expired": 4,
        "survey_open": 16,
    }
    assert {str(m["Subject"]).split("] ")[0] for m in received} == {"[Mentoring 2026"}


async def _all_sent(engine: AsyncEngine) -> bool:
    rows = await outbox(engine)
    return bool(rows) and all(r.status is OutboxStatus.SENT for r in rows)
