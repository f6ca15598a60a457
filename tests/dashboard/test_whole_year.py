"""The acceptance walk of the whole year, in Chromium: a new mentor and a new student do the
whole year from a fresh programme with nothing but the pages and their email. The mentor signs
up and publishes; the student sets out their studies, searches and asks with the keyboard alone;
the mentor is told by email, reminded, and accepts; both follow their letters back to sign up for
their briefing, record three meetings, answer the halfway and the final survey (each announced
by email, its link followed in the page), download their data and erase it. At a laptop's size
and a phone's, with axe-core on every state. The coordinator's set-up (the programme, its
briefings and surveys) goes through the API: the console has its own walk."""

from __future__ import annotations

import json
import re
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import httpx
import pytest
from playwright.async_api import Locator, Page, expect
from sqlalchemy.ext.asyncio import AsyncEngine

from db.models import Role
from tests import factories as f
from tests.clients import Api, Person, until_listening
from tests.clock import FakeClock
from tests.conftest import server_settings
from tests.dashboard.conftest import LAPTOP, PHONE, Pages, accessible, screenshot
from tests.dashboard.test_browse_keyboard import focused, tab_to
from tests.dashboard.test_mentor_profile import choose
from tests.databases import wipe
from tests.mail import SmtpSink, smtp_sink
from tests.servers import free_port, running_server
from tests.waiting import eventually

pytestmark = [pytest.mark.browser, pytest.mark.slow, pytest.mark.embedded]

SIZES = {"laptop": LAPTOP, "phone": PHONE}
PHASES = [
    ("MENTOR_SIGNUP", "2026-01-07", "2026-01-16"),
    ("STUDENT_REQUESTS", "2026-01-20", "2026-01-26"),
    ("BRIEFINGS", "2026-01-27", "2026-02-06"),
    ("PROGRAMME", "2026-01-27", "2026-06-30"),
    ("HALFWAY_SURVEY", "2026-03-30", "2026-04-10"),
    ("FINAL_SURVEY", "2026-06-01", "2026-06-15"),
]
SIGN_UP_DAY = datetime(2026, 1, 8, 10, tzinfo=UTC)  # noon in Helsinki
BRIEFING = """mutation($input: BriefingSessionInput!) {
  createBriefingSession(input: $input) { id } }"""
SURVEY = """mutation($input: DefineSurveyInput!) { defineSurvey(input: $input) { id } }"""
SCALE_PROMPT = "How useful is the mentoring?"
TEXT_PROMPT = "What should we change?"
MENTOR_EMAIL = "maija.mentor@example.com"  # the contact address she gives, not her sign-in's
# The subscriptions each page holds (conftest.SUBSCRIPTIONS), as the walk moves between them.
LIVE = {"/mentor": 1, "/mentor/profile": 1, "/browse": 2, "/browse matched": 1, "erased": 0}


@pytest.fixture
async def sink() -> AsyncIterator[SmtpSink]:
    async with smtp_sink() as running:
        yield running


@pytest.fixture
async def api(
    database: tuple[str, AsyncEngine], tmp_path: Path, sink: SmtpSink
) -> AsyncIterator[Api]:
    """A server whose letters go to a real SMTP server and whose links lead back to it (its
    public address is its own); the periodic tasks run when the walk moves the clock."""
    url, engine = database
    await wipe(engine)
    port = free_port()
    settings = server_settings(
        url,
        tmp_path / "mail",
        public_url=f"http://127.0.0.1:{port}",
        scheduler_interval_seconds=3600,
        **sink.settings(),
    )
    async with (
        running_server(settings, FakeClock(SIGN_UP_DAY), port=port) as server,
        httpx.AsyncClient(base_url=server.url, timeout=30) as client,
    ):
        yield Api(server=server, client=client)


