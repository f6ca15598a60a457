"""Live updates the server ends with an error, in Chromium: the page says so in words, in its
status area, and the rest of it keeps working; a network drop is no such error."""

from __future__ import annotations

import json

import pytest
from playwright.async_api import expect

from db.models import Role
from tests import factories as f
from tests.clients import Api
from tests.dashboard.conftest import Pages, screenshot

pytestmark = pytest.mark.browser

# The page's WebSocket signs in as someone else than the page (as if the role had changed
# since the page loaded), so that the server refuses what the page subscribes to.
SOCKET_SIGNS_IN_AS = """
const send = WebSocket.prototype.send;
WebSocket.prototype.send = function (data) {
  const message = JSON.parse(data);
  if (message.type === "connection_init") message.payload = { Authorization: %s };
  return send.call(this, JSON.stringify(message));
};
"""


@pytest.mark.parametrize(
    "server_overrides", [{"max_subscriptions_per_connection": 1}], ids=["one-subscription"]
)
async def test_a_page_over_the_servers_subscription_limit_says_its_updates_stopped(
    api: Api, pages: Pages
) -> None:
    await f.programme(api)
    await f.mentor(api, api.person(Role.MENTOR, "Aino Mentor"))
    student = await f.student(api, api.person(Role.STUDENT, "Sami Student"))

    # The search page keeps two subscriptions; this server allows one per connection.
    page = await pages.visit(student, "/browse")
    status = page.locator("#live-status")
    await expect(status).to_have_attribute("data-state", "stopped")
    await expect(status).to_have_text("Not live")
    problem = page.get_by_role("alert").filter(has_text="Live updates stopped.")
    await expect(problem).to_contain_text(
        "Live updates stopped. The server allows only so many live updates on one connection, "
        "and this page asked for more. What you see here may go out of date until you reload."
    )
    await expect(problem.get_by_role("button", name="Reload the page")).to_be_visible()

    # The rest of the page works: it loaded, and the search answers.
    await expect(page.locator("main")).to_have_attribute("aria-busy", "false")
    await expect(page.locator("#results [data-mentor]")).to_contain_text("Aino Mentor")
    await screenshot(page, "browse-live-stopped")


async def test_a_refused_subscription_is_explained_and_a_network_drop_is_not_an_error(
    api: Api, pages: Pages
) -> None:
    coordinator = api.person(Role.COORDINATOR)
    await f.programme(api, coordinator)
    mentor, mentor_id = await f.mentor(api, api.person(Role.MENTOR, "Aino Mentor"))
    student = await f.student(api, api.person(Role.STUDENT, "Sami Student"))

    # A mentor may not watch the programme's counters: the server answers FORBIDDEN.
    as_mentor = SOCKET_SIGNS_IN_AS % json.dumps(f"Bearer {mentor.token}")
    refused = await pages.visit(coordinator, "/dashboard", init_script=as_mentor)
    await expect(refused.locator("#live-status")).to_have_attribute("data-state", "stopped")
    problem = refused.get_by_role("alert").filter(has_text="Live updates stopped.")
    await expect(problem.locator("p")).to_have_text(
        "Live updates stopped. You may not follow them: “Only a coordinator can do that.” "
        "What you see here may go out of date until you reload."
    )
    await expect(problem.get_by_role("button", name="Reload the page")).to_be_visible()
    await expect(refused.locator("main")).to_have_attribute("aria-busy", "false")
    await screenshot(refused, "dashboard-live-stopped")

    # A dropped connection only says so, and comes back with what it missed.
    page = await pages.open(coordinator, "/dashboard")
    await page.context.set_offline(True)
    await expect(page.locator("#live-status")).to_have_attribute("data-state", "offline")
    await expect(page.locator("#live-problem")).to_be_empty()
    await f.send(api, student, mentor_id)
    await page.context.set_offline(False)
    await expect(page.locator("#live-status")).to_have_attribute("data-state", "live")
    await expect(page.locator('[data-stat="requests.pending"]')).to_have_text("1")
    await expect(page.locator("#live-problem")).to_be_empty()
