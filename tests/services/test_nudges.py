"""Nudges: a coordinator reminds a quiet pair to meet. Both people get a friendly email, through
the outbox, delivered by the mailer to a real SMTP server; a pair is reminded once a week at
most, and the quiet list shows when it was."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import timedelta
from email.message import EmailMessage
from pathlib import Path

import httpx
import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from db.models import OutboxStatus, Role
from tests import factories as f
from tests.clients import Api, Person
from tests.clock import FakeClock
from tests.conftest import START, server_settings
from tests.databases import fresh_database, logged, outbox
from tests.mail import smtp_sink
from tests.servers import running_server
from tests.waiting import eventually

QUIET = """query($days: Int) { quietMatches(days: $days) {
  match { id mentor { displayName } student { displayName } } daysSince nudgedAt nextNudgeAt
} }"""
NUDGE = """mutation($match: ID!) { nudgeMatch(matchId: $match) {
  match { id } nudgedAt nextNudgeAt
} }"""
MY_MATCHES = "{ myMatches { id } }"


async def quiet_pair(api: Api) -> tuple[Person, Person, Person, str]:
    """A coordinator, and a pair matched 50 days ago that has not met since."""
    coordinator = api.person(Role.COORDINATOR)
    await f.programme(api, coordinator)
    mentor, mentor_id = await f.mentor(
        api, api.person(Role.MENTOR, "Maija Mentor", email="maija@example.fi")
    )
    student = await f.student(
        api, api.person(Role.STUDENT, "Sami Student", email="sami@example.edu")
    )
    request_id = await f.send(api, student, mentor_id)
    await api.ok(f.ACCEPT, {"id": request_id}, as_=mentor)
    [match] = (await api.ok(MY_MATCHES, as_=student))["myMatches"]

    # The mail of the request round goes out first: moved on 50 days, the clock would end
    # the claims of messages still being sent (app/mailer.py) and have them sent again.
    async def all_sent() -> bool:
        rows = await outbox(api.server.app.state.engine)
        return all(m.status is OutboxStatus.SENT for m in rows)

    await eventually(all_sent, what="the request round's mail to go out", within=30)
    api.server.clock.advance(days=50)
    return coordinator, mentor, student, match["id"]


async def test_a_nudge_reminds_both_people_once_a_week_at_most(
    api: Api, engine: AsyncEngine
) -> None:
    coordinator, _, _, match_id = await quiet_pair(api)
    [quiet] = (await api.ok(QUIET, {"days": 30}, as_=coordinator))["quietMatches"]
    assert (quiet["match"]["id"], quiet["nudgedAt"], quiet["nextNudgeAt"]) == (match_id, None, None)

    nudged = (await api.ok(NUDGE, {"match": match_id}, as_=coordinator))["nudgeMatch"]
    now = api.server.clock()
    assert nudged["nudgedAt"] == now.isoformat()
    assert nudged["nextNudgeAt"] == (now + timedelta(days=7)).isoformat()
    mails = await outbox(engine, "match_nudge")
    assert sorted(m.to_address for m in mails) == ["maija@example.fi", "sami@example.edu"]
    assert all("Time to meet" in m.subject and "friendly reminder" in m.body_text for m in mails)
    [event] = await logged(engine, "MATCH_NUDGED")
    assert set(event) == {"matchId", "mentorId", "studentId"}  # ids only, never names

    # Six days later: refused, with the dates in the sentence and in the error's details.
    api.server.clock.advance(days=6)
    error = await api.error(NUDGE, {"match": match_id}, as_=coordinator)
    assert error["extensions"]["code"] == "NUDGED_RECENTLY"
    assert "once a week at most" in error["message"]
    assert error["extensions"]["nextNudgeAt"] == nudged["nextNudgeAt"]
    assert len(await outbox(engine, "match_nudge")) == 2
    [quiet] = (await api.ok(QUIET, {"days": 30}, as_=coordinator))["quietMatches"]
    assert (quiet["nudgedAt"], quiet["nextNudgeAt"]) == (nudged["nudgedAt"], nudged["nextNudgeAt"])

    # A week after the first: the pair may be reminded again.
    api.server.clock.advance(days=1)
    again = (await api.ok(NUDGE, {"match": match_id}, as_=coordinator))["nudgeMatch"]
    assert again["nudgedAt"] == api.server.clock().isoformat()
    assert len(await outbox(engine, "match_nudge")) == 4


async def test_two_coordinators_nudging_at_once_send_one_reminder(
    api: Api, engine: AsyncEngine
) -> None:
    coordinator, _, _, match_id = await quiet_pair(api)
    other = api.person(Role.COORDINATOR)
    results = await asyncio.gather(
        *(api.result(NUDGE, {"match": match_id}, as_=who) for who in (coordinator, other) * 3)
    )
    codes = sorted(
        r["errors"][0]["extensions"]["code"] if r.get("errors") else "OK" for r in results
    )
    assert codes == ["NUDGED_RECENTLY"] * 5 + ["OK"]
    assert len(await outbox(engine, "match_nudge")) == 2


async def test_only_coordinators_nudge(api: Api) -> None:
    _, mentor, student, match_id = await quiet_pair(api)
    for person in (mentor, student):
        error = await api.error(NUDGE, {"match": match_id}, as_=person)
        assert error["extensions"]["code"] == "FORBIDDEN"
    error = await api.error(NUDGE, {"match": match_id})
    assert error["extensions"]["code"] == "UNAUTHENTICATED"
    coordinator = api.person(Role.COORDINATOR)
    missing = await api.error(NUDGE, {"match": "TWF0Y2g6OTk5OTk5"}, as_=coordinator)  # Match:999999
    assert missing["extensions"]["code"] == "NOT_FOUND"


@pytest.fixture(params=["sqlite", "postgresql"])
async def own_database(
    request: pytest.FixtureRequest, tmp_path: Path
) -> AsyncIterator[tuple[str, AsyncEngine]]:
    """A database of the test's own: the suite's shared server would deliver its mail too."""
    async with fresh_database(request.param, tmp_path) as found:
        yield found


async def test_the_reminder_reaches_both_people_through_a_real_mail_server(
    own_database: tuple[str, AsyncEngine], tmp_path: Path
) -> None:
    url, _ = own_database
    async with smtp_sink() as sink:
        settings = server_settings(
            url,
            tmp_path / "mail",
            public_url="https://mentoring.example.edu",
            **sink.settings(),
        )
        async with (
            running_server(settings, FakeClock(START)) as server,
            httpx.AsyncClient(base_url=server.url, timeout=30) as client,
        ):
            api = Api(server=server, client=client)
            coordinator, _, _, match_id = await quiet_pair(api)
            await api.ok(NUDGE, {"match": match_id}, as_=coordinator)

            async def both() -> list[EmailMessage] | None:
                found = [m for m in sink.messages() if "Time to meet" in str(m["Subject"])]
                return found if len(found) >= 2 else None

            received = await eventually(both, what="the two reminders to arrive", within=30)
    by_address = {str(m["To"]): m for m in received}
    assert sorted(by_address) == ["maija@example.fi", "sami@example.edu"]
    to_mentor = by_address["maija@example.fi"]
    assert str(to_mentor["Subject"]) == "[Mentoring 2026] Time to meet Sami Student again?"
    body = to_mentor.get_body(("plain",))
    assert body is not None
    text = body.get_content()
    assert "Dear Maija Mentor" in text
    assert "Sami Student" in text
    assert "https://mentoring.example.edu/mentor" in text
    assert "sami@example.edu" not in text  # a reminder, not a way to someone's address
    await asyncio.sleep(0.5)  # the mailer's next rounds send nothing more
    assert len([m for m in sink.messages() if "Time to meet" in str(m["Subject"])]) == 2
