"""The coordinator dashboard, in Chromium: counters, charts, ageing requests, the event feed and
the exports follow changes made elsewhere, without a reload."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import pytest
from playwright.async_api import Locator, Page, expect

from app import demo
from db.models import Role
from tests import factories as f
from tests.clients import Api
from tests.dashboard.conftest import PHONE, Pages, screenshot

PENDING_AND_MATCHES = """query {
  requests(filter: { statuses: [PENDING] }) { totalCount }
  matches { totalCount }
  programmeStats { mentors { available } students { unmatched } }
}"""


def stat(page: Page, name: str) -> Locator:
    return page.locator(f'[data-stat="{name}"]')


@pytest.mark.browser
async def test_a_request_sent_elsewhere_shows_in_counters_table_chart_and_feed(
    api: Api, pages: Pages
) -> None:
    coordinator = api.person(Role.COORDINATOR)
    await f.programme(api, coordinator)
    _, mentor_id = await f.mentor(api, api.person(Role.MENTOR, "Maija Mentor"), capacity=1)
    student = await f.student(api, api.person(Role.STUDENT, "Sami Student"))

    page = await pages.open(coordinator, "/dashboard")
    await expect(page.locator("#programme-name")).to_have_text("Mentoring 2026")
    await expect(page.locator(".phase.is-open").first).to_contain_text("Mentor sign-up")
    await expect(stat(page, "mentors.available")).to_have_text("1")
    await expect(stat(page, "requests.pending")).to_have_text("0")
    await expect(page.locator("#pending-empty")).to_be_visible()

    await f.send(api, student, mentor_id, "Could you mentor me?")

    await expect(stat(page, "requests.pending")).to_have_text("1")
    await expect(stat(page, "students.pending")).to_have_text("1")
    row = page.locator("#pending tbody tr")
    await expect(row).to_have_count(1)
    await expect(row).to_contain_text("Sami Student")
    await expect(row).to_contain_text("Maija Mentor")
    await expect(page.locator("#feed li[data-kind=REQUEST_SENT]")).to_contain_text(
        "Sami Student asked Maija Mentor"
    )

    # A student in a field no mentor covers: the field chart marks the gap.
    await f.student(api, api.person(Role.STUDENT, "Mia Maths"), field="Mathematics")
    short = page.locator("#chart-fields g.is-short", has_text="Mathematics")
    await expect(short).to_contain_text("short 1")
    await expect(stat(page, "students.total")).to_have_text("2")
    await screenshot(page, "dashboard-small-programme")


@pytest.mark.browser
async def test_exports_list_matches_and_unmatched_students_without_emails(
    api: Api, pages: Pages, tmp_path: Path
) -> None:
    coordinator = api.person(Role.COORDINATOR)
    await f.programme(api, coordinator)
    mentor, mentor_id = await f.mentor(api, api.person(Role.MENTOR, "Maija Mentor"))
    matched = await f.student(api, api.person(Role.STUDENT, "Sami Matched"))
    await f.student(api, api.person(Role.STUDENT, "Ulla Unmatched"), field="Mathematics")
    request_id = await f.send(api, matched, mentor_id)
    await api.ok(f.ACCEPT, {"id": request_id}, as_=mentor)

    page = await pages.open(coordinator, "/dashboard")
    await expect(stat(page, "matches")).to_have_text("1")

    async def export(button: str) -> list[dict[str, str]]:
        async with page.expect_download() as download_info:
            await page.locator(button).click()
        download = await download_info.value
        path = tmp_path / download.suggested_filename
        await download.save_as(path)
        text = path.read_text(encoding="utf-8-sig")
        assert "@" not in text  # contact emails are private, even to the export
        return list(csv.DictReader(io.StringIO(text)))

    matches = await export("#export-matches")
    assert [(m["Mentor"], m["Student"]) for m in matches] == [("Maija Mentor", "Sami Matched")]
    unmatched = await export("#export-unmatched")
    assert [(s["Student"], s["Field"]) for s in unmatched] == [("Ulla Unmatched", "Mathematics")]


@pytest.mark.browser
async def test_a_busy_programme_reads_at_a_glance_on_a_laptop_and_a_phone(
    api: Api, pages: Pages
) -> None:
    server = api.server
    await demo.seed(server.app.state.sessions, mentors=120, students=360, now=server.clock())
    coordinator = api.person(Role.COORDINATOR)
    truth = await api.ok(PENDING_AND_MATCHES, as_=coordinator)

    page = await pages.open(coordinator, "/dashboard")
    await expect(stat(page, "requests.pending")).to_have_text(str(truth["requests"]["totalCount"]))
    await expect(stat(page, "matches")).to_have_text(str(truth["matches"]["totalCount"]))
    await expect(page.locator("#pending tbody tr")).to_have_count(10)

    # A newcomer on each side meets at once, while the coordinator watches.
    mentor, mentor_id = await f.mentor(api, api.person(Role.MENTOR, "Maija Mentor"))
    student = await f.student(api, api.person(Role.STUDENT, "Sami Student"))
    request_id = await f.send(api, student, mentor_id)
    await api.ok(f.ACCEPT, {"id": request_id}, as_=mentor)
    await expect(stat(page, "matches")).to_have_text(str(truth["matches"]["totalCount"] + 1))
    await expect(page.locator("#feed li[data-kind=REQUEST_ACCEPTED]")).to_contain_text(
        "Maija Mentor accepted Sami Student's request"
    )
    sent = await page.locator("#pending tbody tr").evaluate_all(
        "rows => rows.map(row => Date.parse(row.dataset.created))"
    )
    assert sent == sorted(sent), "the longest waiting request is not first"
    await screenshot(page, "dashboard")

    phone = await pages.open(coordinator, "/dashboard", viewport=PHONE)
    await expect(phone.locator("#pending tbody tr")).to_have_count(10)
    await expect(stat(phone, "matches")).to_have_text(str(truth["matches"]["totalCount"] + 1))
    width = await phone.evaluate("document.documentElement.scrollWidth")
    assert width <= PHONE["width"], "the dashboard scrolls sideways on a phone"
    await screenshot(phone, "dashboard-phone")


async def test_only_coordinators_list_unmatched_students(api: Api) -> None:
    coordinator = api.person(Role.COORDINATOR)
    await f.programme(api, coordinator)
    student = await f.student(api, api.person(Role.STUDENT, "Ulla Unmatched"))
    query = "{ unmatchedStudents { totalCount edges { node { displayName contactEmail } } } }"

    listed = (await api.ok(query, as_=coordinator))["unmatchedStudents"]
    assert listed == {
        "totalCount": 1,
        "edges": [{"node": {"displayName": "Ulla Unmatched", "contactEmail": None}}],
    }
    refused = await api.error(query, as_=student)
    assert refused["extensions"]["code"] == "FORBIDDEN"
