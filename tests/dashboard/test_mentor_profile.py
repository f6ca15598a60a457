"""The mentor's sign-up and profile page, in Chromium: a new mentor fills in every field, is told
by the API what is still wrong as they type, previews the card students will see, saves a
draft and publishes; the sign-up window is said plainly; taking the profile off the list, or
taking fewer mentees, asks first and tells the students waiting."""

from __future__ import annotations

import re
from datetime import date

import pytest
from playwright.async_api import Locator, Page, expect

from db.models import Role
from tests import factories as f
from tests.clients import Api, Person
from tests.dashboard.conftest import LAPTOP, PHONE, Pages, accessible, screenshot

pytestmark = pytest.mark.browser

MINE = "{ myMentorProfile { status capacity workingLifeYears contactEmail identityDateHeld } }"
BORN = date(1961, 7, 29)
# The date of birth as a page might write it, and its year alone (rule 2: never shown).
BORN_AS = [BORN.isoformat(), BORN.strftime("%d.%m.%Y"), "29.7.1961", "29 Jul 1961", "1961"]
MY_REQUESTS = "{ myRequests { status reason } }"
LISTED = "{ mentors { edges { node { displayName headline workingLifeYears } } } }"
UPDATE_PROGRAMME = """mutation($id: ID!, $input: UpdateProgrammeInput!) {
  updateProgramme(id: $id, input: $input) { id }
}"""


async def accessible_at_both_sizes(page: Page, state: str) -> None:
    """axe-core finds nothing serious at a phone's width and at a laptop's."""
    await page.set_viewport_size(PHONE)  # type: ignore[arg-type]
    await accessible(page, f"{state}, phone")
    await page.set_viewport_size(LAPTOP)  # type: ignore[arg-type]
    await accessible(page, f"{state}, laptop")


async def open_profile_page(pages: Pages, mentor: Person) -> Page:
    return await pages.open(mentor, "/mentor/profile")


async def choose(page: Page, kind: str, typed: str, name: str) -> None:
    """Find a language or a field by typing, then tick it."""
    await page.get_by_label(f"Find a {kind}").fill(typed)
    await page.locator(f"#{kind}s-list").get_by_label(name, exact=True).check()


def error_of(page: Page, field: str) -> Locator:
    """What the page says next to a field."""
    return page.locator(f"#{field}-error")


