"""The programme year after matching, in Chromium, on both sides: the mentor inbox (/mentor) and
the matched student's page (/browse) show the briefing, the pair's meetings, the open surveys,
the person's own data and "My programme"; each does what a person does there."""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from playwright.async_api import Locator, Page, expect
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine

from db.models import OutboxMessage, Role
from tests import factories as f
from tests.clients import Api, Person
from tests.dashboard.conftest import PHONE, Pages, accessible, screenshot

pytestmark = pytest.mark.browser

BRIEFING = """mutation($input: BriefingSessionInput!) {
  createBriefingSession(input: $input) { id } }"""
SIGN_UP = "mutation($id: ID!) { signUpForBriefing(briefingId: $id) { id } }"
MY_BRIEFINGS = "{ briefingSessions { id signedUp signedUpCount } }"
SURVEY = """mutation($input: DefineSurveyInput!) { defineSurvey(input: $input) { id } }"""
TASKS = "{ mySurveyTasks { answered } }"
RESULTS = "query($id: ID!) { surveyResults(surveyId: $id) { responses studentResponses } }"
MY_REQUESTS = "{ myRequests { status reason } }"
VIEWER = "{ viewer { id } }"
RECORD = """mutation($id: ID!, $on: Date!) {
  recordMeeting(matchId: $id, metOn: $on, note: "First coffee.") { id } }"""

SCALE_PROMPT = "How useful is the mentoring so far?"
TEXT_PROMPT = "What should we change?"


async def matched_pair(api: Api, *, capacity: int = 1) -> tuple[Person, Person, Person]:
    """A coordinator, and Maija Mentor matched with Sami Student today."""
    coordinator = api.person(Role.COORDINATOR)
    await f.programme(api, coordinator)
    mentor, mentor_id = await f.mentor(
        api, api.person(Role.MENTOR, "Maija Mentor"), capacity=capacity
    )
    student = await f.student(api, api.person(Role.STUDENT, "Sami Student"))
    request_id = await f.send(api, student, mentor_id)
    await api.ok(f.ACCEPT, {"id": request_id}, as_=mentor)
    return coordinator, mentor, student


async def briefing(
    api: Api, coordinator: Person, audience: str, starts_at: str, **extra: object
) -> str:
    data = await api.ok(
        BRIEFING,
        {"input": {"audience": audience, "startsAt": starts_at, **extra}},
        as_=coordinator,
    )
    briefing_id: str = data["createBriefingSession"]["id"]
    return briefing_id


def step(page: Page, key: str) -> Locator:
    return page.locator(f'#year-timeline [data-step="{key}"]')


async def open_matched_student(
    pages: Pages, student: Person, *, viewport: dict[str, int] | None = None
) -> Page:
    page = await pages.open(student, "/browse", subscriptions=1, viewport=viewport)
    await expect(page.locator("#programme-year")).to_be_visible()
    return page


