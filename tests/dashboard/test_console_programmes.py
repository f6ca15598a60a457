"""The console's Programmes section, in Chromium: a coordinator prepares next year's programme
while this year's runs, and changes dates and limits, told first what a change does to people
waiting."""

from __future__ import annotations

from datetime import timedelta

import pytest
from playwright.async_api import Page, expect

from db.models import Role
from tests import factories as f
from tests.clients import Api
from tests.dashboard.conftest import PHONE, Pages, accessible, screenshot

MY_PROGRAMME = "{ viewer { programme { name } } myRequests { status } }"
PROGRAMMES = """{ programmes { name studentPendingLimit mentorPendingLimit
  phases { phase opensOn closesOn } } }"""


async def set_phase(page: Page, prefix: str, phase: str, opens: str, closes: str) -> None:
    await page.locator(f"#{prefix}-{phase}-opens").fill(opens)
    await page.locator(f"#{prefix}-{phase}-closes").fill(closes)


@pytest.mark.browser
async def test_next_years_programme_is_prepared_while_this_years_runs(
    api: Api, pages: Pages
) -> None:
    coordinator = api.person(Role.COORDINATOR)
    await f.programme(api, coordinator)
    mentor, mentor_id = await f.mentor(api, api.person(Role.MENTOR, "Maija Mentor"))
    student = await f.student(api, api.person(Role.STUDENT, "Sami Student"))

    page = await pages.open(coordinator, "/dashboard/programmes")
    await expect(page.locator("#programme-name")).to_have_text("Mentoring 2026")
    await expect(page.locator("#console-nav a[aria-current=page]")).to_have_text("Programmes")
    await expect(page.locator("#programme-list tbody tr")).to_have_count(1)
    await accessible(page, "programmes, one programme")

    # Half a programme is refused in the page, before anything is sent.
    create = page.locator("#create-form")
    await create.get_by_label("Name").fill("Mentoring 2027")
    await page.locator("#create-mentor_signup-opens").fill("2027-01-07")
    await create.get_by_role("button", name="Create programme").click()
    await expect(page.locator("#create-error")).to_have_text(
        "Give both dates of mentor sign-up, or neither."
    )
    await accessible(page, "programmes, a form error")

    await set_phase(page, "create", "mentor_signup", "2027-01-07", "2027-01-16")
    await set_phase(page, "create", "student_requests", "2027-01-20", "2027-01-26")
    await set_phase(page, "create", "programme", "2027-02-01", "2027-06-30")
    await create.get_by_label("Pending requests per mentor").fill("3")
    await create.get_by_role("button", name="Create programme").click()
    await expect(page.locator(".alert-success")).to_contain_text("Mentoring 2027 is created.")
    rows = page.locator("#programme-list tbody tr")
    await expect(rows).to_have_count(2)
    await expect(rows.filter(has_text="Mentoring 2027")).to_contain_text("7 Jan 2027")

    # This year's people keep working in theirs, untouched.
    request_id = await f.send(api, student, mentor_id, "Could you mentor me?")
    await api.ok(f.ACCEPT, {"id": request_id}, as_=mentor)
    for person in (student, mentor):
        mine = await api.ok(MY_PROGRAMME, as_=person)
        assert mine == {
            "viewer": {"programme": {"name": "Mentoring 2026"}},
            "myRequests": [{"status": "ACCEPTED"}],
        }

    # The coordinator opens next year's and changes a limit there only.
    await rows.filter(has_text="Mentoring 2027").get_by_role("link").click()
    await expect(page.locator("#programme-name")).to_have_text("Mentoring 2027")
    await expect(page.locator("#edit-mentor_signup-opens")).to_have_value("2027-01-07")
    edit = page.locator("#edit-form")
    await edit.get_by_label("Pending requests per student").fill("2")
    await edit.get_by_role("button", name="Save changes").click()
    await expect(page.locator(".alert-success").last).to_contain_text("Mentoring 2027 is saved.")
    await expect(page.locator("#programme-select")).to_have_value(
        await page.evaluate("new URLSearchParams(location.search).get('programme')")
    )
    by_name = {p["name"]: p for p in (await api.ok(PROGRAMMES, as_=coordinator))["programmes"]}
    assert by_name["Mentoring 2027"]["studentPendingLimit"] == 2
    assert by_name["Mentoring 2027"]["mentorPendingLimit"] == 3
    assert by_name["Mentoring 2026"]["studentPendingLimit"] == 1
    assert by_name["Mentoring 2026"]["mentorPendingLimit"] == 2
    await screenshot(page, "console-programmes")

    # Back to this year's with the picker; the nav keeps the choice.
    await page.locator("#programme-select").select_option(label="Mentoring 2026")
    await expect(page.locator("#programme-name")).to_have_text("Mentoring 2026")
    chosen = await page.locator("#programme-select").input_value()
    await expect(page.locator("#console-nav a", has_text="People")).to_have_attribute(
        "href", f"/dashboard/people?programme={chosen.replace('=', '%3D')}"
    )
    # The page is usable and whole on a phone.
    phone = await pages.open(coordinator, "/dashboard/programmes", viewport=PHONE)
    await expect(phone.locator("#programme-list tbody tr")).to_have_count(2)
    width = await phone.evaluate("document.documentElement.scrollWidth")
    assert width <= PHONE["width"], "the programmes section scrolls sideways on a phone"
    await accessible(phone, "programmes on a phone")
    await screenshot(phone, "console-programmes-phone")


@pytest.mark.browser
async def test_closing_requests_while_some_wait_is_confirmed_first(api: Api, pages: Pages) -> None:
    coordinator = api.person(Role.COORDINATOR)
    await f.programme(api, coordinator)
    _, mentor_id = await f.mentor(api, api.person(Role.MENTOR, "Maija Mentor"))
    student = await f.student(api, api.person(Role.STUDENT, "Sami Student"))
    await f.send(api, student, mentor_id)
    yesterday = (f.today(api) - timedelta(days=1)).isoformat()

    page = await pages.open(coordinator, "/dashboard/programmes")
    edit = page.locator("#edit-form")
    await page.locator("#edit-student_requests-closes").fill(yesterday)
    await edit.get_by_role("button", name="Save changes").click()
    dialog = page.get_by_role("dialog", name="This change affects people waiting")
    await expect(dialog).to_be_visible()
    await expect(dialog).to_contain_text(
        "Student requests close at once while 1 request is waiting for an answer."
    )
    await expect(dialog.get_by_role("button", name="Cancel")).to_be_focused()
    await accessible(page, "programmes, the change's effects dialog")
    await screenshot(page, "console-programmes-confirm")
    await page.keyboard.press("Escape")
    await expect(dialog).to_have_count(0)
    saved = await api.ok("{ programme { currentPhases } }", as_=coordinator)
    assert "STUDENT_REQUESTS" in saved["programme"]["currentPhases"]

    await edit.get_by_role("button", name="Save changes").click()
    await dialog.get_by_role("button", name="Save anyway").click()
    await expect(page.locator(".alert-success")).to_contain_text("Mentoring 2026 is saved.")
    saved = await api.ok("{ programme { currentPhases } }", as_=coordinator)
    assert "STUDENT_REQUESTS" not in saved["programme"]["currentPhases"]

    # A limit the API refuses: its sentence, in the form.
    await edit.get_by_label("Pending requests per mentor").fill("12")
    await edit.get_by_role("button", name="Save changes").click()
    await expect(page.locator("#edit-error")).to_have_text(
        "Mentor pending limit must be between 1 and 10."
    )
    await accessible(page, "programmes, the API's refusal")