async def test_a_new_mentor_signs_up_fixes_what_the_api_says_previews_and_publishes(
    api: Api, pages: Pages
) -> None:
    await f.programme(api)
    mentor = api.person(Role.MENTOR, "Maija Mentor")

    inbox = await pages.open(mentor, "/mentor")
    await inbox.get_by_role("link", name="Create your profile").click()
    page = inbox
    await expect(page).to_have_url(re.compile(r"/mentor/profile$"))
    await expect(page.locator("#live-status")).to_have_attribute("data-state", "live")
    await expect(page.locator("main")).to_have_attribute("aria-busy", "false")
    await expect(page.locator("#signup-window")).to_contain_text(
        "Mentor sign-up for Mentoring 2026 is open until"
    )
    await expect(page.get_by_label("Your name, as students see it")).to_have_value("Maija Mentor")
    await accessible_at_both_sizes(page, "empty form")

    await page.get_by_label("Headline").fill("Product lead in fintech")
    await page.get_by_label("Educational background").fill("M.Sc. (Tech.), Aalto University")
    await page.get_by_label("Professional background").fill("Fifteen years in product work.")
    await page.get_by_label("Career experience").fill("Built and led two product teams.")
    await page.get_by_label("Years of working life").fill("2")
    # The API's own sentence, next to the field it is about, as the mentor types.
    years = page.get_by_label("Years of working life")
    await expect(error_of(page, "workingLifeYears")).to_have_text(
        "Publishing needs at least 4 years of working life."
    )
    await expect(years).to_have_accessible_description(
        re.compile("Publishing needs at least 4 years of working life")
    )
    await page.get_by_label("Contact email").fill("maija@")
    contact = page.get_by_label("Contact email")
    await expect(error_of(page, "contactEmail")).to_have_text(
        "The contact email is not an email address."
    )
    await expect(contact).to_have_attribute("aria-invalid", "true")
    await expect(contact).to_have_accessible_description(re.compile("not an email address"))
    await accessible_at_both_sizes(page, "form with errors")
    await screenshot(page, "mentor-profile-errors")

    await contact.fill("maija@example.com")
    await expect(error_of(page, "contactEmail")).to_be_empty()
    await years.fill("12")
    await expect(error_of(page, "workingLifeYears")).to_be_empty()
    await page.get_by_label("City").fill("Helsinki")
    await page.get_by_label("2 mentees").check()
    await page.get_by_label("Master's students").check()
    # The whole catalogue (184 languages and any a coordinator added): found by typing.
    await page.get_by_label("Find a language").fill("fin")
    await expect(page.locator("#languages-count")).to_have_text(
        re.compile(r"^1 of 1[89]\d languages matches “fin”\.$")
    )
    await choose(page, "language", "fin", "Finnish")
    await choose(page, "language", "engl", "English")
    await expect(page.get_by_role("list", name="Chosen languages")).to_contain_text("Finnish")
    await choose(page, "field", "computer", "Computer Science")

    preview = page.locator("#preview-card [data-mentor]")
    await expect(preview).to_contain_text("Maija Mentor")
    await expect(preview).to_contain_text("Product lead in fintech")
    await expect(preview).to_contain_text("English, Finnish")
    await expect(preview).to_contain_text("12 years of working life")
    await expect(preview).to_contain_text("Helsinki, in Finland · remote meetings OK")
    await expect(preview).to_contain_text("2 of 2 places left")

    # The date of birth: asked in the programme's own words, for the checks only.
    born = page.get_by_label("Date of birth")
    held = page.locator("#dateOfBirth-held")
    await expect(held).to_have_text(
        "No date of birth on file yet: publishing needs one, for the checks."
    )
    await expect(born).to_have_accessible_description(
        re.compile(
            "Asked only for the identity checks against the alumni register.*never shown to "
            "anyone, not even to you.*cleared after the checks, on 26 Feb 2026"
        )
    )
    await born.fill(BORN.isoformat())
    await page.locator("#preview").focus()
    await accessible_at_both_sizes(page, "preview")
    await screenshot(page, "mentor-profile-preview")

    await page.get_by_role("button", name="Save draft").click()
    await expect(page.locator("#alerts")).to_contain_text("Draft saved.")
    saved = (await api.ok(MINE, as_=mentor))["myMentorProfile"]
    assert saved == {
        "status": "DRAFT",
        "capacity": 2,
        "workingLifeYears": 12,
        "contactEmail": "maija@example.com",
        "identityDateHeld": True,
    }
    # Taken, and said in words: the page keeps no copy, nor can it read one back.
    await expect(held).to_have_text(
        "A date of birth is on file for the checks. Enter it again only to correct it."
    )
    await expect(born).to_have_value("")
    await page.reload()
    await expect(page.locator("main")).to_have_attribute("aria-busy", "false")
    await expect(held).to_contain_text("A date of birth is on file for the checks.")
    await expect(born).to_have_value("")
    shown = await page.content() + await page.locator("body").inner_text()
    assert [form for form in BORN_AS if form in shown] == []
    await accessible_at_both_sizes(page, "date of birth on file")
    student = await f.student(api, api.person(Role.STUDENT, "Sami Student"))
    assert (await api.ok(LISTED, as_=student))["mentors"]["edges"] == []

    await page.get_by_role("button", name="Save and publish").click()
    await expect(page.locator("#alerts")).to_contain_text("students can find you now")
    await expect(page.locator("#profile-state .badge-published")).to_be_visible()
    await expect(page.get_by_role("button", name="Take off the list…")).to_be_visible()
    # What may change after publishing, and what it does to students waiting, is said.
    after = page.locator("#after-publishing")
    await expect(after).to_be_visible()
    await expect(after).to_contain_text("also after publishing")
    await expect(after).to_contain_text("requests already waiting stay open")
    await expect(after).to_contain_text(
        "taking fewer mentees than the students waiting or the mentees you have, and taking "
        "your profile off the list"
    )
    listed = (await api.ok(LISTED, as_=student))["mentors"]["edges"]
    assert [edge["node"] for edge in listed] == [
        {
            "displayName": "Maija Mentor",
            "headline": "Product lead in fintech",
            "workingLifeYears": 12,
        }
    ]

    # What the student's search shows is the card the mentor previewed.
    previewed = await preview.locator(".card-head, .facts").all_inner_texts()
    browse = await pages.open(student, "/browse")
    card = browse.locator("#results [data-mentor]")
    await expect(card).to_have_count(1)
    assert await card.locator(".card-head, .facts").all_inner_texts() == previewed
    await screenshot(page, "mentor-profile-published")


