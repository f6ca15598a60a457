"""The console's quiet matches, in Chromium: a coordinator sees the pairs that have not met,
nudges one (both get an email through the outbox), sees when, and is refused a second nudge
within the week in the API's words. The overview's feed shows the nudge and filters by kind."""

from __future__ import annotations

from datetime import timedelta

import pytest
from playwright.async_api import expect
from sqlalchemy.ext.asyncio import AsyncEngine

from db.models import Role
from tests import factories as f
from tests.clients import Api, Person
from tests.dashboard.conftest import PHONE, Pages, accessible, screenshot
from tests.databases import outbox

MY_MATCHES = "{ myMatches { id } }"
RECORD = "mutation($m: ID!, $on: Date!) { recordMeeting(matchId: $m, metOn: $on) { id } }"


async def matched(api: Api, mentor_name: str, student_name: str) -> tuple[Person, str]:
    mentor, mentor_id = await f.mentor(api, api.person(Role.MENTOR, mentor_name))
    student = await f.student(api, api.person(Role.STUDENT, student_name))
    request_id = await f.send(api, student, mentor_id)
    await api.ok(f.ACCEPT, {"id": request_id}, as_=mentor)
    [match] = (await api.ok(MY_MATCHES, as_=student))["myMatches"]
    return student, match["id"]


@pytest.mark.browser
async def test_a_coordinator_nudges_a_quiet_pair_once_a_week(
    api: Api, pages: Pages, database: tuple[str, AsyncEngine]
) -> None:
    coordinator = api.person(Role.COORDINATOR)
    await f.programme(api, coordinator)
    sami, sami_match = await matched(api, "Maija Mentor", "Sami Student")
    met, met_match = await matched(api, "Kalle Mentor", "Liisa Student")
    api.server.clock.advance(days=50)
    await api.ok(RECORD, {"m": met_match, "on": str(f.today(api) - timedelta(days=2))}, as_=met)

    page = await pages.open(coordinator, "/dashboard/quiet")
    rows = page.locator("#quiet tbody tr")
    await expect(rows).to_have_count(1)
    await expect(rows.first).to_contain_text("Maija Mentor")
    await expect(rows.first).to_contain_text("Never met")
    await expect(rows.first).to_contain_text("50 days")
    await expect(rows.first).to_contain_text("Not yet")
    await accessible(page, "quiet matches, one pair")

    nudge = rows.first.get_by_role("button", name="Nudge Maija Mentor and Sami Student")
    await nudge.click()
    dialog = page.get_by_role("dialog", name="Remind Maija Mentor and Sami Student?")
    await expect(dialog).to_be_visible()
    await expect(dialog.get_by_role("button", name="Send the reminder")).to_be_focused()
    await accessible(page, "quiet matches, the nudge dialog open")
    await dialog.get_by_role("button", name="Send the reminder").click()
    await expect(dialog).to_be_hidden()
    await expect(page.locator(".alert-success")).to_contain_text(
        "A reminder is on its way to Maija Mentor and Sami Student."
    )
    await expect(rows.first).to_contain_text("Again from")
    mails = await outbox(database[1], "match_nudge")
    assert len(mails) == 2
    await screenshot(page, "console-quiet")

    # The same pair again within the week: refused, in the API's words.
    await nudge.click()
    await dialog.get_by_role("button", name="Send the reminder").click()
    await expect(dialog.locator("#nudge-error")).to_contain_text(
        "a pair is reminded once a week at most"
    )
    await accessible(page, "quiet matches, a second nudge refused")
    await dialog.get_by_role("button", name="Cancel").click()
    await expect(dialog).to_be_hidden()
    assert len(await outbox(database[1], "match_nudge")) == 2

    # A shorter window lists both pairs; the one that met recently is not quiet for long.
    await page.get_by_label("No meeting for more than").fill("1")
    await page.get_by_role("button", name="Show").click()
    await expect(rows).to_have_count(2)
    await expect(rows.nth(1)).to_contain_text("Kalle Mentor")

    # A meeting recorded elsewhere takes the pair off the list, as it happens.
    await page.get_by_label("No meeting for more than").fill("45")
    await page.get_by_role("button", name="Show").click()
    await expect(rows).to_have_count(1)
    await api.ok(RECORD, {"m": sami_match, "on": str(f.today(api))}, as_=sami)
    await expect(page.locator("#quiet-empty")).to_have_text(
        "Every pair has met within the last 45 days."
    )
    await accessible(page, "quiet matches, none")

    phone = await pages.open(coordinator, "/dashboard/quiet", viewport=PHONE)
    await phone.get_by_label("No meeting for more than").fill("1")
    await phone.get_by_role("button", name="Show").click()
    await expect(phone.locator("#quiet tbody tr")).to_have_count(1)
    await expect(phone.locator("#quiet tbody tr")).to_contain_text("Kalle Mentor")
    width = await phone.evaluate("document.documentElement.scrollWidth")
    assert width <= PHONE["width"], "the quiet matches scroll sideways on a phone"
    await accessible(phone, "quiet matches on a phone")
    await screenshot(phone, "console-quiet-phone")

    # The overview's feed: the nudge is there, and the filter shows one kind at a time.
    overview = await pages.open(coordinator, "/dashboard")
    feed = overview.locator("#feed li")
    await expect(overview.locator("#feed li[data-kind=MATCH_NUDGED]")).to_contain_text(
        "A coordinator reminded Maija Mentor and Sami Student to meet"
    )
    await expect(overview.locator("#feed li[data-kind=REQUEST_ACCEPTED]").first).to_be_visible()
    await overview.get_by_label("Show").select_option(label="Meetings and nudges")
    await expect(overview.locator("#feed li[data-kind=REQUEST_ACCEPTED]").first).to_be_hidden()
    await expect(feed.filter(has_text="reminded")).to_be_visible()
    await overview.get_by_label("Show").select_option(label="Briefings")
    await expect(overview.locator("#feed-empty")).to_have_text(
        "No event of this kind among the latest."
    )
    await overview.get_by_label("Show").select_option(label="Every kind of event")
    await expect(overview.locator("#feed-empty")).to_be_hidden()
    # The keyboard reaches the feed, and scrolls it, from the filter.
    await overview.get_by_label("Show").focus()
    await overview.keyboard.press("Tab")
    region = overview.get_by_role("region", name="Live events, newest first")
    await expect(region).to_be_focused()
    await accessible(overview, "the overview with its feed filter")
