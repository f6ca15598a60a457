"""Meetings: either side of a match records them, the note stays with the pair, and
coordinators see the matches that have not met for over 45 days."""

from __future__ import annotations

from datetime import timedelta

from db.models import Role
from tests import factories as f
from tests.clients import Api, Person

RECORD = """mutation($match: ID!, $on: Date!, $note: String) {
  recordMeeting(matchId: $match, metOn: $on, note: $note) { id metOn note recordedBy }
}"""
MEETINGS = "query($match: ID!) { matchMeetings(matchId: $match) { metOn note recordedBy } }"
QUIET = """query($days: Int) { quietMatches(days: $days) {
  match { id student { displayName } } lastMetOn daysSince
} }"""
MY_MATCHES = "{ myMatches { id } }"


async def pair(api: Api, mentor_id: str, mentor: Person, name: str) -> tuple[Person, str]:
    student = await f.student(api, api.person(Role.STUDENT, name))
    request_id = await f.send(api, student, mentor_id)
    await api.ok(f.ACCEPT, {"id": request_id}, as_=mentor)
    [match] = (await api.ok(MY_MATCHES, as_=student))["myMatches"]
    return student, match["id"]


async def test_either_side_records_meetings_and_only_the_pair_reads_the_notes(api: Api) -> None:
    await f.programme(api)
    mentor, mentor_id = await f.mentor(api, capacity=2)
    student, match_id = await pair(api, mentor_id, mentor, "Aino")
    other, _ = await pair(api, mentor_id, mentor, "Bertta")
    api.server.clock.advance(days=3)
    today = f.today(api)

    await api.ok(RECORD, {"match": match_id, "on": str(today), "note": "Talked CVs."}, as_=student)
    yesterday = str(today - timedelta(days=1))
    recorded = await api.ok(RECORD, {"match": match_id, "on": yesterday}, as_=mentor)
    assert recorded["recordMeeting"]["recordedBy"] == "MENTOR"

    for person in (student, mentor):
        seen = (await api.ok(MEETINGS, {"match": match_id}, as_=person))["matchMeetings"]
        assert [(m["metOn"], m["note"], m["recordedBy"]) for m in seen] == [
            (str(today), "Talked CVs.", "STUDENT"),
            (yesterday, "", "MENTOR"),
        ]
    for outsider in (other, api.person(Role.COORDINATOR)):
        error = await api.error(MEETINGS, {"match": match_id}, as_=outsider)
        assert error["extensions"]["code"] in ("NOT_MATCHED", "FORBIDDEN")
    error = await api.error(RECORD, {"match": match_id, "on": str(today)}, as_=other)
    assert error["extensions"]["code"] == "NOT_MATCHED"

    tomorrow = str(today + timedelta(days=1))
    error = await api.error(RECORD, {"match": match_id, "on": tomorrow}, as_=student)
    assert error["extensions"]["code"] == "INVALID_INPUT"
    before_match = str(today - timedelta(days=10))
    error = await api.error(RECORD, {"match": match_id, "on": before_match}, as_=student)
    assert error["extensions"]["code"] == "INVALID_INPUT"


async def test_coordinators_see_the_matches_that_have_not_met_for_45_days(api: Api) -> None:
    coordinator = api.person(Role.COORDINATOR)
    await f.programme(api, coordinator)
    mentor, mentor_id = await f.mentor(api, capacity=2)
    met, met_match = await pair(api, mentor_id, mentor, "Aino")
    _, never_match = await pair(api, mentor_id, mentor, "Bertta")

    api.server.clock.advance(days=20)
    await api.ok(RECORD, {"match": met_match, "on": str(f.today(api))}, as_=met)
    api.server.clock.advance(days=30)
    quiet = (await api.ok(QUIET, as_=coordinator))["quietMatches"]
    assert [(q["match"]["id"], q["lastMetOn"], q["daysSince"]) for q in quiet] == [
        (never_match, None, 50)
    ]

    api.server.clock.advance(days=20)
    quiet = (await api.ok(QUIET, as_=coordinator))["quietMatches"]
    assert [(q["match"]["student"]["displayName"], q["daysSince"]) for q in quiet] == [
        ("Bertta", 70),
        ("Aino", 50),
    ]
    assert (await api.ok(QUIET, {"days": 60}, as_=coordinator))["quietMatches"][0][
        "daysSince"
    ] == 70
    error = await api.error(QUIET, as_=met)
    assert error["extensions"]["code"] == "FORBIDDEN"
