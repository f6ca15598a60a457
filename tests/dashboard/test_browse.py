"""The students' mentor search, in Chromium: filters, live availability, and one request at a
time from sending to the mentor's answer."""

from __future__ import annotations

import pytest
from playwright.async_api import expect

from db.models import Role
from tests import factories as f
from tests.clients import Api
from tests.dashboard.conftest import PHONE, Pages, screenshot

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
    await expect(page.locator("#one-at-a-time")).to_be_hidden()
    await page.get_by_role("button", name="Send request to Aino Mentor").click()
    await page.get_by_label("A short message").fill("I would value your view on data careers.")
    await page.get_by_role("button", name="Send request", exact=True).click()

    mine = page.locator("#my-request-body")
    await expect(mine.locator("[data-status=PENDING]")).to_contain_text("Aino Mentor")
    # One request at a time: the search stays, every other "Send request" is off, and says why.
    bertta = page.locator("#results [data-mentor]", has_text="Bertta Mentor")
    send_to_bertta = bertta.get_by_role("button", name="Send request to Bertta Mentor")
    await expect(send_to_bertta).to_be_disabled()
    await expect(send_to_bertta).to_have_accessible_description(
        "One request at a time: yours is waiting."
    )
    await expect(page.locator("#one-at-a-time")).to_have_text(
        "One request at a time. Your request to Aino Mentor is waiting for an answer. "
        "You can ask another mentor once it is answered or you withdraw it."
    )
    await expect(page.get_by_role("search")).to_be_visible()
    await screenshot(page, "browse-pending")

    inbox = (await api.ok("{ myRequests { id } }", as_=aino))["myRequests"]
    await api.ok(f.REJECT, {"id": inbox[0]["id"], "reason": "My spring is full."}, as_=aino)
    await expect(page.locator("#alerts")).to_contain_text(
        "Aino Mentor declined your request: “My spring is full.”"
    )
    await expect(mine).to_contain_text("You can ask another mentor now.")
    await expect(page.locator("#one-at-a-time")).to_be_hidden()

    await send_to_bertta.click()
    await page.get_by_role("button", name="Send request", exact=True).click()
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
        remoteOk=False,
    )
    await f.mentor(
        api,
        api.person(Role.MENTOR, "Sven Oulu"),
        languages=["sv", "en"],
        fields=["Mathematics"],
        city="Oulu",
        remoteOk=False,
    )
    student = await f.student(api, api.person(Role.STUDENT, "Sami Student"))

    page = await pages.open(student, "/browse", viewport=PHONE)
    cards = page.locator("#results [data-mentor]")
    await expect(cards).to_have_count(2)

    # On a phone the filters are folded away first.
    await page.get_by_role("button", name="Show filters").click()
    languages = page.locator("#filter-languages-box")
    await expect(languages.locator("summary")).to_have_text("Languages: Any")
    await languages.locator("summary").click()
    await languages.get_by_role("checkbox", name="Swedish").check()
    await expect(cards).to_have_count(1)
    await expect(cards).to_contain_text("Sven Oulu")
    await expect(languages.locator("summary")).to_have_text("Languages: Swedish")

    # A Swedish-speaking mentor publishes: they fit the search and appear; a Finnish one does not.
    await f.mentor(api, api.person(Role.MENTOR, "Fanny Finnish"), languages=["fi"])
    await f.mentor(api, api.person(Role.MENTOR, "Stina Swedish"), languages=["sv"])
    await expect(cards).to_have_count(2)
    await expect(cards.filter(has_text="Stina Swedish")).to_have_count(1)

    # Ticking another language widens the search to mentors in either.
    await languages.get_by_role("checkbox", name="Finnish").check()
    await expect(cards).to_have_count(4)
    await expect(languages.locator("summary")).to_have_text("Languages: Finnish, Swedish")

    await page.get_by_role("button", name="Clear").click()
    await expect(cards).to_have_count(4)
    await expect(languages.locator("summary")).to_have_text("Languages: Any")
    await page.get_by_label("Words in the profile").fill("Oulu")
    await expect(cards).to_have_count(1)
    await expect(cards).to_contain_text("Sven Oulu")
    width = await page.evaluate("document.documentElement.scrollWidth")
    assert width <= PHONE["width"], "the page scrolls sideways on a phone"
    await screenshot(page, "browse-phone")