async def test_a_matched_pair_sign_up_for_their_briefings_and_a_full_one_is_refused_plainly(
    api: Api, pages: Pages
) -> None:
    coordinator, mentor, student = await matched_pair(api)
    await briefing(
        api,
        coordinator,
        "MENTORS",
        "2026-02-02T16:00:00+02:00",
        capacity=20,
        onlineUrl="https://meet.example.edu/briefing",
    )
    campus = await briefing(
        api,
        coordinator,
        "STUDENTS",
        "2026-02-03T14:00:00+02:00",
        capacity=1,
        place="Main building, hall 3",
    )
    library = await briefing(
        api, coordinator, "STUDENTS", "2026-02-05T14:00:00+02:00", capacity=30, place="Library"
    )

    inbox = await pages.open(mentor, "/mentor")
    await expect(inbox.locator("#programme-year")).to_be_visible()
    sessions = inbox.locator("#year-briefings [data-briefing]")
    await expect(sessions).to_have_count(1)  # the mentors' session, not the students'
    await expect(sessions).to_contain_text("Mon 2 Feb, 16:00")
    await expect(sessions).to_contain_text("https://meet.example.edu/briefing")
    await expect(step(inbox, "briefing")).to_have_attribute("data-state", "next")
    await accessible(inbox, "mentor: the briefing before signing up")
    await sessions.get_by_role("button", name="Sign up", exact=True).click()
    await expect(sessions).to_contain_text("You are signed up.")
    await expect(step(inbox, "briefing")).to_contain_text("Signed up: Mon 2 Feb, 16:00")
    await screenshot(inbox, "year-mentor-briefing")

    page = await open_matched_student(pages, student)
    first = page.locator(f'#year-briefings [data-briefing="{campus}"]')
    second = page.locator(f'#year-briefings [data-briefing="{library}"]')
    await expect(first).to_contain_text("Main building, hall 3")
    await expect(first).to_contain_text("1 place left of 1.")
    # Someone else takes the last place while Sami's page still shows it.
    await api.ok(SIGN_UP, {"id": campus}, as_=await f.student(api))
    await first.get_by_role("button", name="Sign up", exact=True).click()
    await expect(page.locator("#year-briefing-error")).to_have_text(
        "This briefing session is full; choose another one."
    )
    await expect(first).to_contain_text("Full: choose another session.")
    await expect(first.get_by_role("button")).to_have_count(0)
    await expect(first).to_be_focused()
    await accessible(page, "student: a full briefing refused")

    await second.get_by_role("button", name="Sign up", exact=True).click()
    await expect(second).to_contain_text("You are signed up.")
    await expect(page.locator("#year-briefing-error")).to_be_empty()
    await expect(step(page, "briefing")).to_contain_text("Signed up: Thu 5 Feb, 14:00")
    await screenshot(page, "year-student-briefing")
    seen = (await api.ok(MY_BRIEFINGS, as_=student))["briefingSessions"]
    assert [(b["id"], b["signedUp"]) for b in seen] == [(campus, False), (library, True)]

    await second.get_by_role("button", name="Cancel sign-up").click()
    await expect(second).to_contain_text("30 places left of 30.")
    await expect(step(page, "briefing")).to_have_attribute("data-state", "next")
    seen = (await api.ok(MY_BRIEFINGS, as_=student))["briefingSessions"]
    assert [b["signedUp"] for b in seen] == [False, False]

    phone = await open_matched_student(pages, student, viewport=PHONE)
    await expect(phone.locator("#year-briefings [data-briefing]")).to_have_count(2)
    await screenshot(phone, "year-student-briefing-phone")
    await accessible(phone, "student: the briefing at phone size")


async def record(page: Page, on: str | None, note: str) -> None:
    form = page.locator(".meeting-form")
    if on is not None:
        await form.get_by_label("Date you met").fill(on)
    await form.get_by_label("Note").fill(note)
    await form.get_by_role("button", name="Record meeting").click()


async def test_both_sides_record_meetings_and_see_all_three_with_a_prompt_after_a_quiet_month(
    api: Api, pages: Pages
) -> None:
    _, mentor, student = await matched_pair(api)  # on 22 Jan
    api.server.clock.advance(days=10)  # 1 Feb

    page = await open_matched_student(pages, student)
    meetings = page.locator(".meetings li")
    await expect(page.locator(".pair")).to_contain_text("No meeting recorded yet.")
    await expect(page.locator(".pair h2")).to_have_text("With Maija Mentor")
    await expect(step(page, "first-meeting")).to_have_attribute("data-state", "next")
    await expect(page.locator(".meeting-form").get_by_label("Date you met")).to_have_value(
        "2026-02-01"  # the server's today, not the browser's
    )
    await accessible(page, "student: no meeting yet")
    await record(page, "2026-01-24", "Coffee on campus: talked about my thesis.")
    await expect(meetings).to_have_count(1)
    await expect(meetings).to_contain_text("recorded by you")

    inbox = await pages.open(mentor, "/mentor")
    theirs = inbox.locator(".meetings li")
    await expect(theirs).to_have_count(1)
    await expect(theirs).to_contain_text("Coffee on campus: talked about my thesis.")
    await expect(theirs).to_contain_text("recorded by Sami")
    await record(inbox, "2026-01-28", "CV review over video.")
    await expect(theirs).to_have_count(2)

    await record(page, None, "Agreed to meet once a month.")  # on today's date
    await expect(meetings).to_have_count(3)
    await inbox.reload()
    for seen in (page, inbox):
        await expect(seen.locator(".meetings li time")).to_have_text(
            ["1 Feb 2026", "28 Jan 2026", "24 Jan 2026"]
        )
        await expect(seen.locator(".meeting-note")).to_have_text(
            [
                "Agreed to meet once a month.",
                "CV review over video.",
                "Coffee on campus: talked about my thesis.",
            ]
        )
        await expect(step(seen, "first-meeting")).to_have_attribute("data-state", "done")
        await expect(step(seen, "first-meeting")).to_contain_text("Met 24 Jan 2026")
        await expect(seen.locator(".year-nudge")).to_be_hidden()
    await screenshot(inbox, "year-mentor-meetings")
    await accessible(inbox, "mentor: three meetings")

    # The mentee's card in the inbox leads to the pair's meetings.
    await inbox.get_by_role("link", name="Meetings and surveys with Sami Student").click()
    await expect(inbox.locator(".pair")).to_be_in_viewport()

    api.server.clock.advance(days=40)  # 13 Mar: six weeks since the last meeting
    await page.reload()
    await expect(page.locator(".year-nudge")).to_be_visible()
    await expect(page.locator(".year-nudge")).to_contain_text(
        "It is 40 days since you last met Maija (1 Feb 2026)."
    )
    await screenshot(page, "year-student-quiet-month")
    await accessible(page, "student: a quiet month")