async def test_sign_up_not_yet_open_or_closed_is_said_plainly(api: Api, pages: Pages) -> None:
    coordinator = api.person(Role.COORDINATOR)
    programme_id = await f.programme(api, coordinator, signup=(5, 20))
    mentor = api.person(Role.MENTOR, "Maija Mentor")

    page = await open_profile_page(pages, mentor)
    notice = page.locator("#signup-closed")
    await expect(notice).to_contain_text("Mentor sign-up for Mentoring 2026 opens on 27 Jan 2026")
    await expect(notice).to_contain_text("once it opens")
    await expect(page.locator("#profile-form")).to_be_hidden()
    await accessible(page, "sign-up not open yet")

    # It opens: the form is there. While the mentor fills it in, sign-up closes.
    today = f.today(api)
    phases = f.phases(today)
    await api.ok(
        UPDATE_PROGRAMME, {"id": programme_id, "input": {"phases": phases}}, as_=coordinator
    )
    await page.reload()
    await expect(page.locator("main")).to_have_attribute("aria-busy", "false")
    await page.get_by_label("Headline").fill("Product lead")
    closed = f.phases(today, signup=(-20, -2))
    await api.ok(
        UPDATE_PROGRAMME, {"id": programme_id, "input": {"phases": closed}}, as_=coordinator
    )
    await page.get_by_role("button", name="Save draft").click()
    await expect(page.locator("#form-error")).to_have_text(  # today is 22 Jan 2026
        "Mentor sign-up in Mentoring 2026 is open from 2 Jan 2026 to 20 Jan 2026 "
        "(Europe/Helsinki time)."
    )
    assert (await api.ok(MINE, as_=mentor))["myMentorProfile"] is None

    await page.reload()
    await expect(notice).to_contain_text(
        "Mentor sign-up for Mentoring 2026 is closed since 21 Jan 2026 "
        "(it ran from 2 Jan 2026 to 20 Jan 2026)."
    )
    await expect(notice).to_contain_text("can no longer be created")
    await screenshot(page, "mentor-profile-signup-closed")


async def test_taking_the_profile_off_the_list_asks_first_and_tells_the_waiting_students(
    api: Api, pages: Pages
) -> None:
    await f.programme(api)
    mentor, mentor_id = await f.mentor(api, api.person(Role.MENTOR, "Maija Mentor"), capacity=2)
    sami = await f.student(api, api.person(Role.STUDENT, "Sami Student"))
    olli = await f.student(api, api.person(Role.STUDENT, "Olli Other"))
    await f.send(api, sami, mentor_id)
    await f.send(api, olli, mentor_id)

    page = await open_profile_page(pages, mentor)
    await expect(page.locator("#waiting-count")).to_have_text("2 students waiting for your answer")
    take_off = page.get_by_role("button", name="Take off the list…")
    await take_off.click()
    dialog = page.get_by_role("dialog", name="Take your profile off the list?")
    await expect(dialog).to_be_visible()
    await expect(dialog).to_contain_text("2 students are waiting for your answer")
    await expect(dialog).to_contain_text("Sami Student")
    reads = (
        "Maija Mentor cannot take you on as a mentee in Mentoring 2026. "
        "Their reason: The mentor withdrew from the programme."
    )
    await expect(dialog.locator("blockquote")).to_have_text(reads)
    await expect(dialog.get_by_role("button", name="Cancel")).to_be_focused()
    await accessible_at_both_sizes(page, "take-off dialog open")
    await screenshot(page, "mentor-profile-take-off")

    await page.keyboard.press("Escape")  # changes nothing
    await expect(dialog).to_be_hidden()
    await expect(take_off).to_be_focused()
    assert (await api.ok(MINE, as_=mentor))["myMentorProfile"]["status"] == "PUBLISHED"

    await take_off.click()
    await dialog.get_by_role("button", name="Take off the list and tell 2 students").click()
    await expect(page.locator("#alerts")).to_contain_text("2 waiting students were told")
    await expect(page.locator("#profile-state .badge-withdrawn")).to_be_visible()
    await expect(page.locator("#waiting-count")).to_have_text("0 students waiting for your answer")
    for student in (sami, olli):
        told = (await api.ok(MY_REQUESTS, as_=student))["myRequests"]
        assert told == [{"status": "REJECTED", "reason": "The mentor withdrew from the programme."}]
        assert reads.endswith(told[0]["reason"])


