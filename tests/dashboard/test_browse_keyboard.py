"""The student's search and request with the keyboard alone, in Chromium: a search that shows
it is running, a request sent with focus kept where the student was (also when the card changes
live), a mentor of another degree level who cannot be asked, and the request dates said in the
right tense when requests are closed."""

from __future__ import annotations

import asyncio
from datetime import timedelta

import pytest
from playwright.async_api import Page, Route, expect

from db.models import Role
from tests import factories as f
from tests.clients import Api
from tests.conftest import START
from tests.dashboard.conftest import Pages, accessible, screenshot

pytestmark = pytest.mark.browser

FOCUSED = """() => {
  const e = document.activeElement;
  return [e.id, e.getAttribute("aria-label") || e.textContent.trim(),
          e.closest("[data-mentor]")?.querySelector("h3")?.textContent || null];
}"""


async def focused(page: Page) -> list[str | None]:
    found: list[str | None] = await page.evaluate(FOCUSED)
    return found


async def tab_to(page: Page, name: str, *, limit: int = 60) -> None:
    """Press Tab until focus is on the control with this id or accessible name."""
    for _ in range(limit):
        await page.keyboard.press("Tab")
        element_id, label, _ = await focused(page)
        if name in (element_id, label):
            return
    raise AssertionError(f"Tab never reached {name!r}")


async def test_a_student_searches_and_asks_with_the_keyboard_alone(api: Api, pages: Pages) -> None:
    await f.programme(api)
    await f.mentor(api, api.person(Role.MENTOR, "Aino Helsinki"), city="Helsinki")
    await f.mentor(api, api.person(Role.MENTOR, "Olli Oulu"), city="Oulu")
    _, bertta_id = await f.mentor(
        api, api.person(Role.MENTOR, "Bertta Oulu"), city="Oulu", capacity=2
    )
    await f.mentor(
        api, api.person(Role.MENTOR, "Dora Doctoral"), city="Oulu", degree_levels=["DOCTORAL"]
    )
    student = await f.student(api, api.person(Role.STUDENT, "Sami Student"))
    others = [await f.student(api) for _ in range(2)]

    page = await pages.open(student, "/browse")
    cards = page.locator("#results [data-mentor]:not([data-leaving])")
    await expect(cards).to_have_count(3)

    # A slow answer: meanwhile the old list is dimmed and busy, and the count says so.
    release = asyncio.Event()

    async def slowly(route: Route) -> None:
        if "query Search" in (route.request.post_data or ""):
            await release.wait()
        await route.continue_()

    await page.route("**/graphql", slowly)
    await tab_to(page, "filter-text")
    await page.keyboard.type("Oulu")
    results = page.locator("#results")
    await expect(results).to_have_attribute("aria-busy", "true")
    await expect(results).to_have_class("cards is-searching")
    await expect(page.locator("#results-count")).to_have_text("Searching…")
    release.set()
    await expect(results).to_have_attribute("aria-busy", "false")
    await expect(page.locator("#results-count")).to_have_text("2 mentors match your search")
    await expect(cards).to_have_count(2)
    await page.unroute("**/graphql")

    # On to Olli's card and ask: Enter opens the message, Tab and Enter send it.
    await tab_to(page, "Send request to Olli Oulu")
    await page.keyboard.press("Enter")
    await expect(page.get_by_label("A short message")).to_be_focused()
    await page.keyboard.type("I would value your view on a career in the north.")
    await tab_to(page, "Send request")
    await page.keyboard.press("Enter")
    mine = page.locator("#my-request-body [data-status=PENDING]")
    await expect(mine).to_contain_text("Olli Oulu")
    # Focus stayed on the card the student asked from, which now says the request is sent.
    assert await focused(page) == ["", "Request sent", "Olli Oulu"]

    # Tab on to Bertta's card; she changes live (two others ask her, so she is busy): the card
    # is drawn anew and focus stays on it.
    await tab_to(page, "Send request to Bertta Oulu")
    await f.send(api, others[0], bertta_id)
    await f.send(api, others[1], bertta_id)
    bertta = cards.filter(has_text="Bertta Oulu")
    await expect(bertta.locator(".badge")).to_have_text("Busy")
    assert await focused(page) == ["", "Busy right now", "Bertta Oulu"]

    # Any degree level: Dora, who takes doctoral students only, is listed last, marked, and
    # cannot be asked; the button says why.
    await tab_to(page, "filter-degree")
    await page.keyboard.press("ArrowUp")
    await expect(page.locator("#filter-degree")).to_have_value("")
    await expect(cards).to_have_count(3)
    dora = cards.last
    await expect(dora).to_contain_text("Dora Doctoral")
    await expect(dora.locator(".other-level")).to_have_text("Not for Master's students")
    ask_dora = dora.get_by_role("button", name="Send request to Dora Doctoral")
    await expect(ask_dora).to_be_disabled()
    await expect(ask_dora).to_have_accessible_description(
        "Takes Doctoral students only; you are a Master's student."
    )
    await accessible(page, "a search listing a mentor of another degree level")
    await screenshot(page, "browse-keyboard")


@pytest.mark.parametrize("when", ["ended", "ahead"])
async def test_outside_the_request_dates_the_page_says_when_and_sending_is_off(
    api: Api, pages: Pages, when: str
) -> None:
    if when == "ended":
        await f.programme(api)
        await f.mentor(api, api.person(Role.MENTOR, "Aino Mentor"))
        api.server.clock.now = START + timedelta(days=25)  # requests closed 5 days ago
        text = "Requests opened on 19 Jan and closed on 11 Feb 2026."
    else:
        await f.programme(api, signup=(-10, 4), requests=(5, 20))
        await f.mentor(api, api.person(Role.MENTOR, "Aino Mentor"))
        text = "Requests open on 27 Jan and close on 11 Feb 2026."
    student = await f.student(api, api.person(Role.STUDENT, "Sami Student"))

    page = await pages.open(student, "/browse")
    await expect(page.locator("#requests-closed")).to_have_text(
        f"{text} You can look at the mentors, but not ask now."
    )
    await expect(page.locator("#programme-note")).to_have_text(f"Mentoring 2026: {text}")
    ask = page.get_by_role("button", name="Send request to Aino Mentor")
    await expect(ask).to_be_disabled()
    await expect(ask).to_have_accessible_description(text)
    await accessible(page, f"requests {when}")
    await screenshot(page, f"browse-requests-{when}")