class Walk:
    """The two people's pages, their mailboxes and the programme's calendar."""

    def __init__(self, api: Api, pages: Pages, sink: SmtpSink, size: str) -> None:
        self.api, self.pages, self.sink, self.size = api, pages, sink, size
        self.viewport = SIZES[size]
        self.live: dict[Page, str] = {}  # each open page, and what it holds live

    async def on(self, moment: str) -> None:
        """Move to a date and time (UTC) and let the periodic tasks run, as each hour would."""
        self.api.server.clock.now = datetime.fromisoformat(moment).replace(tzinfo=UTC)
        await self.api.server.app.state.scheduler.run_round()
        self.api.server.app.state.mailer.poke()

    async def open(self, person: Person, path: str) -> Page:
        page = await self.pages.open(person, path, viewport=self.viewport)
        self.live[page] = path
        return page

    async def arrived(self, page: Page, holds: str) -> None:
        """The page, reached by a link or reloaded, is loaded and live again."""
        await expect(page.locator("#live-status")).to_have_attribute("data-state", "live")
        await expect(page.locator("main")).to_have_attribute("aria-busy", "false")
        await self.holds(page, holds)

    async def holds(self, page: Page, what: str) -> None:
        self.live[page] = what
        self.pages.subscriptions = sum(LIVE[held] for held in self.live.values())
        await until_listening(self.api.client, self.pages.subscriptions)

    async def follow(self, page: Page, letter: EmailMessage, label: str, holds: str) -> None:
        """The person opens the letter's link in the tab where they are signed in."""
        url = link(letter, label)
        assert url.startswith(self.api.server.url), url
        await page.goto(url)
        await self.arrived(page, holds)

    async def letter(self, to: str, subject: str) -> EmailMessage:
        """The one letter to `to` whose subject has `subject`, once it has arrived."""

        async def arrived() -> list[EmailMessage]:
            return [
                m for m in self.sink.messages() if m["To"] == to and subject in str(m["Subject"])
            ]

        [found] = await eventually(arrived, what=f"a letter to {to}: {subject}", within=15)
        return found

    async def check(self, page: Page, state: str) -> None:
        """axe-core on the page as it is, and a picture of it."""
        await accessible(page, f"{state} ({self.size})")
        await screenshot(page, f"whole-year-{self.size}-{state.replace(' ', '-').replace(':', '')}")


def text_of(letter: EmailMessage) -> str:
    body = letter.get_body(("plain",))
    assert body is not None
    content: str = body.get_content()
    return content.replace("\r\n", "\n")  # as it came over SMTP


def link(letter: EmailMessage, label: str) -> str:
    found = re.search(rf"^{re.escape(label)}: (\S+)", text_of(letter), re.MULTILINE)
    assert found, f"no “{label}” link in: {text_of(letter)}"
    return found.group(1)


async def coordinator_sets_up(api: Api) -> None:
    """The coordinator's part, through the API: the programme, a briefing session for each
    side, the two surveys; and one other mentor already signed up."""
    coordinator = api.person(Role.COORDINATOR, "Coco Coordinator")
    phases = [{"phase": p, "opensOn": o, "closesOn": c} for p, o, c in PHASES]
    await api.ok(
        f.CREATE_PROGRAMME, {"input": {"name": "Mentoring 2026", "phases": phases}}, as_=coordinator
    )
    for audience, starts_at, where in (
        ("MENTORS", "2026-02-02T16:00:00+02:00", {"onlineUrl": "https://meet.example.edu/m"}),
        ("STUDENTS", "2026-02-03T14:00:00+02:00", {"place": "Main building, hall 3"}),
    ):
        await api.ok(
            BRIEFING,
            {"input": {"audience": audience, "startsAt": starts_at, "capacity": 20, **where}},
            as_=coordinator,
        )
    for kind, title in (("HALFWAY", "The halfway check-in"), ("FINAL", "The final feedback")):
        questions = [
            {"kind": "SCALE_1_5", "prompt": SCALE_PROMPT},
            {"kind": "TEXT", "prompt": TEXT_PROMPT},
        ]
        await api.ok(
            SURVEY,
            {"input": {"kind": kind, "title": title, "questions": questions}},
            as_=coordinator,
        )
    await f.mentor(api, api.person(Role.MENTOR, "Olli Oulu"), city="Oulu", capacity=2)