async def answer(page: Page, scale: str, text: str) -> None:
    survey = page.locator(".survey-form")
    await survey.get_by_role("group", name=SCALE_PROMPT).get_by_label(scale, exact=True).check()
    await survey.get_by_label(TEXT_PROMPT).fill(text)
    await survey.get_by_role("button", name="Send answers").click()


async def test_the_halfway_survey_is_answered_once_and_a_second_try_is_refused_plainly(
    api: Api, pages: Pages
) -> None:
    coordinator, _, student = await matched_pair(api)
    today = f.today(api)
    survey = await api.ok(
        SURVEY,
        {
            "input": {
                "kind": "HALFWAY",
                "title": "The halfway check-in",
                "questions": [
                    {"kind": "SCALE_1_5", "prompt": SCALE_PROMPT},
                    {"kind": "TEXT", "prompt": TEXT_PROMPT},
                ],
                "opensOn": today.isoformat(),
                "closesOn": (today + timedelta(days=10)).isoformat(),
            }
        },
        as_=coordinator,
    )
    survey_id = survey["defineSurvey"]["id"]

    page = await open_matched_student(pages, student)
    other_tab = await open_matched_student(pages, student)
    await expect(page.locator(".survey-form")).to_contain_text("About your mentoring with Maija")
    await expect(step(page, "halfway")).to_contain_text("To do")
    await expect(step(page, "halfway")).to_contain_text("Open until 1 Feb 2026")
    await accessible(page, "student: the halfway survey open")
    await screenshot(page, "year-student-survey")

    await answer(page, "4", "More meetings in person.")
    await expect(page.locator(".survey-done")).to_contain_text("Done.")
    await expect(page.locator(".survey-done")).to_be_focused()
    await expect(page.locator(".survey-form")).to_have_count(0)
    await expect(step(page, "halfway")).to_have_attribute("data-state", "done")
    assert (await api.ok(TASKS, as_=student))["mySurveyTasks"] == [{"answered": True}]

    # The other tab still shows the form: sending it again is refused, in the server's words.
    await answer(other_tab, "2", "Second thoughts.")
    await expect(other_tab.locator(".survey [role=alert]")).to_have_text(
        "You have already answered this survey for this match."
    )
    await expect(other_tab.locator(".survey-form")).to_have_count(0)
    await accessible(other_tab, "student: a second answer refused")
    results = (await api.ok(RESULTS, {"id": survey_id}, as_=coordinator))["surveyResults"]
    assert (results["responses"], results["studentResponses"]) == (1, 1)

    await page.reload()
    await expect(page.locator(".survey-done")).to_be_visible()
    await expect(page.locator(".survey-form")).to_have_count(0)


