"""The console's People section, in Chromium: a coordinator finds a mentor by name, reads their
profile, requests and matches, steps in on a request, hides the mentor from students (and lets
them publish again), and erases the mentor after reading what that does."""

from __future__ import annotations

import pytest
from playwright.async_api import expect
from sqlalchemy.ext.asyncio import AsyncEngine

from db.models import Role
from tests import factories as f
from tests.clients import Api
from tests.dashboard.conftest import PHONE, Pages, accessible, screenshot
from tests.databases import outbox

REQUESTS = """{ requests { edges { node { status reason student { displayName } } } } }"""


@pytest.mark.browser
async def test_a_coordinator_finds_a_mentor_steps_in_and_erases_them(
    api: Api, pages: Pages
) -> None:
    coordinator = api.person(Role.COORDINATOR)
    await f.programme(api, coordinator)
    mentor, mentor_id = await f.mentor(api, api.person(Role.MENTOR, "Maija Mentor"), capacity=2)
    matched = await f.student(api, api.person(Role.STUDENT, "Mia Matched"))
    accepted = await f.send(api, matched, mentor_id)
    await api.ok(f.ACCEPT, {"id": accepted}, as_=mentor)
    for name in ("Sami Student", "Olli Odottaja"):
        await f.send(api, await f.student(api, api.person(Role.STUDENT, name)), mentor_id)

    page = await pages.open(coordinator, "/dashboard/people")
    people = page.locator("#people li")
    await expect(people).to_have_count(4)
    await expect(page.locator("#people-count")).to_have_text("4 people")
    await accessible(page, "people, the full list")

    search = page.get_by_label("Name")
    await search.fill("nobody here")
    await search.press("Enter")
    await expect(page.locator("#people-empty")).to_be_visible()
    await accessible(page, "people, nobody found")

    await search.fill("MAIJA")
    await page.get_by_label("Who").select_option("MENTOR")
    await page.get_by_role("button", name="Search").click()
    await expect(people).to_have_count(1)
    await people.get_by_role("button", name="Maija Mentor").click()
    panel = page.locator("#person")
    await expect(panel).to_be_focused()
    await expect(panel.get_by_role("heading", name="Maija Mentor")).to_be_visible()
    await expect(panel).to_contain_text("1 of 2 (1 left)")
    await expect(panel).to_contain_text("Private: shown only to a mentee they accept")
    await expect(panel.get_by_role("button", name="Hide from students…")).to_be_visible()
    await expect(panel.locator("tr[data-request]")).to_have_count(3)
    await expect(panel.locator("li[data-match]")).to_have_count(1)
    await expect(panel.locator("li[data-match]")).to_contain_text("Mia Matched")
    # The date of birth, asked for identity checks, is never shown, not even to coordinators.
    shown = await page.locator("body").inner_text()
    assert f.DATE_OF_BIRTH[:4] not in shown
    assert "birth" not in shown.lower()
    await accessible(page, "people, a mentor's panel")

    sami = panel.locator("tr[data-request]", has_text="Sami Student")
    await sami.get_by_role("button", name="Step in").click()
    dialog = page.get_by_role("dialog", name="Step in on this request")
    await expect(dialog).to_contain_text("Sami Student asked Maija Mentor; pending.")
    await accessible(page, "people, the step-in dialog")
    await dialog.get_by_label("Decline on the mentor's behalf").check()
    await dialog.get_by_label("Reason for declining").fill("Maija is on leave until March.")
    await dialog.get_by_role("button", name="Step in").click()
    await expect(page.locator(".alert-success")).to_contain_text("The request is now declined.")
    await expect(sami).to_contain_text("Declined")
    await expect(sami).to_contain_text("Maija is on leave until March.")

    await panel.get_by_role("button", name="Erase Maija Mentor…").click()
    confirm = page.get_by_role("dialog", name="Erase Maija Mentor?")
    await expect(confirm).to_contain_text(
        "The request waiting on them is declined (“The mentor left the programme.”): "
        "the student is released at once and told by email."
    )
    await expect(confirm).to_contain_text("Their match is kept as an anonymous record")
    await expect(confirm).to_contain_text("Their 3 requests stay in the counts")
    await expect(confirm.get_by_role("button", name="Cancel")).to_be_focused()
    await accessible(page, "people, the erasure dialog")
    await screenshot(page, "console-people-erase")
    await confirm.get_by_role("button", name="Erase Maija Mentor").click()
    await expect(page.locator(".alert-success").last).to_contain_text("Maija Mentor is erased.")
    await expect(panel).to_be_hidden()
    await expect(page.locator("#people-empty")).to_be_visible()  # no Maija any more

    statuses = {
        e["node"]["student"]["displayName"]: (e["node"]["status"], e["node"]["reason"])
        for e in (await api.ok(REQUESTS, as_=coordinator))["requests"]["edges"]
    }
    assert statuses["Olli Odottaja"] == ("REJECTED", "The mentor left the programme.")
    assert statuses["Mia Matched"] == ("ACCEPTED", None)

    phone = await pages.open(coordinator, "/dashboard/people", viewport=PHONE)
    await expect(phone.locator("#people li")).to_have_count(4)
    await phone.locator("#people li", has_text="Olli").get_by_role("button").click()
    await expect(phone.locator("#person")).to_contain_text("Declined")
    width = await phone.evaluate("document.documentElement.scrollWidth")
    assert width <= PHONE["width"], "the people section scrolls sideways on a phone"
    await accessible(phone, "people on a phone, a student's panel")
    await screenshot(phone, "console-people-phone")


