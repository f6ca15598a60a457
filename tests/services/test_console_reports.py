"""What the coordinator's console reads beyond the counters: the written survey answers without
who wrote them, survey CSV for spreadsheets set up for Finnish, and the report's meetings and
briefings."""

from __future__ import annotations

import csv
import io
from datetime import timedelta

from db.models import Role
from tests import factories as f
from tests.clients import Api
from tests.services.test_surveys import (
    ANSWER,
    define_halfway,
    matched_programme,
    only_match,
)
from tests.services.test_surveys import answers as answers_for

TEXT_RESULTS = """query($id: ID!) { surveyResults(surveyId: $id) {
  responses questions { question { kind } average distribution textAnswers }
} }"""
CSV = "query($id: ID!, $semi: Boolean!) { surveyResultsCsv(surveyId: $id, semicolons: $semi) }"
REPORT = """{ programmeReport {
  matches meetingsHeld pairsMet pairsNudged mentorsBriefed studentsBriefed
} }"""
RECORD = "mutation($m: ID!, $on: Date!) { recordMeeting(matchId: $m, metOn: $on) { id } }"
BRIEFING = "mutation($input: BriefingSessionInput!) { createBriefingSession(input: $input) { id } }"
SIGN_UP = "mutation($id: ID!) { signUpForBriefing(briefingId: $id) { signedUpCount } }"
NUDGE = "mutation($m: ID!) { nudgeMatch(matchId: $m) { nudgedAt } }"


async def test_written_answers_come_without_names_and_csv_with_semicolons(api: Api) -> None:
    coordinator, mentor, aino, bertta = await matched_programme(api)
    survey = await define_halfway(api, coordinator, opens_in=0)
    for person, scale, text in (
        (aino, 5, "More meetings, please; and coffee."),
        (bertta, 3, ""),
        (mentor, 4, "Aino is doing great."),
    ):
        match_id = await only_match(api, person) if person is not mentor else None
        if match_id is None:
            [task, *_] = (await api.ok("{ mySurveyTasks { matchId } }", as_=mentor))[
                "mySurveyTasks"
            ]
            match_id = task["matchId"]
        await api.ok(
            ANSWER,
            {
                "survey": survey["id"],
                "match": match_id,
                "answers": answers_for(survey, scale, text),
            },
            as_=person,
        )

    results = (await api.ok(TEXT_RESULTS, {"id": survey["id"]}, as_=coordinator))["surveyResults"]
    scale_q, text_q = results["questions"]
    assert (scale_q["average"], scale_q["distribution"], scale_q["textAnswers"]) == (
        4.0,
        [0, 0, 1, 1, 1],
        [],
    )
    assert text_q["textAnswers"] == ["More meetings, please; and coffee.", "Aino is doing great."]
    for who in (mentor, aino):
        refused = await api.error(TEXT_RESULTS, {"id": survey["id"]}, as_=who)
        assert refused["extensions"]["code"] == "FORBIDDEN"

    text = (await api.ok(CSV, {"id": survey["id"], "semi": True}, as_=coordinator))[
        "surveyResultsCsv"
    ]
    rows = list(csv.reader(io.StringIO(text), delimiter=";"))
    assert rows[0] == [
        "response",
        "side",
        "submitted_at",
        "Q1: How useful are your meetings?",
        "Q2: What would you change?",
    ]
    assert [r[3:] for r in rows[1:]] == [
        ["5", "More meetings, please; and coffee."],
        ["3", ""],
        ["4", "Aino is doing great."],
    ]
    assert '"More meetings, please; and coffee."' in text  # quoted: it holds the separator
    commas = await api.ok(CSV, {"id": survey["id"], "semi": False}, as_=coordinator)
    assert commas["surveyResultsCsv"].splitlines()[0].count(",") == 4


async def test_the_report_counts_meetings_pairs_that_met_nudges_and_briefings(api: Api) -> None:
    coordinator, _, aino, bertta = await matched_programme(api)
    empty = (await api.ok(REPORT, as_=coordinator))["programmeReport"]
    assert empty == {
        "matches": 2,
        "meetingsHeld": 0,
        "pairsMet": 0,
        "pairsNudged": 0,
        "mentorsBriefed": 0,
        "studentsBriefed": 0,
    }
    starts = (api.server.clock() + timedelta(days=5)).isoformat()
    briefing = await api.ok(
        BRIEFING,
        {"input": {"audience": "STUDENTS", "startsAt": starts, "capacity": 5, "place": "Hall 3"}},
        as_=coordinator,
    )
    await api.ok(SIGN_UP, {"id": briefing["createBriefingSession"]["id"]}, as_=aino)
    api.server.clock.advance(days=3)
    today = f.today(api)
    aino_match = await only_match(api, aino)
    for days_ago in (2, 1):
        on = str(today - timedelta(days=days_ago))
        await api.ok(RECORD, {"m": aino_match, "on": on}, as_=aino)
    await api.ok(NUDGE, {"m": await only_match(api, bertta)}, as_=coordinator)

    report = (await api.ok(REPORT, as_=coordinator))["programmeReport"]
    assert report == {
        "matches": 2,
        "meetingsHeld": 2,
        "pairsMet": 1,
        "pairsNudged": 1,
        "mentorsBriefed": 0,
        "studentsBriefed": 1,
    }
    refused = await api.error(REPORT, as_=api.person(Role.STUDENT))
    assert refused["extensions"]["code"] == "FORBIDDEN"