async def mentor_signs_up_and_publishes(walk: Walk, mentor: Person) -> Page:
    page = await walk.open(mentor, "/mentor")
    await expect(page.locator("#profile-body")).to_contain_text("no mentor profile")
    await walk.check(page, "mentor: an inbox before a profile")
    await page.get_by_role("link", name="Create your profile").click()
    await walk.arrived(page, "/mentor/profile")
    await expect(page.locator("#signup-window")).to_contain_text(
        "Mentor sign-up for Mentoring 2026 is open until"
    )
    await expect(page.get_by_label("Your name, as students see it")).to_have_value("Maija Mentor")
    await walk.check(page, "mentor: the empty profile form")

    await page.get_by_label("Headline").fill("Product lead in fintech")
    await page.get_by_label("Educational background").fill("M.Sc. (Tech.), Aalto University")
    await page.get_by_label("Professional background").fill("Fifteen years in product work.")
    await page.get_by_label("Career experience").fill("Built and led two product teams.")
    await page.get_by_label("Years of working life").fill("15")
    await page.get_by_label("City").fill("Helsinki")
    await page.get_by_label("Master's students").check()
    await choose(page, "language", "fin", "Finnish")
    await choose(page, "language", "engl", "English")
    await choose(page, "field", "computer", "Computer Science")
    await page.get_by_label("Contact email").fill(MENTOR_EMAIL)
    await page.get_by_label("Date of birth").fill("1979-04-03")
    preview = page.locator("#preview-card [data-mentor]")
    await expect(preview).to_contain_text("Product lead in fintech")
    await expect(preview).to_contain_text("1 of 1 place left")
    await walk.check(page, "mentor: the filled form and its preview")

    await page.get_by_role("button", name="Save and publish").click()
    await expect(page.locator("#alerts")).to_contain_text("students can find you now")
    await expect(page.locator("#profile-state .badge-published")).to_be_visible()
    await expect(page.locator("#waiting-count")).to_have_text("0 students waiting for your answer")
    await walk.check(page, "mentor: published")
    return page


async def student_asks_with_the_keyboard(walk: Walk, student: Person) -> Page:
    page = await walk.open(student, "/browse")
    await expect(page.locator("#setup-title")).to_have_text("Tell us about your studies first")
    await walk.check(page, "student: the first visit")
    await page.get_by_label("Master's").check()
    await page.get_by_label("Field of study").select_option(label="Computer Science")
    await page.locator("#setup-languages").get_by_label("English", exact=True).check()
    await page.get_by_role("button", name="Save and start looking").click()
    await expect(page.locator("#profile-summary")).to_contain_text("Master's student")
    await expect(page.locator("#results-title")).to_be_focused()  # read again for her studies
    cards = page.locator("#results [data-mentor]:not([data-leaving])")
    await expect(cards).to_have_count(2)
    await expect(page.locator("#results")).to_have_attribute("aria-busy", "false")
    await walk.check(page, "student: the recommended mentors")

    # From here on the keyboard alone: a word from the profile, then the request.
    if walk.size == "phone":
        await tab_to(page, "filters-toggle")
        await page.keyboard.press("Enter")
    await tab_to(page, "filter-text")
    await page.keyboard.type("fintech")
    await expect(page.locator("#results-count")).to_have_text("1 mentor matches your search")
    await expect(cards).to_have_count(1)
    await expect(cards).to_contain_text("Maija Mentor")
    await expect(page.locator("#results")).to_have_attribute("aria-busy", "false")
    await walk.check(page, "student: the search found her")
    await tab_to(page, "Send request to Maija Mentor")
    await page.keyboard.press("Enter")
    await expect(page.get_by_label("A short message")).to_be_focused()
    await page.keyboard.type("I would value your view on product work in fintech.")
    await walk.check(page, "student: the request dialog")
    await tab_to(page, "Send request")
    await page.keyboard.press("Enter")
    mine = page.locator("#my-request-body [data-status=PENDING]")
    await expect(mine).to_contain_text("Maija Mentor")
    assert await focused(page) == ["", "Request sent", "Maija Mentor"]
    await walk.check(page, "student: the request waiting")
    return page


