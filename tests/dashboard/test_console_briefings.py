"""The console's briefings, in Chromium: a coordinator schedules sessions, changes them, sees
people sign up as they do, and exports the list for a spreadsheet set up for Finnish."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import pytest
from playwright.async_api import Page, expect

from db.models import Role
from tests import factories as f
from tests.clients import Api
from tests.dashboard.conftest import PHONE, Pages, accessible, screenshot

SIGN_UP = "mutation($id: ID!) { signUpForBriefing(briefingId: $id) { signedUpCount } }"
SESSIONS = "{ briefingSessions { id audience startsAt capacity place onlineUrl } }"


async def schedule(page: Page, *, audience: str, starts: str, capacity: str, **where: str) -> None:
    await page.get_by_role("button", name="Schedule a session").click()
    dialog = page.get_by_role("dialog", name="Schedule a briefing session")
    await expect(dialog).to_be_visible()
    await expect(dialog.get_by_label("For")).to_be_focused()
    await dialog.get_by_label("For").select_option(label=audience)
    await dialog.get_by_label("Starts").fill(starts)
    await dialog.get_by_label("Capacity (people)").fill(capacity)
    if "place" in where:
        await dialog.get_by_label("Place").fill(where["place"])
    if "link" in where:
        await dialog.get_by_label("Online link").fill(where["link"])
    await dialog.get_by_role("button", name="Schedule").click()
    await expect(dialog).to_be_hidden()


@pytest.mark.browser
async def test_a_coordinator_schedules_sessions_and_watches_people_sign_up(
    api: Api, pages: Pages, tmp_path: Path
) -> None:
    coordinator = api.person(Role.COORDINATOR)
    await f.programme(api, coordinator)
    mentor, _ = await f.mentor(api, api.person(Role.MENTOR, "Maija Mäkelä"))
    student = await f.student(api, api.person(Role.STUDENT, "Sami Student"))

    page = await pages.open(coordinator, "/dashboard/briefings")
    await expect(page.locator("#programme-name")).to_have_text("Mentoring 2026")
    await expect(page.locator('.console-nav a[aria-current="page"]')).to_have_text("Briefings")
    await expect(page.locator("#sessions-empty")).to_be_visible()
    await expect(page.locator("#signups-empty")).to_be_visible()
    await accessible(page, "briefings, none scheduled")

    # The form is refused as the API refuses it, in the API's words.
    await page.get_by_role("button", name="Schedule a session").click()
    dialog = page.get_by_role("dialog")
    await dialog.get_by_label("Starts").fill("2026-02-02T16:00")
    await accessible(page, "briefings, the schedule dialog open")
    await dialog.get_by_role("button", name="Schedule").click()
    await expect(dialog.locator("#briefing-error")).to_have_text(
        "Say where the briefing is: a place, an online link, or both."
    )
    await page.keyboard.press("Escape")
    await expect(dialog).to_be_hidden()
    await expect(page.get_by_role("button", name="Schedule a session")).to_be_focused()

    await schedule(
        page,
        audience="Mentors (online)",
        starts="2026-02-02T16:00",
        capacity="20",
        link="https://meet.example.edu/mentors",
    )
    await schedule(
        page,
        audience="Students (on campus)",
        starts="2026-02-03T14:00",
        capacity="1",
        place="Main building, hall 3",
    )
    rows = page.locator("#sessions tbody tr")
    await expect(rows).to_have_count(2)
    await expect(rows.nth(0)).to_contain_text("Mentors (online)")
    await expect(rows.nth(0)).to_contain_text("0 / 20")
    sessions = {
        s["audience"]: s for s in (await api.ok(SESSIONS, as_=coordinator))["briefingSessions"]
    }
    # 16:00 in Helsinki is 14:00 UTC in winter, whatever the browser's time zone.
    assert sessions["MENTORS"]["startsAt"] == "2026-02-02T14:00:00+00:00"
    assert sessions["STUDENTS"]["place"] == "Main building, hall 3"

    # People sign up elsewhere; the page follows.
    await api.ok(SIGN_UP, {"id": sessions["MENTORS"]["id"]}, as_=mentor)
    await api.ok(SIGN_UP, {"id": sessions["STUDENTS"]["id"]}, as_=student)
    await expect(rows.nth(0)).to_contain_text("1 / 20")
    await expect(rows.nth(1)).to_contain_text("1 / 1")
    await expect(rows.nth(1)).to_contain_text("Full")
    signups = page.locator("#signups tbody tr")
    await expect(signups).to_have_count(2)
    await expect(signups.nth(0)).to_contain_text("Maija Mäkelä")
    await expect(signups.nth(1)).to_contain_text("Sami Student")
    await accessible(page, "briefings, sessions and sign-ups")
    await screenshot(page, "console-briefings")

    # Lowering a capacity below who signed up: refused with the API's sentence.
    await rows.nth(1).get_by_role("button").click()
    dialog = page.get_by_role("dialog", name="Change the briefing session")
    await expect(dialog.get_by_label("Starts")).to_have_value("2026-02-03T14:00")
    await dialog.get_by_label("Place").fill("Main building, hall 5")
    await dialog.get_by_role("button", name="Save changes").click()
    await expect(dialog).to_be_hidden()
    await expect(rows.nth(1)).to_contain_text("hall 5")

    # The export, semicolon-separated, with a byte order mark for Excel.
    await page.get_by_label("CSV columns separated by").select_option(";")
    async with page.expect_download() as download_info:
        await page.get_by_role("button", name="Export sign-ups (CSV)").click()
    download = await download_info.value
    path = tmp_path / download.suggested_filename
    await download.save_as(path)
    raw = path.read_bytes()
    assert raw.startswith("\ufeff".encode())
    exported = list(csv.DictReader(io.StringIO(raw.decode("utf-8-sig")), delimiter=";"))
    assert [(r["Name"], r["Role"], r["For"]) for r in exported] == [
        ("Maija Mäkelä", "Mentor", "Mentors (online)"),
        ("Sami Student", "Student", "Students (on campus)"),
    ]
    assert "@" not in raw.decode("utf-8-sig")

    phone = await pages.open(coordinator, "/dashboard/briefings", viewport=PHONE)
    await expect(phone.locator("#signups tbody tr")).to_have_count(2)
    width = await phone.evaluate("document.documentElement.scrollWidth")
    assert width <= PHONE["width"], "the briefings page scrolls sideways on a phone"
    await accessible(phone, "briefings on a phone")
    await screenshot(phone, "console-briefings-phone")


@pytest.mark.browser
async def test_capacity_below_the_sign_ups_is_refused_in_the_apis_words(
    api: Api, pages: Pages
) -> None:
    coordinator = api.person(Role.COORDINATOR)
    await f.programme(api, coordinator)
    mentors = [(await f.mentor(api))[0] for _ in range(2)]
    created = await api.ok(
        """mutation { createBriefingSession(input: {audience: MENTORS,
           startsAt: "2026-02-02T16:00:00+02:00", capacity: 5, onlineUrl: "https://m.example.edu"})
           { id } }""",
        as_=coordinator,
    )
    for mentor in mentors:
        await api.ok(SIGN_UP, {"id": created["createBriefingSession"]["id"]}, as_=mentor)

    page = await pages.open(coordinator, "/dashboard/briefings")
    row = page.locator("#sessions tbody tr")
    await expect(row).to_contain_text("2 / 5")
    await row.get_by_role("button", name="Change").click()
    dialog = page.get_by_role("dialog", name="Change the briefing session")
    await dialog.get_by_label("Capacity (people)").fill("1")
    await dialog.get_by_role("button", name="Save changes").click()
    await expect(dialog.locator("#briefing-error")).to_have_text(
        "2 people have signed up; capacity cannot go below that."
    )
    await expect(dialog).to_be_visible()
    await accessible(page, "briefings, a refusal in the dialog")
