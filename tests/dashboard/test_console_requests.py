"""The console's Requests and matches section, in Chromium: lists filtered by status, age, the
student's field and language, page by page; a stale request one click from stepping in, from
this section and from the overview's pending list."""

from __future__ import annotations

import re

import pytest
from playwright.async_api import expect

from db.models import Role
from tests import factories as f
from tests.clients import Api
from tests.dashboard.conftest import PHONE, Pages, accessible, screenshot

MATCHES = "{ matches { totalCount edges { node { student { displayName } } } } }"


@pytest.mark.browser
async def test_filters_find_the_stale_request_and_one_click_steps_in(
    api: Api, pages: Pages
) -> None:
    coordinator = api.person(Role.COORDINATOR)
    await f.programme(api, coordinator)  # requests lapse after 72 hours, reminded 24 before
    _, mentor_id = await f.mentor(api, api.person(Role.MENTOR, "Maija Mentor"), capacity=2)
    _, other_id = await f.mentor(
        api, api.person(Role.MENTOR, "Matti Maths"), fields=["Mathematics"]
    )
    early = await f.student(api, api.person(Role.STUDENT, "Eeva Early"), languages=["fi"])
    await f.send(api, early, mentor_id)
    api.server.clock.advance(hours=50)
    late = await f.student(api, api.person(Role.STUDENT, "Lauri Late"), field="Mathematics")
    await f.send(api, late, other_id)

    page = await pages.open(coordinator, "/dashboard/requests")
    rows = page.locator("#requests tbody tr")
    await expect(rows).to_have_count(2)
    stale = rows.filter(has_text="Eeva Early")
    await expect(stale).to_contain_text("Stale")
    await expect(rows.filter(has_text="Lauri Late")).not_to_contain_text("Stale")
    await expect(page.locator("#matches-empty")).to_be_visible()
    await accessible(page, "requests, two requests and no match")

    await page.get_by_label("Sent").select_option(label="More than 2 days ago")
    await expect(rows).to_have_count(1)
    await expect(rows).to_contain_text("Eeva Early")
    await page.get_by_label("Sent").select_option("")
    await page.get_by_label("Student's field").select_option(label="Mathematics")
    await expect(rows).to_have_count(1)
    await expect(rows).to_contain_text("Lauri Late")
    await page.get_by_label("Student's field").select_option("")
    await page.get_by_label("Student's language").select_option(label="Finnish")
    await expect(rows).to_have_count(1)
    await expect(rows).to_contain_text("Eeva Early")
    await page.get_by_label("Status").select_option(label="Expired")
    await expect(page.locator("#requests-empty")).to_be_visible()
    await accessible(page, "requests, nothing matches the filters")
    await page.get_by_label("Status").select_option("PENDING")
    await page.get_by_label("Student's language").select_option("")
    await expect(rows).to_have_count(2)

    # One click from the stale request to stepping in.
    await stale.get_by_role("button", name="Step in").click()
    dialog = page.get_by_role("dialog", name="Step in on this request")
    await dialog.get_by_label("Accept on the mentor's behalf").check()
    await dialog.get_by_role("button", name="Step in").click()
    await expect(page.locator(".alert-success")).to_contain_text(
        "Eeva Early's request to Maija Mentor is now accepted."
    )
    await expect(rows).to_have_count(1)  # pending only: Eeva's is no longer
    await expect(page.locator("#matches tbody tr")).to_contain_text("Eeva Early")
    matches = await api.ok(MATCHES, as_=coordinator)
    assert matches["matches"]["totalCount"] == 1
    await screenshot(page, "console-requests")

    # The overview's pending list links to the request behind it, the step already open.
    overview = await pages.open(coordinator, "/dashboard")
    pending = overview.locator("#pending tbody tr", has_text="Lauri Late")
    await pending.get_by_role("link", name="Step in").click()
    dialog = overview.get_by_role("dialog", name="Step in on this request")
    await expect(dialog).to_contain_text("Lauri Late asked Matti Maths; pending.")
    await expect(overview.get_by_label("Status")).to_have_value("PENDING")
    await dialog.get_by_label("Withdraw on the student's behalf").check()
    await dialog.get_by_role("button", name="Step in").click()
    await expect(overview.locator(".alert-success")).to_contain_text("is now withdrawn.")
    await expect(overview.locator("#requests-empty")).to_be_visible()