# Each size and each database once: the embedded default at a laptop's size (as `make run` is
# first tried), PostgreSQL on a phone.
@pytest.mark.parametrize(
    ("database", "size"), [("sqlite", "laptop"), ("postgresql", "phone")], indirect=["database"]
)
async def test_a_new_mentor_and_student_do_the_whole_year_with_the_pages_and_their_email(
    api: Api, pages: Pages, sink: SmtpSink, tmp_path: Path, size: str
) -> None:
    walk = Walk(api, pages, sink, size)
    await coordinator_sets_up(api)
    mentor = api.person(Role.MENTOR, "Maija Mentor")
    student = api.person(Role.STUDENT, "Sami Student")

    # Mentor sign-up.
    profile = await mentor_signs_up_and_publishes(walk, mentor)

    # The request window opens: the student finds her and asks; she hears of it by email.
    await walk.on("2026-01-20T10:00:00")
    browse = await student_asks_with_the_keyboard(walk, student)
    await expect(profile.locator("#waiting-count")).to_have_text(
        "1 student waiting for your answer"
    )
    arrived = await walk.letter(MENTOR_EMAIL, "Sami Student would like you as their mentor")
    assert "I would value your view on product work in fintech." in text_of(arrived)
    await walk.follow(profile, arrived, "Open your inbox", "/mentor")
    inbox = profile
    waiting = inbox.locator("#waiting [data-request]")
    await expect(waiting).to_contain_text("Sami Student")
    await expect(waiting).to_contain_text("I would value your view on product work in fintech.")
    await walk.check(inbox, "mentor: the request in the inbox")

    # She leaves it for two days: a reminder comes, and she answers from its link.
    await walk.on("2026-01-22T10:30:00")
    reminder = await walk.letter(MENTOR_EMAIL, "Reminder: Sami Student is waiting for your answer")
    assert "It expires on Fri 23 Jan 2026 at 12:00 (Europe/Helsinki time)" in text_of(reminder)
    await walk.follow(inbox, reminder, "Open your inbox", "/mentor")
    await waiting.get_by_role("button", name="Accept").click()
    mentee = inbox.locator("#mentees [data-request]")
    await expect(mentee).to_be_focused()
    await expect(mentee.get_by_role("link", name=student.email)).to_be_visible()
    await expect(inbox.locator("#waiting-empty")).to_be_visible()
    await walk.check(inbox, "mentor: accepted")

    # The student sees it at once, and both have each other's address by email.
    await expect(browse.get_by_role("heading", level=1)).to_have_text("Your mentor")
    await expect(browse.get_by_role("link", name=MENTOR_EMAIL)).to_be_visible()
    await expect(browse.locator("#search-area")).to_be_hidden()
    await walk.holds(browse, "/browse matched")
    await walk.check(browse, "student: matched")
    to_student = await walk.letter(student.email, "Maija Mentor accepted your request")
    assert f"Maija Mentor\n{MENTOR_EMAIL}" in text_of(to_student)
    assert "Tue 3 Feb 2026 at 14:00 (Europe/Helsinki time), Main building, hall 3" in text_of(
        to_student
    )
    to_mentor = await walk.letter(MENTOR_EMAIL, "You are now Sami Student's mentor")
    assert f"Sami Student\n{student.email}" in text_of(to_mentor)
    assert "https://meet.example.edu/m" in text_of(to_mentor)

    # The briefings: back through the letter's link, each signs up for their side's session.
    await walk.on("2026-01-27T10:00:00")
    for page, holds, letter, label, when, who in (
        (inbox, "/mentor", to_mentor, "Open your inbox", "Mon 2 Feb, 16:00", "mentor"),
        (browse, "/browse matched", to_student, "Open your page", "Tue 3 Feb, 14:00", "student"),
    ):
        await walk.follow(page, letter, label, holds)
        session = page.locator("#year-briefings [data-briefing]")
        await expect(session).to_have_count(1)
        await expect(step(page, "briefing")).to_have_attribute("data-state", "next")
        await walk.check(page, f"{who}: the briefing to sign up for")
        await session.get_by_role("button", name="Sign up", exact=True).click()
        await expect(session).to_contain_text("You are signed up.")
        await expect(session).to_be_focused()
        await expect(step(page, "briefing")).to_contain_text(f"Signed up: {when}")
        await walk.check(page, f"{who}: signed up for the briefing")

    # The first meeting, recorded by the student; the mentor sees it when she looks.
    await walk.on("2026-02-10T10:00:00")
    await browse.reload()
    await walk.arrived(browse, "/browse matched")
    await expect(step(browse, "first-meeting")).to_have_attribute("data-state", "next")
    await record(browse, "2026-02-09", "Coffee on campus: talked about my thesis.")
    await expect(browse.locator(".meetings li")).to_have_count(1)
    await walk.check(browse, "student: the first meeting recorded")

    # The halfway check-in opens and is announced: each answers from the letter's link, and
    # the mentor records the second meeting.
    await walk.on("2026-03-30T10:00:00")
    for page, holds, partner, address, who in (
        (inbox, "/mentor", "Sami Student", MENTOR_EMAIL, "mentor"),
        (browse, "/browse matched", "Maija Mentor", student.email, "student"),
    ):
        announced = await walk.letter(address, "The halfway check-in: tell us how it is going")
        assert f"please answer about your mentoring with {partner}" in text_of(announced)
        await walk.follow(page, announced, "Answer the survey", holds)
        await expect(step(page, "halfway")).to_have_attribute("data-state", "next")
        await walk.check(page, f"{who}: the halfway check-in open")
        await answer(page, "4", "More meetings in person.")
        await expect(page.locator(".survey-done")).to_be_focused()
        await expect(step(page, "halfway")).to_have_attribute("data-state", "done")
        await walk.check(page, f"{who}: the halfway check-in answered")
    await record(inbox, "2026-03-27", "CV review over video.")
    await expect(inbox.locator(".meetings li")).to_have_count(2)

    # The final survey, and the third meeting.
    await walk.on("2026-06-01T10:00:00")
    for page, holds, address, who in (
        (browse, "/browse matched", student.email, "student"),
        (inbox, "/mentor", MENTOR_EMAIL, "mentor"),
    ):
        announced = await walk.letter(address, "The final feedback: tell us how it is going")
        await walk.follow(page, announced, "Answer the survey", holds)
        await expect(page.locator(".meetings li")).to_have_count(2)
        await walk.check(page, f"{who}: the final survey open")
        await answer(page, "5", "Nothing: it was worth it.")
        await expect(step(page, "final")).to_have_attribute("data-state", "done")
    await record(browse, "2026-05-29", "Agreed on the next steps of my job search.")
    await inbox.reload()
    await walk.arrived(inbox, "/mentor")
    for page, who in ((browse, "student"), (inbox, "mentor")):
        await expect(page.locator(".meetings li time")).to_have_text(
            ["29 May 2026", "27 Mar 2026", "9 Feb 2026"]
        )
        await expect(step(page, "first-meeting")).to_contain_text("Met 9 Feb 2026")
        # Both surveys answered; the halfway one has closed since, and still says so.
        await expect(step(page, "halfway")).to_have_attribute("data-state", "done")
        await expect(step(page, "halfway")).to_contain_text("Answered. Closed 10 Apr 2026.")
        await expect(step(page, "final")).to_have_attribute("data-state", "done")
        await walk.check(page, f"{who}: three meetings and both surveys")

    # After the programme each downloads their data and erases it. (Tokens are issued by the
    # real clock, and an erasure refuses those issued before it: the server's clock is now.)
    api.server.clock.now = datetime.now(UTC)
    for page, holds, person, partner, who in (
        (browse, "/browse matched", student, "Maija Mentor", "student"),
        (inbox, "/mentor", mentor, "Former student", "mentor"),  # the student went first
    ):
        await page.reload()
        await walk.arrived(page, holds)
        await expect(page.locator(".meetings li")).to_have_count(3)
        await expect(page.locator(".year-nudge")).to_be_hidden()  # no prompt to meet: it is over
        mine = await downloaded(page, tmp_path)
        assert mine["person"]["name"] == person.name
        [match] = mine["matches"]
        assert match["partner"] == partner
        await page.get_by_role("button", name="Erase me…").click()
        dialog = page.locator("#erase-dialog")
        await expect(dialog.get_by_role("button", name="Keep my data")).to_be_focused()
        await walk.check(page, f"{who}: the erase dialog")
        await dialog.get_by_role("button", name="Erase my data").click()
        await expect(page.locator("#erased")).to_contain_text("Your data is erased")
        await expect(page.locator("#gate-title")).to_be_focused()
        await walk.holds(page, "erased")
        await walk.check(page, f"{who}: erased")
        refused = await api.error("{ viewer { id } }", as_=person)
        assert refused["extensions"]["code"] == "UNAUTHENTICATED"


def step(page: Page, key: str) -> Locator:
    return page.locator(f'#year-timeline [data-step="{key}"]')


async def record(page: Page, on: str, note: str) -> None:
    form = page.locator(".meeting-form")
    await form.get_by_label("Date you met").fill(on)
    await form.get_by_label("Note").fill(note)
    await form.get_by_role("button", name="Record meeting").click()
    await expect(page.locator(".meeting-note").first).to_have_text(note)


async def answer(page: Page, scale: str, text: str) -> None:
    survey = page.locator(".survey-form")
    await survey.get_by_role("group", name=SCALE_PROMPT).get_by_label(scale, exact=True).check()
    await survey.get_by_label(TEXT_PROMPT).fill(text)
    await survey.get_by_role("button", name="Send answers").click()
    await expect(page.locator(".survey-done")).to_contain_text("Done.")


async def downloaded(page: Page, tmp_path: Path) -> dict[str, Any]:
    async with page.expect_download() as download_info:
        await page.get_by_role("button", name="Download my data").click()
    download = await download_info.value
    assert re.fullmatch(r"mentori-my-data-\d{4}-\d\d-\d\d\.json", download.suggested_filename)
    path = tmp_path / download.suggested_filename
    await download.save_as(path)
    data: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    return data
