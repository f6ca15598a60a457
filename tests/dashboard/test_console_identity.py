"""The console's Identity checks section, in Chromium: a coordinator sees the mentors waiting for
the check, loads the alumni register (a file that is not the register changes nothing; the
right one verifies, reports near misses and unreadable lines), and confirms a mentor by hand
after a dialog. No date of birth is ever on the page."""

from __future__ import annotations

import pytest
from playwright.async_api import FilePayload, expect

from db.models import Role
from tests import factories as f
from tests.clients import Api
from tests.dashboard.conftest import PHONE, Pages, accessible, screenshot

FILE_LABEL = "Alumni register (CSV, UTF-8; commas or semicolons)"
MINE = "{ myMentorProfile { identityVerified } }"


@pytest.mark.browser
async def test_a_coordinator_checks_mentors_against_the_register_and_confirms_one_by_hand(
    api: Api, pages: Pages
) -> None:
    coordinator = api.person(Role.COORDINATOR)
    programme_id = await f.programme(api, coordinator)
    await f.mentor(api, api.person(Role.MENTOR, "Maija Öhman"), dateOfBirth="1961-07-29")
    await f.mentor(api, api.person(Role.MENTOR, "Pekka Korhonen"), dateOfBirth="1970-03-14")
    anna, _ = await f.mentor(api, api.person(Role.MENTOR, "Anna Nieminen"), publish=False)

    page = await pages.open(coordinator, "/dashboard/identity", subscriptions=1)
    waiting = page.locator("#waiting tbody tr")
    await expect(waiting).to_have_count(3)
    await expect(page.locator("#waiting-count")).to_have_text("3 mentors")
    maija = waiting.filter(has_text="Maija Öhman")
    await expect(maija).to_contain_text("Published")
    link = maija.get_by_role("link", name="Maija Öhman")
    query = f"programme={programme_id.replace('=', '%3D')}&search=Maija+%C3%96hman"
    await expect(link).to_have_attribute("href", f"/dashboard/people?{query}")
    await expect(waiting.filter(has_text="Anna Nieminen")).to_contain_text("Draft")
    await expect(page.get_by_role("link", name="Identity checks")).to_have_attribute(
        "aria-current", "page"
    )
    await accessible(page, "identity checks, three mentors waiting")

    file_input = page.get_by_label(FILE_LABEL)
    broken = "name,born\nMaija Öhman,29.7.1961\n"
    await file_input.set_input_files(
        files=FilePayload(name="register.csv", mimeType="text/csv", buffer=broken.encode())
    )
    await page.get_by_role("button", name="Check mentors").click()
    await expect(page.locator("#import-error")).to_have_text(
        "register.csv: line 1: Unknown column 'born': the columns are name, date of birth, and "
        "optionally degree. Nothing was changed."
    )
    await expect(waiting).to_have_count(3)
    await accessible(page, "identity checks, a file refused")

    register = (
        "Name;Date of birth;Degree\n"
        "ÖHMAN, MAIJA;29.7.1961;MSc (Econ.) 1986\n"
        "Pekka Juhani Korhonen;14.3.1970;\n"
        "Ville Virtanen;31/01/1975;MSc\n"
        "Someone Else;1.1.1950;BA\n"
    )
    await file_input.set_input_files(
        files=FilePayload(name="alumni.csv", mimeType="text/csv", buffer=register.encode())
    )
    await page.get_by_role("button", name="Check mentors").click()
    result = page.locator("#import-result")
    await expect(result).to_contain_text(
        "alumni.csv: 4 rows read: 1 verified, 1 to look at, 1 matching no mentor waiting for "
        "the check, 1 that could not be read."
    )
    await expect(page.locator("#register-verified li")).to_have_text(
        ["Maija Öhman (in the register: ÖHMAN, MAIJA) MSc (Econ.) 1986"]
    )
    await expect(page.locator("#register-near-misses li")).to_have_text(
        [
            "Pekka Korhonen: the date of birth matches but the name differs: "
            "Pekka Juhani Korhonen / Pekka Korhonen"
        ]
    )
    await expect(page.locator("#register-unreadable li")).to_have_text(
        ["Line 4: The date of birth is not a date: write it as 1980-01-31 or 31.1.1980."]
    )
    await expect(waiting).to_have_count(2)
    await expect(page.locator("#waiting-count")).to_have_text("2 mentors")
    body = await page.locator("body").inner_text()
    assert "1961" not in body  # no date of birth, in any form
    assert "1970" not in body
    await accessible(page, "identity checks, the register checked")
    await screenshot(page, "console-identity-register")

    pekka = waiting.filter(has_text="Pekka Korhonen")
    await pekka.get_by_role("button", name="Confirm identity").click()
    dialog = page.get_by_role("dialog", name="Confirm Pekka Korhonen's identity?")
    await expect(dialog).to_contain_text("Their date of birth is cleared: the check is done.")
    await accessible(page, "identity checks, the confirm dialog")
    await dialog.get_by_role("button", name="Cancel").click()
    await expect(dialog).to_be_hidden()
    await expect(waiting).to_have_count(2)

    await (
        waiting.filter(has_text="Anna Nieminen")
        .get_by_role("button", name="Confirm identity")
        .click()
    )
    await page.get_by_role("dialog").get_by_role("button", name="Confirm identity").click()
    await expect(page.locator(".alert-success")).to_contain_text(
        "Anna Nieminen's identity is confirmed."
    )
    await expect(waiting).to_have_count(1)
    await expect(page.locator("#waiting-title")).to_be_focused()
    assert (await api.ok(MINE, as_=anna))["myMentorProfile"]["identityVerified"] is True

    # Another coordinator's check shows at once.
    other = await f.mentor(api, api.person(Role.MENTOR, "Olli Uusi"), publish=False)
    await expect(waiting).to_have_count(2)
    confirm = "mutation($id: ID!) { confirmMentorIdentity(mentorId: $id) { id } }"
    await api.ok(confirm, {"id": other[1]}, as_=api.person(Role.COORDINATOR))
    await expect(waiting).to_have_count(1)
    await expect(waiting).to_contain_text("Pekka Korhonen")

    await page.set_viewport_size(PHONE)  # type: ignore[arg-type]
    await accessible(page, "identity checks, at phone size")
