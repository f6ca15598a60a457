"""Several people at once, in Chromium: one acceptance in the mentor's inbox changes the
student's page and the coordinator's dashboard; a dashboard that lost its connection catches up
with exactly what it missed."""

from __future__ import annotations

import pytest
from playwright.async_api import expect

from db.models import Role
from tests import factories as f
from tests.clients import Api
from tests.dashboard.conftest import Pages, screenshot

pytestmark = [pytest.mark.browser, pytest.mark.embedded]


async def test_accepting_in_the_inbox_updates_the_students_pages_and_the_dashboard(
    api: Api, pages: Pages
) -> None:
    coordinator = api.person(Role.COORDINATOR)
    await f.programme(api, coordinator)
    mentor, mentor_id = await f.mentor(api, api.person(Role.MENTOR, "Maija Mentor"), capacity=1)
    sami = await f.student(api, api.person(Role.STUDENT, "Sami Student"))
    olli = await f.student(api, api.person(Role.STUDENT, "Olli Other"))
    await f.send(api, sami, mentor_id, "Hello Maija!")
    await f.send(api, olli, mentor_id)

    dashboard = await pages.open(coordinator, "/dashboard")
    sami_page = await pages.open(sami, "/browse")
    olli_page = await pages.open(olli, "/browse")
    inbox = await pages.open(mentor, "/mentor")
    await expect(dashboard.locator('[data-stat="requests.pending"]')).to_have_text("2")

    card = inbox.locator("#waiting [data-request]", has_text="Sami Student")
    await card.get_by_role("button", name="Accept").click()

    # The mentor sees the mentee's contact details, and has no place left.
    mentee = inbox.locator("#mentees [data-request]")
    await expect(mentee).to_contain_text("Sami Student")
    await expect(mentee.get_by_role("link", name=sami.email)).to_be_visible()
    await expect(inbox.locator("#capacity")).to_contain_text("0 places left")

    # Sami learns at once, with the mentor's email; Olli's request closed, the mentor is gone.
    accepted = sami_page.locator("#my-request-body [data-status=ACCEPTED]")
    await expect(accepted).to_contain_text("Maija Mentor")
    await expect(accepted.get_by_role("link", name=mentor.email)).to_be_visible()
    await expect(sami_page.get_by_role("heading", level=1)).to_have_text("Your mentor")
    await expect(sami_page.get_by_role("search")).to_have_count(0)  # replaced by why
    await expect(sami_page.locator("#search-closed")).to_be_visible()
    await expect(olli_page.locator("#alerts")).to_contain_text("Maija Mentor's places filled up")
    await expect(olli_page.locator("#results [data-mentor]:not([data-leaving])")).to_have_count(0)

    # The coordinator's counters and feed follow.
    await expect(dashboard.locator('[data-stat="matches"]')).to_have_text("1")
    await expect(dashboard.locator('[data-stat="requests.pending"]')).to_have_text("0")
    await expect(dashboard.locator('[data-stat="mentors.full"]')).to_have_text("1")
    await expect(dashboard.locator("#feed li[data-kind=REQUEST_ACCEPTED]")).to_contain_text(
        "Maija Mentor accepted Sami Student's request"
    )
    await expect(dashboard.locator("#pending-empty")).to_be_visible()
    await screenshot(inbox, "mentor-accepted")
    await screenshot(sami_page, "browse-accepted")


async def test_the_dashboard_catches_up_after_a_network_drop(api: Api, pages: Pages) -> None:
    coordinator = api.person(Role.COORDINATOR)
    await f.programme(api, coordinator)
    _, mentor_id = await f.mentor(api, api.person(Role.MENTOR, "Maija Mentor"), capacity=2)
    students = [await f.student(api, api.person(Role.STUDENT, f"Student {n}")) for n in (1, 2)]

    page = await pages.open(coordinator, "/dashboard")
    feed = page.locator("#feed li")
    await expect(feed).not_to_have_count(0)
    before = len(await feed.all())

    await page.context.set_offline(True)
    await expect(page.locator("#live-status")).to_have_attribute("data-state", "offline")
    first = await f.send(api, students[0], mentor_id)
    await f.send(api, students[1], mentor_id)
    await api.ok(f.WITHDRAW, {"id": first}, as_=students[0])
    await page.context.set_offline(False)

    await expect(page.locator("#live-status")).to_have_attribute("data-state", "live")
    await expect(page.locator("#feed li[data-kind=REQUEST_WITHDRAWN]")).to_have_count(1)
    await expect(page.locator("#feed li[data-kind=REQUEST_SENT]")).to_have_count(2)
    await expect(page.locator('[data-stat="requests.pending"]')).to_have_text("1")
    await expect(page.locator("#pending tbody tr")).to_contain_text("Student 2")

    seqs = [int(s) for s in await feed.evaluate_all("items => items.map(i => i.dataset.seq)")]
    assert len(seqs) > before
    assert len(set(seqs)) == len(seqs), "an event shows twice"
    assert sorted(seqs) == list(range(min(seqs), max(seqs) + 1)), "an event is missing"
    await screenshot(page, "dashboard-after-reconnect")