@pytest.mark.browser
async def test_the_overviews_pending_by_age_chart_opens_the_requests_behind_each_bar(
    api: Api, pages: Pages
) -> None:
    coordinator = api.person(Role.COORDINATOR)
    await f.programme(api, coordinator)  # requests lapse after 72 hours
    waited = {"Aino Ancient": 60, "Bruno Before": 30, "Cilla Current": 0}
    for number, (name, hours_ago) in enumerate(waited.items()):
        _, mentor_id = await f.mentor(api, api.person(Role.MENTOR, f"Mentor {number}"))
        student = await f.student(api, api.person(Role.STUDENT, name))
        await f.send(api, student, mentor_id)
        later = list(waited.values())[number + 1] if number + 1 < len(waited) else 0
        api.server.clock.advance(hours=hours_ago - later)

    page = await pages.open(coordinator, "/dashboard")
    chart = page.get_by_role("figure", name="How long they have waited")
    bars = chart.get_by_role("link")
    await expect(bars).to_have_text(
        [
            "All pending: 3 waiting",
            "More than a day: 2 waiting",
            "More than 2 days: 1 waiting",
            "More than 3 days: 0 waiting",
            "More than a week: 0 waiting",
        ]
    )
    await accessible(page, "the overview's pending requests by age")
    await screenshot(page, "dashboard-pending-by-age")

    await bars.filter(has_text="More than 2 days").click()
    await expect(page).to_have_url(re.compile(r"/dashboard/requests\?.*age=48"))
    await expect(page.get_by_label("Sent")).to_have_value("48")
    await expect(page.get_by_label("Status")).to_have_value("PENDING")
    rows = page.locator("#requests tbody tr")
    await expect(rows).to_have_count(1)
    await expect(rows).to_contain_text("Aino Ancient")

    await page.go_back()
    await bars.filter(has_text="More than a day").click()
    await expect(rows).to_have_count(2)
    await expect(rows.filter(has_text="Cilla Current")).to_have_count(0)


@pytest.mark.browser
async def test_a_long_list_comes_page_by_page_on_a_laptop_and_a_phone(
    api: Api, pages: Pages
) -> None:
    coordinator = api.person(Role.COORDINATOR)
    await f.programme(api, coordinator)
    mentors = [
        (await f.mentor(api, api.person(Role.MENTOR, f"Mentor {n}"), capacity=2))[1]
        for n in range(14)
    ]
    for n in range(27):
        student = await f.student(api, api.person(Role.STUDENT, f"Student {n:02d}"))
        await f.send(api, student, mentors[n // 2])

    page = await pages.open(coordinator, "/dashboard/requests")
    rows = page.locator("#requests tbody tr")
    await expect(rows).to_have_count(25)
    await expect(page.locator("#requests-count")).to_have_text("25 of 27")
    await expect(rows.first).to_contain_text("Student 00")
    await accessible(page, "requests, a full page")
    await page.get_by_role("button", name="Show more").first.click()
    await expect(rows).to_have_count(27)
    await expect(rows.last).to_contain_text("Student 26")
    await expect(page.locator("#requests-more")).to_be_hidden()

    phone = await pages.open(coordinator, "/dashboard/requests", viewport=PHONE)
    await expect(phone.locator("#requests tbody tr")).to_have_count(25)
    width = await phone.evaluate("document.documentElement.scrollWidth")
    assert width <= PHONE["width"], "the requests section scrolls sideways on a phone"
    await accessible(phone, "requests on a phone")
    await screenshot(phone, "console-requests-phone")