@pytest.mark.browser
async def test_a_step_in_the_rules_refuse_says_why(api: Api, pages: Pages) -> None:
    coordinator = api.person(Role.COORDINATOR)
    await f.programme(api, coordinator)
    mentor, mentor_id = await f.mentor(api, api.person(Role.MENTOR, "Maija Mentor"), capacity=1)
    first = await f.student(api, api.person(Role.STUDENT, "Sami Student"))
    second = await f.student(api, api.person(Role.STUDENT, "Olli Odottaja"))
    await f.send(api, first, mentor_id)
    late = await f.send(api, second, mentor_id)

    page = await pages.open(coordinator, "/dashboard/people")
    await page.locator("#people li", has_text="Olli").get_by_role("button").click()
    row = page.locator("#person tr[data-request]")
    await row.get_by_role("button", name="Step in").click()
    dialog = page.get_by_role("dialog", name="Step in on this request")
    # Meanwhile the mentor accepts the other request and fills up: Olli's closes.
    requests = await api.ok("{ requests { edges { node { id } } } }", as_=coordinator)
    other = next(e["node"]["id"] for e in requests["requests"]["edges"] if e["node"]["id"] != late)
    await api.ok(f.ACCEPT, {"id": other}, as_=mentor)
    await dialog.get_by_label("Accept on the mentor's behalf").check()
    await dialog.get_by_role("button", name="Step in").click()
    error = dialog.get_by_role("alert")
    await expect(error).to_have_text(
        "This request is no longer waiting for an answer: it is closed_mentor_full."
    )
    await accessible(page, "people, a step-in refused")
    await dialog.get_by_role("button", name="Cancel").click()
    await expect(dialog).to_have_count(0)
    await expect(row).to_contain_text("Closed: mentor full")


HIDDEN_MAIL = "mentor_hidden"


