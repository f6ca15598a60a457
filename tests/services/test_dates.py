"""Dates and moments as they enter: every date or time input (phases, survey dates, briefings,
meetings) lies in the years 1900 to 2200, or is refused with a sentence naming it; at the
edges of that range everything that computes with a date still works."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import date, timedelta
from typing import Any

import pytest

from app.scheduler import Scheduler
from db.models import Role
from tests import factories as f
from tests.clients import Api
from tests.services.test_personal_data import born
from tests.services.test_surveys import matched_programme, only_match

Attempt = Callable[[Api, str], Awaitable[dict[str, Any]]]

UPDATE_PROGRAMME = """mutation($id: ID!, $input: UpdateProgrammeInput!) {
  updateProgramme(id: $id, input: $input) { id }
}"""
BRIEFING = "mutation($input: BriefingSessionInput!) { createBriefingSession(input: $input) { id } }"
UPDATE_BRIEFING = """mutation($id: ID!, $input: BriefingSessionInput!) {
  updateBriefingSession(id: $id, input: $input) { id }
}"""
DEFINE = "mutation($input: DefineSurveyInput!) { defineSurvey(input: $input) { id } }"
RECORD = """mutation($match: ID!, $on: Date!) {
  recordMeeting(matchId: $match, metOn: $on) { id }
}"""
MY_DATA = "{ myPersonalData }"
FAR = ["9999-12-31", "0001-01-01", "1899-12-31", "2201-01-01"]
FAR_MOMENTS = ["9999-12-31T23:59:59-14:00", "0001-01-01T00:00:00+14:00", "2201-01-01T00:00:00Z"]


def phase(on: str, *, closes: bool) -> list[dict[str, str]]:
    other = "2026-01-07"
    return [
        {
            "phase": "MENTOR_SIGNUP",
            "opensOn": other if closes else on,
            "closesOn": on if closes else other,
        }
    ]


async def new_programme(api: Api, on: str) -> dict[str, Any]:
    coordinator = api.person(Role.COORDINATOR)
    given = {"name": "Mentoring 2026", "phases": phase(on, closes=on > "2026")}
    return await api.result(f.CREATE_PROGRAMME, {"input": given}, as_=coordinator)


async def changed_programme(api: Api, on: str) -> dict[str, Any]:
    coordinator = api.person(Role.COORDINATOR)
    programme_id = await f.programme(api, coordinator)
    given = {"phases": phase(on, closes=on > "2026")}
    return await api.result(UPDATE_PROGRAMME, {"id": programme_id, "input": given}, as_=coordinator)


async def survey_dates(api: Api, on: str) -> dict[str, Any]:
    coordinator = api.person(Role.COORDINATOR)
    await f.programme(api, coordinator)
    today = str(f.today(api))
    opens, closes = (today, on) if on > today else (on, today)
    survey = {
        "kind": "HALFWAY",
        "title": "The halfway check-in",
        "questions": [{"kind": "TEXT", "prompt": "How?"}],
        "opensOn": opens,
        "closesOn": closes,
    }
    return await api.result(DEFINE, {"input": survey}, as_=coordinator)


async def meeting_date(api: Api, on: str) -> dict[str, Any]:
    _, _, student, _ = await matched_programme(api)
    match = {"match": await only_match(api, student), "on": on}
    return await api.result(RECORD, match, as_=student)


async def new_briefing(api: Api, at: str) -> dict[str, Any]:
    coordinator = api.person(Role.COORDINATOR)
    await f.programme(api, coordinator)
    given = {"audience": "STUDENTS", "startsAt": at, "capacity": 20, "place": "Hall 3"}
    return await api.result(BRIEFING, {"input": given}, as_=coordinator)


async def moved_briefing(api: Api, at: str) -> dict[str, Any]:
    coordinator = api.person(Role.COORDINATOR)
    await f.programme(api, coordinator)
    starts = (api.server.clock() + timedelta(days=7)).isoformat()
    given = {"audience": "STUDENTS", "startsAt": starts, "capacity": 20, "place": "Hall 3"}
    created = await api.ok(BRIEFING, {"input": given}, as_=coordinator)
    briefing_id = created["createBriefingSession"]["id"]
    return await api.result(
        UPDATE_BRIEFING, {"id": briefing_id, "input": {"startsAt": at}}, as_=coordinator
    )


def refusal(body: dict[str, Any]) -> str:
    (error,) = body["errors"]
    assert error["extensions"]["code"] == "INVALID_INPUT", error
    message: str = error["message"]
    return message


DATES: list[tuple[str, Attempt]] = [
    ("of mentor sign-up", new_programme),
    ("of mentor sign-up", changed_programme),
    ("date", survey_dates),
    ("meeting date", meeting_date),
]


@pytest.mark.parametrize(("label", "attempt"), DATES, ids=["new", "changed", "survey", "meeting"])
@pytest.mark.parametrize("on", FAR)
async def test_a_date_outside_1900_to_2200_is_refused_with_a_sentence(
    api: Api, label: str, attempt: Attempt, on: str
) -> None:
    message = refusal(await attempt(api, on))
    assert label in message
    assert message.endswith("must be in the years 1900 to 2200.")


@pytest.mark.parametrize("attempt", [new_briefing, moved_briefing], ids=["new", "moved"])
@pytest.mark.parametrize("at", FAR_MOMENTS)
async def test_a_start_time_outside_1900_to_2200_is_refused_with_a_sentence(
    api: Api, attempt: Attempt, at: str
) -> None:
    message = refusal(await attempt(api, at))
    assert message == "The start time must be in the years 1900 to 2200."


async def test_a_sign_up_closing_on_the_last_day_allowed_keeps_everything_working(
    api: Api,
) -> None:
    coordinator = api.person(Role.COORDINATOR)
    programme_id = await f.programme(api, coordinator)
    mentor, _ = await f.mentor(api)
    await born(api, mentor, date(1979, 4, 3))
    last = {"phase": "MENTOR_SIGNUP", "opensOn": "1900-01-01", "closesOn": "2200-12-31"}
    moved = {"id": programme_id, "input": {"phases": [last]}}
    await api.ok(UPDATE_PROGRAMME, moved, as_=coordinator)

    [profile] = (await api.ok(MY_DATA, as_=mentor))["myPersonalData"]["mentorProfiles"]
    assert profile["dateOfBirth"].endswith("cleared on 2201-01-15")
    scheduler: Scheduler = api.server.app.state.scheduler
    done = await scheduler.run_round()
    assert done is not None
    assert done.dates_of_birth_cleared == 0