async def test_a_survey_letters_link_opens_the_survey_form_on_a_phone(
    api: Api, pages: Pages, engine: AsyncEngine
) -> None:
    coordinator, _, student = await matched_pair(api)
    today = f.today(api)
    await api.ok(
        SURVEY,
        {
            "input": {
                "kind": "HALFWAY",
                "title": "The halfway check-in",
                "questions": [
                    {"kind": "SCALE_1_5", "prompt": SCALE_PROMPT},
                    {"kind": "TEXT", "prompt": TEXT_PROMPT},
                ],
                "opensOn": today.isoformat(),
                "closesOn": (today + timedelta(days=10)).isoformat(),
            }
        },
        as_=coordinator,
    )
    page = await open_matched_student(pages, student, viewport=PHONE)
    await api.server.app.state.scheduler.run_round()  # the survey is announced
    async with engine.connect() as connection:
        letter = await connection.scalar(
            select(OutboxMessage.body_text).where(
                OutboxMessage.kind == "survey_open", OutboxMessage.to_address == student.email
            )
        )
    assert letter is not None
    found = re.search(r"^Answer the survey: %PUBLIC_URL%(/browse#survey-\d+-\d+)$", letter, re.M)
    assert found, letter
    survey = page.locator(".survey")
    scale = survey.get_by_role("group", name=SCALE_PROMPT)
    # Followed in the tab that shows the page already (only the fragment changes): the form,
    # read afresh, is brought into view and focused, ~3,000 px down a phone's page.
    await page.goto(f"{api.server.url}{found.group(1)}")
    await expect(survey).to_be_focused()
    await expect(scale).to_be_in_viewport()
    await accessible(page, "student: a survey letter's link followed on a phone")
    # Opened afresh, the panels load after the page: the form is brought into view then.
    await page.evaluate("window.scrollTo(0, 0)")
    await page.reload()
    await expect(survey).to_be_focused()
    await expect(scale).to_be_in_viewport()


async def downloaded(page: Page, tmp_path: Path) -> dict[str, Any]:
    async with page.expect_download() as download_info:
        await page.get_by_role("button", name="Download my data").click()
    download = await download_info.value
    assert download.suggested_filename == "mentori-my-data-2026-01-22.json"
    path = tmp_path / download.suggested_filename
    await download.save_as(path)
    data: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    return data