async def test_the_inbox_asks_before_taking_the_profile_off_the_list(
    api: Api, pages: Pages
) -> None:
    await f.programme(api)
    mentor, mentor_id = await f.mentor(api, api.person(Role.MENTOR, "Maija Mentor"))
    sami = await f.student(api, api.person(Role.STUDENT, "Sami Student"))
    await f.send(api, sami, mentor_id)

    page = await pages.open(mentor, "/mentor")
    await expect(page.get_by_role("link", name="Edit profile")).to_have_attribute(
        "href", "/mentor/profile"
    )
    await page.get_by_role("button", name="Take off the list…").click()
    dialog = page.get_by_role("dialog")
    await expect(dialog).to_contain_text("1 student is waiting for your answer: Sami Student.")
    await dialog.get_by_role("button", name="Take off the list and tell 1 student").click()
    await expect(page.locator("#profile-body .badge-withdrawn")).to_be_visible()
    await expect(page.locator("#waiting-empty")).to_be_visible()
    told = (await api.ok(MY_REQUESTS, as_=sami))["myRequests"]
    assert told == [{"status": "REJECTED", "reason": "The mentor withdrew from the programme."}]


async def test_taking_fewer_mentees_than_are_waiting_asks_first(api: Api, pages: Pages) -> None:
    await f.programme(api)
    mentor, mentor_id = await f.mentor(api, api.person(Role.MENTOR, "Maija Mentor"), capacity=2)
    aino = await f.student(api, api.person(Role.STUDENT, "Aino Accepted"))
    sami = await f.student(api, api.person(Role.STUDENT, "Sami Student"))
    await api.ok(f.ACCEPT, {"id": await f.send(api, aino, mentor_id)}, as_=mentor)
    await f.send(api, sami, mentor_id)

    page = await open_profile_page(pages, mentor)
    await expect(page.locator("#capacity-hint")).to_have_text(
        "You have accepted 1 mentee; 1 student is waiting for your answer."
    )
    await page.get_by_label("1 mentee", exact=True).check()
    await page.get_by_role("button", name="Save changes").click()
    dialog = page.get_by_role("dialog", name="Take 1 mentee instead of 2?")
    await expect(dialog).to_contain_text("1 student is waiting for your answer: Sami Student.")
    await expect(dialog.locator("blockquote")).to_have_text(
        "Maija Mentor has filled every mentee place in Mentoring 2026, so your request to them "
        "is closed."
    )
    await accessible_at_both_sizes(page, "capacity dialog open")
    await dialog.get_by_role("button", name="Cancel").click()
    assert (await api.ok(MINE, as_=mentor))["myMentorProfile"]["capacity"] == 2

    await page.get_by_role("button", name="Save changes").click()
    await dialog.get_by_role("button", name="Lower and tell 1 student").click()
    await expect(page.locator("#alerts")).to_contain_text("students see your changes now")
    await expect(page.locator("#profile-state .badge-full")).to_be_visible()
    assert (await api.ok(MINE, as_=mentor))["myMentorProfile"]["capacity"] == 1
    told = (await api.ok(MY_REQUESTS, as_=sami))["myRequests"]
    assert told == [{"status": "CLOSED_MENTOR_FULL", "reason": "mentor is full"}]
