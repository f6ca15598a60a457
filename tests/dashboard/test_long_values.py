"""Long names, headlines, messages and emails, on a phone, in Chromium: they wrap inside their
cards, and no page scrolls sideways."""

from __future__ import annotations

import pytest
from playwright.async_api import Page, expect

from db.models import Role
from tests import factories as f
from tests.clients import Api, Person
from tests.dashboard.conftest import PHONE, Pages, screenshot

pytestmark = pytest.mark.browser

MENTOR_EMAIL = "maximilian.vanhatalo-lindqvist.alumni2009@consulting-partners.example.com"
MATCHED_EMAIL = "johanna.miettinen168@students.example.edu"
WAITING_EMAIL = "kristiina.pelkonen-vaisanen.oksanen-heikkila@students.example.edu"
HEADLINE = "Principal-Software-Architect/Head-of-Data-Platform-Engineering@Kone-International"
MESSAGE = "https://www.example.edu/portfolio/kristiina/projects/data-visualisation-thesis-final"

# Text in a card whose box reaches past the card's edge (what "overflows its card" looks like).
OVERFLOWING = """() => [...document.querySelectorAll(
    "main a, main h1, main h2, main h3, main p, main dd, main td, main blockquote, main summary"
  )]
  .filter((el) => el.checkVisibility() && el.closest(".card"))
  .filter((el) => {
    const box = el.getBoundingClientRect();
    const card = el.closest(".card").getBoundingClientRect();
    return box.right > card.right + 0.5 || box.left < card.left - 0.5;
  })
  .map((el) => el.textContent.trim().slice(0, 80))"""


def person(api: Api, role: Role, name: str, email: str) -> Person:
    """Someone whose sign-in gives a long email (the contact email it starts with)."""
    return api.person(role, name, email=email)


async def fits_a_phone(page: Page, name: str) -> None:
    await screenshot(page, name)
    scroll, client = await page.evaluate(
        "[document.documentElement.scrollWidth, document.documentElement.clientWidth]"
    )
    assert scroll <= client, f"{name}: the page scrolls sideways ({scroll} > {client} px)"
    assert await page.evaluate(OVERFLOWING) == [], f"{name}: text overflows its card"


async def test_long_names_headlines_and_emails_wrap_on_a_phone(api: Api, pages: Pages) -> None:
    coordinator = api.person(Role.COORDINATOR)
    await f.programme(api, coordinator)
    mentor, mentor_id = await f.mentor(
        api,
        person(api, Role.MENTOR, "Maximilian Vanhatalo-Lindqvist-Järvenpää", MENTOR_EMAIL),
        capacity=2,
        headline=HEADLINE,
        city="Kaukajärvi-Hervanta-Lukonmäki-Hallila-Vuores-Lakalaiva",
    )
    matched = await f.student(
        api, person(api, Role.STUDENT, "Johanna Miettinen-Vanhatalo-Hyvönen", MATCHED_EMAIL)
    )
    waiting = await f.student(
        api, person(api, Role.STUDENT, "Kristiina Pelkonen-Väisänen-Oksanen", WAITING_EMAIL)
    )
    request_id = await f.send(api, matched, mentor_id, MESSAGE)
    await api.ok(f.ACCEPT, {"id": request_id}, as_=mentor)
    await f.send(api, waiting, mentor_id, MESSAGE)

    # The mentor: a mentee's long email, and a waiting request with a long link in it.
    inbox = await pages.open(mentor, "/mentor", viewport=PHONE)
    await expect(inbox.locator("#mentees").get_by_role("link", name=MATCHED_EMAIL)).to_be_visible()
    await expect(inbox.locator("#waiting [data-request]")).to_contain_text(MESSAGE)
    await fits_a_phone(inbox, "phone-mentor-long-values")

    # The matched student: the mentor's long email, large.
    mine = await pages.open(matched, "/browse", viewport=PHONE, subscriptions=1)
    await expect(mine.get_by_role("link", name=MENTOR_EMAIL)).to_be_visible()
    await fits_a_phone(mine, "phone-browse-matched-long-values")

    # The waiting student: the mentor's card with its long headline.
    search = await pages.open(waiting, "/browse", viewport=PHONE)
    await expect(search.locator("#results [data-mentor]")).to_contain_text(HEADLINE)
    await fits_a_phone(search, "phone-browse-long-values")

    # The coordinator: long names in the pending requests and the live feed.
    dashboard = await pages.open(coordinator, "/dashboard", viewport=PHONE)
    await expect(dashboard.locator("#pending tbody tr")).to_contain_text("Kristiina Pelkonen")
    await expect(dashboard.locator("#feed li[data-kind=REQUEST_ACCEPTED]")).to_contain_text(
        "Johanna Miettinen-Vanhatalo-Hyvönen"
    )
    await fits_a_phone(dashboard, "phone-dashboard-long-values")