async def test_more_filters_find_doctors_abroad_who_meet_remotely_now_and_live(
    api: Api, pages: Pages
) -> None:
    await f.programme(api)
    await f.mentor(api, api.person(Role.MENTOR, "Aino Onsite"), remoteOk=False)
    await f.mentor(api, api.person(Role.MENTOR, "Rami Remote"), remoteOk=True)
    await f.mentor(api, api.person(Role.MENTOR, "Dora Doctor"), remoteOk=True, hasDoctorate=True)
    await f.mentor(
        api,
        api.person(Role.MENTOR, "Berit Berlin"),
        remoteOk=True,
        hasDoctorate=True,
        location="ABROAD",
        city="Berlin",
    )
    student = await f.student(api, api.person(Role.STUDENT, "Sami Student"))

    page = await pages.open(student, "/browse")
    cards = page.locator("#results [data-mentor]")
    await expect(cards).to_have_count(4)

    more = page.locator("#more-filters")
    await more.locator("summary").click()
    await page.get_by_label("Can meet remotely").check()
    await expect(cards).to_have_count(3)
    await expect(cards.filter(has_text="Aino Onsite")).to_have_count(0)
    await page.get_by_label("Holds a doctorate").check()
    await expect(cards).to_have_count(2)
    await page.get_by_label("Lives and works").select_option(label="Abroad")
    await expect(cards).to_have_count(1)
    await expect(cards).to_contain_text("Berit Berlin")
    await screenshot(page, "browse-more-filters")

    # Folded away, the filters still say they are on.
    await more.locator("summary").click()
    await expect(more.locator("summary")).to_have_text("More filters: Abroad, doctorate, remote")

    # The live list uses the same filter: a doctor abroad who meets only in person stays out,
    # one who meets remotely comes in.
    await f.mentor(
        api,
        api.person(Role.MENTOR, "Paul Paris"),
        remoteOk=False,
        hasDoctorate=True,
        location="ABROAD",
    )
    await f.mentor(
        api,
        api.person(Role.MENTOR, "Tove Tallinn"),
        remoteOk=True,
        hasDoctorate=True,
        location="ABROAD",
    )
    await expect(cards).to_have_count(2)
    await expect(cards.filter(has_text="Tove Tallinn")).to_have_count(1)
    await expect(page.locator("#results-count")).to_have_text("2 mentors match your search")


async def test_a_matched_student_sees_their_mentor_instead_of_the_search(
    api: Api, pages: Pages
) -> None:
    await f.programme(api)
    maija, maija_id = await f.mentor(api, api.person(Role.MENTOR, "Maija Mentor"), capacity=2)
    await f.mentor(api, api.person(Role.MENTOR, "Bertta Mentor"))
    student = await f.student(api, api.person(Role.STUDENT, "Sami Student"))
    request_id = await f.send(api, student, maija_id, "Hello Maija!")
    await api.ok(f.ACCEPT, {"id": request_id}, as_=maija)

    # Nothing to search for: the page keeps no live search open.
    page = await pages.open(student, "/browse", subscriptions=1)
    await expect(page.get_by_role("heading", level=1)).to_have_text("Your mentor")
    mentor = page.locator("#my-request-body [data-status=ACCEPTED]")
    await expect(mentor.get_by_role("heading", name="Maija Mentor")).to_be_visible()
    email = mentor.get_by_role("link", name=maija.email)
    await expect(email).to_have_attribute("href", f"mailto:{maija.email}")

    await expect(page.get_by_role("search")).to_have_count(0)
    await expect(page.get_by_text("match your search")).to_have_count(0)
    await expect(page.locator("#search-area")).to_be_hidden()
    await expect(page.locator("#search-closed")).to_contain_text(
        "Each student has one mentor in Mentoring 2026, so you cannot send another request "
        "in this programme."
    )
    await screenshot(page, "browse-matched")
