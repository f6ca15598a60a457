"""The mentor inbox, in Chromium: requests arrive live with an alert, and the mentor answers
from the page."""

from __future__ import annotations

import pytest
from playwright.async_api import expect

from db.models import Role
from tests import factories as f
from tests.clients import Api
from tests.dashboard.conftest import Pages, screenshot

pytestmark = pytest.mark.browser

# Stands in for the browser's notification centre, which headless Chromium does not have.
RECORD_NOTIFICATIONS = """
window.shownNotifications = [];
window.Notification = class {
  static permission = "granted";
  static requestPermission() { return Promise.resolve("granted"); }
  constructor(title, options) {
    window.shownNotifications.push({ title, body: (options || {}).body });
  }
};
"""

MY_REQUESTS = "{ myRequests { status reason } }"


async def test_a_request_arrives_live_with_an_alert_and_a_desktop_notification(
    api: Api, pages: Pages
) -> None:
    await f.programme(api)
    mentor, mentor_id = await f.mentor(api, api.person(Role.MENTOR, "Maija Mentor"), capacity=2)
    student = await f.student(api, api.person(Role.STUDENT, "Sami Student"))

    page = await pages.open(mentor, "/mentor", init_script=RECORD_NOTIFICATIONS)
    await expect(page.locator("#profile-body")).to_contain_text("Maija Mentor")
    await expect(page.locator("#capacity")).to_contain_text("2 places left")
    await expect(page.locator("#waiting-empty")).to_be_visible()

    await f.send(api, student, mentor_id, "Could you mentor me this spring?")

    card = page.locator("#waiting [data-request]")
    await expect(card).to_have_count(1)
    await expect(card).to_contain_text("Sami Student")
    await expect(card).to_contain_text("Could you mentor me this spring?")
    await expect(page.locator("#new-request-banner")).to_contain_text("New request from Sami")
    shown = await page.evaluate("window.shownNotifications")
    assert [n["body"] for n in shown] == ["Sami Student asks you to be their mentor."]
    await screenshot(page, "mentor-new-request")


async def test_declining_with_a_reason_reaches_the_student_and_a_withdrawal_shows_live(
    api: Api, pages: Pages
) -> None:
    await f.programme(api)
    mentor, mentor_id = await f.mentor(api, api.person(Role.MENTOR, "Maija Mentor"), capacity=2)
    sami = await f.student(api, api.person(Role.STUDENT, "Sami Student"))
    olli = await f.student(api, api.person(Role.STUDENT, "Olli Other"))
    await f.send(api, sami, mentor_id)
    olli_request = await f.send(api, olli, mentor_id)

    page = await pages.open(mentor, "/mentor")
    await expect(page.locator("#waiting [data-request]")).to_have_count(2)
    await expect(page.locator("#profile-body .badge-busy")).to_be_visible()

    card = page.locator("#waiting [data-request]", has_text="Sami Student")
    await card.get_by_role("button", name="Decline…").click()
    await page.get_by_label("Reason").fill("I mentor only in Finnish this year.")
    await page.get_by_role("button", name="Decline request").click()

    await expect(page.locator("#waiting [data-request]")).to_have_count(1)
    await expect(page.locator("#history [data-status=REJECTED]")).to_contain_text("Sami Student")
    answer = (await api.ok(MY_REQUESTS, as_=sami))["myRequests"]
    assert answer == [{"status": "REJECTED", "reason": "I mentor only in Finnish this year."}]

    await api.ok(f.WITHDRAW, {"id": olli_request}, as_=olli)
    await expect(page.locator("#waiting-empty")).to_be_visible()
    await expect(page.locator("#alerts")).to_contain_text("Olli Other withdrew their request.")
    await expect(page.locator("#profile-body .badge-available")).to_be_visible()