async def test_each_side_downloads_their_data_and_the_mentor_erases_themselves(
    api: Api, pages: Pages, tmp_path: Path
) -> None:
    _, mentor, student = await matched_pair(api, capacity=2)
    waiting = await f.student(api, api.person(Role.STUDENT, "Wilma Waiting"))
    mentor_id = await mentor_of(api, waiting)  # listed: one place left
    await f.send(api, waiting, mentor_id)

    page = await open_matched_student(pages, student, viewport=PHONE)
    mine = await downloaded(page, tmp_path)
    assert mine["person"]["name"] == "Sami Student"
    assert mine["person"]["email"] == student.email
    [profile] = mine["studentProfiles"]
    assert profile["displayName"] == "Sami Student"
    [match] = mine["matches"]
    assert (match["as"], match["partner"]) == ("mentee", "Maija Mentor")
    await page.get_by_role("button", name="Erase me…").click()
    dialog = page.locator("#erase-dialog")
    await expect(dialog).to_contain_text(
        "A request of yours still waiting for an answer is withdrawn."
    )
    await expect(dialog).to_contain_text("Your match with Maija Mentor stays only as an anonymous")
    await screenshot(page, "year-student-erase-dialog-phone")
    await accessible(page, "student: the erase dialog at phone size")
    await page.get_by_role("button", name="Keep my data").click()
    await expect(dialog).to_be_hidden()
    await expect(page.get_by_role("button", name="Erase me…")).to_be_focused()

    inbox = await pages.open(mentor, "/mentor")
    theirs = await downloaded(inbox, tmp_path)
    assert theirs["person"]["name"] == "Maija Mentor"
    assert theirs["person"]["email"] == mentor.email
    [profile] = theirs["mentorProfiles"]
    assert profile["displayName"] == "Maija Mentor"
    [match] = theirs["matches"]
    assert (match["as"], match["partner"]) == ("mentor", "Sami Student")
    assert theirs["studentProfiles"] == []  # only what is theirs
    assert waiting.email not in json.dumps(theirs)

    erase = inbox.get_by_role("button", name="Erase me…")
    await erase.focus()
    await inbox.keyboard.press("Enter")
    dialog = inbox.locator("#erase-dialog")
    await expect(dialog).to_be_visible()
    await expect(dialog.get_by_role("button", name="Keep my data")).to_be_focused()
    await expect(dialog).to_contain_text("This cannot be undone.")
    await expect(dialog).to_contain_text(
        "Every request waiting for your answer is closed now: those students are told and can "
        "ask another mentor straight away."
    )
    await expect(dialog).to_contain_text(
        "Your match with Sami Student stays only as an anonymous record"
    )
    await accessible(inbox, "mentor: the erase dialog")
    await screenshot(inbox, "year-mentor-erase-dialog")
    await inbox.keyboard.press("Escape")
    await expect(dialog).to_be_hidden()
    await expect(erase).to_be_focused()

    # Tokens are issued by the real clock, and an erasure refuses those issued before it: the
    # server's clock must not lag behind the tokens' issue time for that to show.
    match_id = (await api.ok("{ myMatches { id } }", as_=mentor))["myMatches"][0]["id"]
    await api.ok(RECORD, {"id": match_id, "on": f.today(api).isoformat()}, as_=mentor)
    api.server.clock.now = datetime.now(UTC)
    await erase.click()
    await dialog.get_by_role("button", name="Erase my data").click()
    await expect(inbox.locator("#erased")).to_contain_text("Your data is erased")
    await expect(inbox.locator("#erased")).to_contain_text(
        "You are signed out, and this sign-in no longer works."
    )
    await expect(inbox.locator("#app")).to_be_hidden()
    await expect(inbox.locator("#live-status")).to_have_text("Signed out")
    await accessible(inbox, "mentor: erased")
    await screenshot(inbox, "year-mentor-erased")
    refused = await api.error(VIEWER, as_=mentor)
    assert refused["extensions"]["code"] == "UNAUTHENTICATED"
    assert (await api.ok(MY_REQUESTS, as_=waiting))["myRequests"] == [
        {"status": "REJECTED", "reason": "The mentor left the programme."}
    ]
    await inbox.reload()  # the tab no longer holds the sign-in
    await expect(inbox.locator("#gate-title")).to_have_text("Sign in to open the mentor inbox")

    # The student is told plainly, and promised no contact details.
    await page.reload()
    await expect(page.locator("main")).to_have_attribute("aria-busy", "false")
    erased = "Your mentor erased their data; the match stays as an anonymous record."
    await expect(page.locator("#my-request-body")).to_contain_text(erased)
    await expect(page.locator(".pair")).to_contain_text(erased)
    await expect(page.locator("main")).not_to_contain_text("on their way")
    await expect(page.locator(".meeting-head .hint")).to_have_text("recorded by your former mentor")
    await accessible(page, "student: the mentor erased their data, at phone size")


async def mentor_of(api: Api, student: Person) -> str:
    data = await api.ok("{ mentors { edges { node { id } } } }", as_=student)
    [mentor_id] = [e["node"]["id"] for e in data["mentors"]["edges"]]
    return str(mentor_id)


async def test_a_student_not_yet_matched_downloads_their_data_and_sees_only_that(
    api: Api, pages: Pages, tmp_path: Path
) -> None:
    await f.programme(api)
    _, mentor_id = await f.mentor(api, api.person(Role.MENTOR, "Maija Mentor"), capacity=2)
    student = await f.student(api, api.person(Role.STUDENT, "Wilma Waiting"))
    await f.send(api, student, mentor_id, "Could you mentor me?")

    page = await pages.open(student, "/browse")
    await expect(page.get_by_role("button", name="Download my data")).to_be_visible()
    # The year's other panels begin with a match.
    await expect(page.locator("#year-programme-card")).to_be_hidden()
    mine = await downloaded(page, tmp_path)
    assert mine["person"]["name"] == "Wilma Waiting"
    assert mine["matches"] == []
    await page.get_by_role("button", name="Erase me…").click()
    dialog = page.locator("#erase-dialog")
    await expect(dialog).to_contain_text(
        "A request of yours still waiting for an answer is withdrawn."
    )
    await expect(dialog).not_to_contain_text("Your match with")
    await accessible(page, "student not matched: the erase dialog")
    await page.get_by_role("button", name="Keep my data").click()
