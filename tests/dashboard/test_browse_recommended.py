"""The student's profile and the mentors recommended from it, in Chromium: a first set-up in
which nothing is chosen for the student, the list ordered by how well each mentor fits them
(and saying why), kept in that order live, and a later edit that says what cannot change."""

from __future__ import annotations

import re

import pytest
from playwright.async_api import Page, expect

from db.models import Role
from tests import factories as f
from tests.clients import Api
from tests.dashboard.conftest import Pages, accessible, screenshot

pytestmark = pytest.mark.browser

NAMES = """() => [...document.querySelectorAll("#results [data-mentor]:not([data-leaving]) h3")]
  .map((heading) => heading.textContent)"""


async def names(page: Page) -> list[str]:
    found: list[str] = await page.evaluate(NAMES)
    return found


async def test_a_student_finds_a_language_among_the_whole_catalogue_with_the_keyboard(
    api: Api, pages: Pages
) -> None:
    await f.programme(api)
    page = await pages.open(api.person(Role.STUDENT, "Sami Student"), "/browse")
    setup = page.locator("#profile-setup")
    await setup.get_by_label("Field of study").focus()
    await page.keyboard.press("Tab")
    find = setup.get_by_role("searchbox", name="Find a language")
    await expect(find).to_be_focused()
    await expect(page.locator("#setup-languages-count")).to_have_text(
        re.compile(r"^1[89]\d languages to choose from\.$")
    )
    await page.keyboard.type("fin")
    await expect(page.locator("#setup-languages-count")).to_have_text(
        re.compile(r"^1 of 1[89]\d languages matches “fin”\.$")
    )
    await page.keyboard.press("Enter")  # does not send the form
    await expect(page.locator("#setup-error")).to_have_text("")
    await page.keyboard.press("Tab")
    finnish = setup.get_by_role("checkbox", name="Finnish")
    await expect(finnish).to_be_focused()
    await page.keyboard.press("Space")
    await expect(finnish).to_be_checked()
    await accessible(page, "profile set-up: a language found by typing")


async def test_a_new_student_chooses_their_studies_and_sees_who_fits_them_first(
    api: Api, pages: Pages
) -> None:
    await f.programme(api)
    await f.mentor(
        api,
        api.person(Role.MENTOR, "Fanny Finance"),
        fields=["Finance"],
        languages=["fi"],
        location="ABROAD",
        remoteOk=False,
    )
    await f.mentor(
        api, api.person(Role.MENTOR, "Sara School"), fields=["Computer Science"], languages=["fi"]
    )
    await f.mentor(
        api, api.person(Role.MENTOR, "Dana Data"), fields=["Data Science"], languages=["en", "fi"]
    )
    sami = api.person(Role.STUDENT, "Sami Student")

    page = await pages.open(sami, "/browse")
    setup = page.locator("#profile-setup")
    await expect(setup.get_by_role("heading")).to_have_text("Tell us about your studies first")
    # Nothing is chosen for the student: no degree level, no field, no language.
    await expect(setup.get_by_role("radio", name="Master's")).not_to_be_checked()
    await expect(setup.get_by_role("radio", name="Doctoral")).not_to_be_checked()
    await expect(setup.get_by_label("Field of study")).to_have_value("")
    await expect(setup.locator("#setup-languages input:checked")).to_have_count(0)
    await accessible(page, "profile set-up")

    # Saved as it is: each question says what it needs, next to it; focus goes to the first.
    await setup.get_by_role("button", name="Save and start looking").press("Enter")
    await expect(page.locator("#setup-error")).to_have_text(
        "Please answer the 3 questions marked below."
    )
    await expect(page.locator("#setup-degree-error")).to_have_text("Choose your degree level.")
    await expect(page.locator("#setup-field-error")).to_have_text("Choose your field of study.")
    await expect(page.locator("#setup-languages-error")).to_have_text(
        "Choose at least one language."
    )
    await expect(setup.get_by_role("radio", name="Master's")).to_be_focused()
    await expect(setup.get_by_label("Field of study")).to_have_attribute("aria-invalid", "true")
    await accessible(page, "profile set-up with errors")
    await screenshot(page, "browse-setup-errors")

    await setup.get_by_role("radio", name="Master's").check()
    await setup.get_by_label("Field of study").select_option(label="Data Science")
    await setup.get_by_role("checkbox", name="English").check()
    await setup.get_by_role("button", name="Save and start looking").click()

    await expect(setup.get_by_role("heading")).to_have_text("Your studies")
    await expect(page.locator("#profile-summary")).to_have_text(
        "Master's student · Data Science · mentored in English"
    )
    await expect(page.get_by_role("heading", name="Recommended for you")).to_be_focused()
    cards = page.locator("#results [data-mentor]")
    dana = cards.filter(has_text="Dana Data")
    await expect(dana.locator(".fit-reasons")).to_have_text(
        "Why: same field: Data Science · mentors in English · lives in Finland · meets remotely"
    )
    assert await names(page) == ["Dana Data", "Sara School", "Fanny Finance"]
    await expect(cards.filter(has_text="Sara School").locator(".fit-reasons")).to_have_text(
        "Why: same school: School of Science · lives in Finland · meets remotely"
    )
    await expect(cards.filter(has_text="Fanny Finance").locator(".fit-reasons")).to_have_count(0)

    # Mentors who publish now take their place in the order: the best fit at the top, one
    # who fits less below those who fit more.
    await f.mentor(
        api, api.person(Role.MENTOR, "Erik English"), fields=["Data Science"], languages=["en"]
    )
    await f.mentor(
        api,
        api.person(Role.MENTOR, "Tove Tallinn"),
        fields=["Marketing"],
        languages=["en"],
        location="ABROAD",
        remoteOk=False,
    )
    await expect(cards).to_have_count(5)
    assert await names(page) == [
        "Dana Data",
        "Erik English",
        "Sara School",
        "Tove Tallinn",
        "Fanny Finance",
    ]
    await accessible(page, "recommended list")
    await screenshot(page, "browse-recommended")

    # The other order is a choice away.
    await page.get_by_label("Order").select_option(label="In the order mentors joined")
    await expect(page.get_by_role("heading", level=2, name="Mentors")).to_be_visible()
    await expect(cards.first).to_contain_text("Fanny Finance")
    assert await names(page) == [
        "Fanny Finance",
        "Sara School",
        "Dana Data",
        "Erik English",
        "Tove Tallinn",
    ]


