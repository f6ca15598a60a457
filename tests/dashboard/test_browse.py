"""The students' mentor search, in Chromium: filters, live availability, and one request at a
time from sending to the mentor's answer."""

from __future__ import annotations

import pytest
from playwright.async_api import expect

from db.models import Role
from tests import factories as f
from tests.dashboard.conftest import PHONE, Pages, screenshot
from tests.support import Api

pytestmark = pytest.mark.browser

MY_REQUESTS = "{ myRequests { status mentor { displayName } } }"


async def test_a_mentor_who_fills_up_leaves_the_list_and_a_busy_one_says_so(
    api: Api, pages: Pages
) -> None:
    await f.programme(api)
    aino, aino_id = await f.mentor(api, api.person(Role.MENTOR, "Aino Mentor"), capacity=1)
    _, bertta_id = await f.mentor(api, api.person(Role.MENTOR, "Bertta Mentor"), capacity=2)
    student = await f.student(api, api.person(Role.STUDENT, "Sami Student"))
    others = [await f.student(api) for _ in range(3)]

    page = await pages.open(student, "/browse")
    cards = page.locator("#results [data-mentor]:not([data-leaving])")
    await expect(cards).to_have_count(2)
    await expect(page.locator("#results-count")).to_have_text("2 mentors match your search")

    # Two requests waiting: Bertta is listed, but busy.
    await f.send(api, others[0], bertta_id)
    await f.send(api, others[1], bertta_id)
    bertta = cards.filter(has_text="Bertta Mentor")
    await expect(bertta.locator(".badge")).to_have_text("Busy")
    await expect(bertta.get_by_role("button", name="Busy right now")).to_be_disabled()

    # Aino accepts someone and is full: she leaves the list.
    request_id = await f.send(api, others[2], aino_id)
    await api.ok(f.ACCEPT, {"id": request_id}, as_=aino)
    await expect(cards).to_have_count(1)
    await expect(cards).to_contain_text("Bertta Mentor")
    await expect(page.locator("#results-count")).to_have_text("1 mentor matches your search")
    await expect(page.locator("#results [data-leaving]")).to_have_count(0)
    await screenshot(page, "browse-live")


async def test_a_student_asks_sees_the_answer_live_and_can_withdraw(api: Api, pages: Pages) -> None:
    await f.programme(api)
    aino, _ = await f.mentor(api, api.person(Role.MENTOR, "Aino Mentor"))
    await f.mentor(api, api.person(Role.MENTOR, "Bertta Mentor"))
    student = await f.student(api, api.person(Role.STUDENT, "Sami Student"))

    page = await pages.open(student, "/browse")
    await page.get_by_role("button", name="Ask Aino Mentor to mentor you").click()
    await page.get_by_label("A short message").fill("I would value your view on data careers.")
    await page.get_by_role("button", name="Send request").click()

    mine = page.locator("#my-request-body")
    await expect(mine.locator("[data-status=PENDING]")).to_contain_text("Aino Mentor")
    bertta = page.locator("#results [data-mentor]", has_text="Bertta Mentor")
    await expect(bertta.get_by_role("button", name="Ask to be mentored")).to_be_disabled()

    inbox = (await api.ok("{ myRequests { id } }", as_=aino))["myRequests"]
    await api.ok(f.REJECT, {"id": inbox[0]["id"], "reason": "My spring is full."}, as_=aino)
    await expect(page.locator("#alerts")).to_contain_text(
        "Aino Mentor declined your request: “My spring is full.”"
    )
    await expect(mine).to_contain_text("You can ask another mentor now.")

    await page.get_by_role("button", name="Ask Bertta Mentor to mentor you").click()
    await page.get_by_role("button", name="Send request").click()
    await expect(mine.locator("[data-status=PENDING]")).to_contain_text("Bertta Mentor")
    await mine.get_by_role("button", name="Withdraw request").click()
    await expect(mine).to_contain_text("Your request to Bertta Mentor ended (withdrawn)")
    statuses = (await api.ok(MY_REQUESTS, as_=student))["myRequests"]
    assert [(r["mentor"]["displayName"], r["status"]) for r in statuses] == [
        ("Bertta Mentor", "WITHDRAWN"),
        ("Aino Mentor", "REJECTED"),
    ]


async def test_filters_narrow_the_list_and_a_new_mentor_who_fits_appears_live(
    api: Api, pages: Pages
) -> None:
    await f.programme(api)
    await f.mentor(
        api,
        api.person(Role.MENTOR, "Aino Helsinki"),
        languages=["fi", "en"],
        fields=["Computer Science"],
        city="Helsinki",
    )
    await f.mentor(
        api,
        api.person(Role.MENTOR, "Sven Oulu"),
        languages=["sv", "en"],
        fields=["Mathematics"],
        city="Oulu",
    )
    student = await f.student(api, api.person(Role.STUDENT, "Sami Student"))

    page = await pages.open(student, "/browse", viewport=PHONE)
    cards = page.locator("#results [data-mentor]")
    await expect(cards).to_have_count(2)

    await page.get_by_label("Language", exact=True).select_option(label="Swedish")
    await expect(cards).to_have_count(1)
    await expect(cards).to_contain_text("Sven Oulu")

    # A Swedish-speaking mentor publishes: they fit the search and appear; a Finnish one does not.
    await f.mentor(api, api.person(Role.MENTOR, "Fanny Finnish"), languages=["fi"])
    await f.mentor(api, api.person(Role.MENTOR, "Stina Swedish"), languages=["sv"])
    await expect(cards).to_have_count(2)
    await expect(cards.filter(has_text="Stina Swedish")).to_have_count(1)

    await page.get_by_role("button", name="Clear").click()
    await expect(cards).to_have_count(4)
    await page.get_by_label("Words in the profile").fill("Oulu")
    await expect(cards).to_have_count(1)
    await expect(cards).to_contain_text("Sven Oulu")
    width = await page.evaluate("document.documentElement.scrollWidth")
    assert width <= PHONE["width"], "the page scrolls sideways on a phone"
    await screenshot(page, "browse-phone")