@pytest.mark.browser
async def test_a_coordinator_hides_a_mentor_with_a_reason_and_lets_them_publish_again(
    api: Api, pages: Pages, engine: AsyncEngine
) -> None:
    coordinator = api.person(Role.COORDINATOR)
    await f.programme(api, coordinator)
    mentor, mentor_id = await f.mentor(api, api.person(Role.MENTOR, "Maija Mentor"), capacity=2)
    matched = await f.student(api, api.person(Role.STUDENT, "Mia Matched"))
    await api.ok(f.ACCEPT, {"id": await f.send(api, matched, mentor_id)}, as_=mentor)
    for name in ("Sami Student", "Olli Odottaja"):
        await f.send(api, await f.student(api, api.person(Role.STUDENT, name)), mentor_id)

    page = await pages.open(coordinator, "/dashboard/people")
    await page.locator("#people li", has_text="Maija").get_by_role("button").click()
    panel = page.locator("#person")
    await panel.get_by_role("button", name="Hide from students…").click()
    dialog = page.get_by_role("dialog", name="Hide Maija Mentor from students?")
    await expect(dialog.locator("#hide-count")).to_contain_text(
        "2 students are waiting for Maija Mentor's answer: Sami Student and Olli Odottaja."
    )
    await expect(dialog.locator("blockquote")).to_have_text(
        "Maija Mentor cannot take you on as a mentee in Mentoring 2026. Their reason: "
        "The mentor is no longer available in the programme."
    )
    await expect(dialog).to_contain_text("they are not told your reason")
    await expect(dialog).to_contain_text("The mentee they accepted stays theirs.")
    reason = dialog.get_by_label("Reason (Maija Mentor reads it in the email)")
    await expect(reason).to_be_focused()
    await accessible(page, "people, the hide dialog")
    await screenshot(page, "console-people-hide")

    # A reason is required: the browser asks for one, and nothing is sent.
    confirm = dialog.get_by_role("button", name="Hide and tell 2 students")
    await confirm.click()
    await expect(dialog).to_be_visible()
    assert await outbox(engine, HIDDEN_MAIL) == []
    await reason.fill("A student reported missed meetings; we are looking into it.")
    await confirm.click()
    await expect(dialog).to_have_count(0)
    await expect(page.locator(".alert-success")).to_contain_text(
        "Maija Mentor is hidden from students; they were told by email."
    )
    held = panel.locator("#person-hidden")
    await expect(held).to_contain_text(
        "Hidden by a coordinator on 22 Jan 2026: A student reported missed meetings; "
        "we are looking into it."
    )
    lift = held.get_by_role("button", name="Let them publish again")
    await expect(lift).to_be_focused()
    await expect(panel.locator("tr[data-request]", has_text="Sami")).to_contain_text(
        "The mentor is no longer available in the programme."
    )
    await expect(panel.locator("li[data-match]")).to_have_count(1)  # the mentee stays
    await expect(page.locator("#people li", has_text="Maija")).to_contain_text(
        "hidden by a coordinator"
    )
    await accessible(page, "people, a hidden mentor's panel")
    await screenshot(page, "console-people-hidden")
    [letter] = await outbox(engine, HIDDEN_MAIL)
    assert "we are looking into it" in letter.body_text

    # The mentor's own page says so, and why, and offers no publishing.
    inbox = await pages.open(mentor, "/mentor")
    await expect(inbox.locator("#profile-explain")).to_contain_text(
        "A coordinator took your profile off the students' list on 22 Jan 2026. Their reason: "
        "A student reported missed meetings; we are looking into it."
    )
    await expect(inbox.get_by_role("button", name="Publish profile")).to_have_count(0)
    await accessible(inbox, "the mentor's page, hidden by a coordinator")
    await screenshot(inbox, "mentor-hidden-by-coordinator")

    await lift.click()
    await expect(page.locator(".alert-success").last).to_contain_text(
        "Maija Mentor may publish their profile again; they were told by email."
    )
    await expect(panel.locator("#person-hidden")).to_have_count(0)
    await expect(panel.get_by_role("button", name="Hide from students…")).to_be_focused()
    await inbox.reload()
    await expect(inbox.get_by_role("button", name="Publish profile")).to_be_visible()
    await inbox.get_by_role("button", name="Publish profile").click()
    await expect(inbox.locator("#profile-explain")).to_contain_text("Students can find you")
