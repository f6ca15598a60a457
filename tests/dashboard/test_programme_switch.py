"""Someone in this year's programme and next year's, in Chromium: the pages open in this year's
and switch to next year's and back."""

from __future__ import annotations

import pytest
from playwright.async_api import Page, expect

from db.models import Role
from tests import factories as f
from tests.clients import Api, Person
from tests.dashboard.conftest import Pages, screenshot
from tests.services.test_own_programme import next_years_programme

pytestmark = pytest.mark.browser


async def switch_to(page: Page, name: str) -> None:
    await page.locator("#programme-select").select_option(label=name)
    await page.wait_for_url("**?programme=*")
    await expect(page.locator("#live-status")).to_have_attribute("data-state", "live")
    await expect(page.locator("main")).to_have_attribute("aria-busy", "false")


async def mentor_profile_in(api: Api, person: Person, programme_id: str, headline: str) -> None:
    fields = await f.field_ids(api, person)
    profile = {
        "headline": headline,
        "professionalBackground": "Ten years of product work.",
        "workingLifeYears": 10,
        "languages": ["en"],
        "degreeLevels": ["MASTERS"],
        "fields": [fields["Computer Science"]],
        "dateOfBirth": f.DATE_OF_BIRTH,
    }
    await api.ok(f.CREATE_MENTOR, {"input": profile, "programmeId": programme_id}, as_=person)


async def test_a_mentor_in_two_programmes_switches_between_their_inboxes(
    api: Api, pages: Pages
) -> None:
    await f.programme(api)
    mentor, mentor_id = await f.mentor(
        api, api.person(Role.MENTOR, "Maija Mentor"), headline="Engineering manager"
    )
    await f.send(api, await f.student(api, api.person(Role.STUDENT, "Sami Student")), mentor_id)
    next_year = await next_years_programme(api)
    await mentor_profile_in(api, mentor, next_year, "Product lead")

    page = await pages.open(mentor, "/mentor")
    select = page.locator("#programme-select")
    await expect(select.locator("option")).to_have_text(["Mentoring 2026", "Mentoring 2027"])
    await expect(select.locator("option:checked")).to_have_text("Mentoring 2026")
    await expect(page.locator("#profile-body")).to_contain_text("Engineering manager")
    await expect(page.locator("#waiting [data-request]")).to_have_count(1)

    await switch_to(page, "Mentoring 2027")
    await expect(page.locator("#profile-body")).to_contain_text("Product lead")
    await expect(page.locator("#profile-body")).to_contain_text("Mentoring 2027")
    await expect(page.locator("#waiting-empty")).to_be_visible()
    await expect(page.locator("#programme-select option:checked")).to_have_text("Mentoring 2027")
    await screenshot(page, "mentor-programme-switch")

    await switch_to(page, "Mentoring 2026")
    await expect(page.locator("#profile-body")).to_contain_text("Engineering manager")
    await expect(page.locator("#waiting [data-request]")).to_have_count(1)


async def test_a_matched_student_in_next_years_programme_too_searches_there(
    api: Api, pages: Pages
) -> None:
    await f.programme(api)
    aino, aino_id = await f.mentor(api, api.person(Role.MENTOR, "Aino Mentor"))
    student = await f.student(api, api.person(Role.STUDENT, "Sami Student"))
    await api.ok(f.ACCEPT, {"id": await f.send(api, student, aino_id)}, as_=aino)
    next_year = await next_years_programme(api, requests=(0, 20))
    bertta = api.person(Role.MENTOR, "Bertta Mentor")
    await mentor_profile_in(api, bertta, next_year, "Designer")
    await api.ok(f.PUBLISH, {"programmeId": next_year}, as_=bertta)
    fields = await f.field_ids(api, student)
    await api.ok(
        f.STUDENT_PROFILE,
        {
            "input": {"degreeLevel": "MASTERS", "field": fields["Design"], "languages": ["en"]},
            "programmeId": next_year,
        },
        as_=student,
    )

    page = await pages.open(student, "/browse", subscriptions=1)  # matched: no search
    await expect(page.locator("#my-request-body")).to_contain_text("Aino Mentor")
    await expect(page.locator("#programme-select option:checked")).to_have_text("Mentoring 2026")

    await switch_to(page, "Mentoring 2027")
    cards = page.locator("#results [data-mentor]:not([data-leaving])")
    await expect(cards).to_have_count(1)
    await expect(cards).to_contain_text("Bertta Mentor")
    await expect(page.locator("#programme-note")).to_contain_text("Mentoring 2027")
    await expect(page.locator("#my-request-body")).not_to_contain_text("Aino Mentor")
    await screenshot(page, "browse-programme-switch")
