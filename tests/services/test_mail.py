"""The programme's emails, as written to the outbox by a request round: who gets what, in
plain text and HTML, with the programme's name and the links people need."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy.ext.asyncio import AsyncEngine

from app.mailer import render
from db.models import Role
from tests import factories as f
from tests.clients import Api
from tests.databases import outbox

BRIEFING = """mutation($input: BriefingSessionInput!) {
  createBriefingSession(input: $input) { id }
}"""


async def test_a_request_tells_the_mentor_with_a_link_to_the_inbox(
    api: Api, engine: AsyncEngine
) -> None:
    await f.programme(api, name="Mentoring 2026")
    mentor, mentor_id = await f.mentor(api)
    student = await f.student(api, api.person(Role.STUDENT, "Olli O'Brien & Co"))
    await f.send(api, student, mentor_id, "I would value <your> advice.")
    [arrived] = await outbox(engine, "request_arrived")
    assert arrived.to_address == mentor.email
    assert arrived.subject == "[Mentoring 2026] Olli O'Brien & Co would like you as their mentor"
    assert "I would value <your> advice." in arrived.body_text
    assert "Please answer within 72 hours" in arrived.body_text
    # HTML escapes what people wrote, and the link is completed with the public address.
    assert "Olli O&#x27;Brien &amp; Co" in arrived.body_html
    assert "&lt;your&gt;" in arrived.body_html
    email = render(arrived, api.server.settings.model_copy(update={"public_url": "https://m.fi"}))
    plain = email.get_body(("plain",))
    html = email.get_body(("html",))
    assert plain is not None
    assert html is not None
    assert "Open your inbox: https://m.fi/mentor" in plain.get_content()
    assert '<a href="https://m.fi/mentor">Open your inbox</a>' in html.get_content()


async def test_acceptance_gives_both_sides_each_others_contact_and_next_steps(
    api: Api, engine: AsyncEngine
) -> None:
    coordinator = api.person(Role.COORDINATOR)
    await f.programme(api, coordinator, name="Mentoring 2026")
    starts = (api.server.clock() + timedelta(days=10)).isoformat()
    for audience, where in (("STUDENTS", "place"), ("MENTORS", "onlineUrl")):
        value = "Main building, hall 3" if where == "place" else "https://meet.example.edu/b"
        briefing = {"audience": audience, "startsAt": starts, "capacity": 40, where: value}
        await api.ok(BRIEFING, {"input": briefing}, as_=coordinator)
    mentor, mentor_id = await f.mentor(api, api.person(Role.MENTOR, "Maija Mentor"))
    student = await f.student(api, api.person(Role.STUDENT, "Sami Student"))
    request_id = await f.send(api, student, mentor_id)
    await api.ok(f.ACCEPT, {"id": request_id}, as_=mentor)

    letters = {m.to_address: m for m in await outbox(engine, "request_accepted")}
    to_student, to_mentor = letters[student.email], letters[mentor.email]
    assert to_student.subject == "[Mentoring 2026] Maija Mentor accepted your request"
    assert f"Maija Mentor\n{mentor.email}" in to_student.body_text
    assert to_mentor.subject == "[Mentoring 2026] You are now Sami Student's mentor"
    assert f"Sami Student\n{student.email}" in to_mentor.body_text
    for letter in (to_student, to_mentor):
        assert "first meeting" in letter.body_text
        assert "Mentoring 2026" in letter.body_text
    assert "Main building, hall 3" in to_student.body_text
    assert "https://meet.example.edu/b" in to_mentor.body_text
    assert "Sun 1 Feb 2026 at 12:00 (Europe/Helsinki time)" in to_mentor.body_text


async def test_a_rejection_and_a_full_mentor_tell_the_student_to_ask_someone_else(
    api: Api, engine: AsyncEngine
) -> None:
    await f.programme(api, name="Mentoring 2026")
    mentor, mentor_id = await f.mentor(api, api.person(Role.MENTOR, "Maija Mentor"), capacity=1)
    rejected, accepted, closed = [await f.student(api) for _ in range(3)]
    first = await f.send(api, rejected, mentor_id)
    await api.ok(f.REJECT, {"id": first, "reason": "My field is too far from yours."}, as_=mentor)
    second = await f.send(api, accepted, mentor_id)
    await f.send(api, closed, mentor_id)
    await api.ok(f.ACCEPT, {"id": second}, as_=mentor)

    [no] = await outbox(engine, "request_rejected")
    assert no.to_address == rejected.email
    assert no.subject == "[Mentoring 2026] Your request to Maija Mentor was not accepted"
    assert "Their reason: My field is too far from yours." in no.body_text
    assert "You may ask another mentor now" in no.body_text
    [full] = await outbox(engine, "request_closed_mentor_full")
    assert full.to_address == closed.email
    assert full.subject == "[Mentoring 2026] Maija Mentor has no more room"
    assert "filled every mentee place" in full.body_text
    assert "You may ask another mentor now" in full.body_text
    assert '<a href="%PUBLIC_URL%/browse">Browse mentors</a>' in full.body_html