async def test_a_student_edits_their_studies_and_what_cannot_change_says_why(
    api: Api, pages: Pages
) -> None:
    await f.programme(api)
    _, fanny_id = await f.mentor(
        api, api.person(Role.MENTOR, "Fanny Finance"), fields=["Finance"], languages=["fi"]
    )
    await f.mentor(
        api, api.person(Role.MENTOR, "Dana Data"), fields=["Data Science"], languages=["en"]
    )
    sami = await f.student(
        api, api.person(Role.STUDENT, "Sami Student"), field="Data Science", languages=["en"]
    )

    page = await pages.open(sami, "/browse")
    assert await names(page) == ["Dana Data", "Fanny Finance"]
    setup = page.locator("#profile-setup")
    await expect(setup.locator("#setup-form")).to_be_hidden()
    await setup.get_by_role("button", name="Edit your studies").click()
    # The form shows what was saved.
    await expect(setup.get_by_role("radio", name="Master's")).to_be_checked()
    await expect(setup.get_by_role("checkbox", name="English")).to_be_checked()

    # Meanwhile a request goes out from another tab: the degree level may no longer change;
    # the refusal says why next to it, and the choice is off.
    await f.send(api, sami, fanny_id)
    await setup.get_by_role("radio", name="Doctoral").check()
    await setup.get_by_role("button", name="Save changes").click()
    fixed = (
        "Your degree level cannot change now: a request is waiting for an answer; withdraw it "
        "first."
    )
    await expect(page.locator("#setup-error")).to_have_text("Not saved.")
    await expect(setup.get_by_role("radio", name="Doctoral")).to_be_disabled()
    await expect(setup.get_by_role("radio", name="Master's")).to_be_checked()
    await expect(page.locator("#setup-degree-why")).to_have_text(fixed)
    group = setup.get_by_role("group", name="Degree level")
    await expect(group).to_have_accessible_description(fixed)
    await accessible(page, "profile edit refused")
    await screenshot(page, "browse-profile-edit-refused")

    # What may change does: a finance student now, to whom Fanny fits best.
    await setup.get_by_label("Field of study").select_option(label="Finance")
    await setup.get_by_role("checkbox", name="Finnish").check()
    await setup.get_by_role("button", name="Save changes").click()
    await expect(page.locator("#profile-summary")).to_have_text(
        "Master's student · Finance · mentored in English, Finnish"
    )
    await expect(setup.get_by_role("button", name="Edit your studies")).to_be_focused()
    await expect(page.locator("#results [data-mentor]").first).to_contain_text("Fanny Finance")
    await expect(
        page.locator("#results [data-mentor]").first.locator(".fit-reasons")
    ).to_contain_text("same field: Finance · mentors in Finnish")
