"""A server in trouble at the first query does not sign anybody out: the page keeps the token,
says what is wrong, tries again, and opens once the server answers. Only a refused token signs
the person out."""

from __future__ import annotations

import pytest
from playwright.async_api import Route, expect

from db.models import Role
from tests import factories as f
from tests.clients import Api
from tests.dashboard.conftest import Pages, screenshot

pytestmark = pytest.mark.browser


async def test_a_server_error_at_start_keeps_the_person_signed_in(api: Api, pages: Pages) -> None:
    await f.programme(api)
    mentor, _ = await f.mentor(api)
    broken = True

    async def proxy(route: Route) -> None:
        # What a crashed worker behind a proxy answers: a 500 with no GraphQL body.
        if broken:
            await route.fulfill(status=500, body="Internal Server Error")
        else:
            await route.continue_()

    context = await pages.browser.new_context()
    pages.contexts.append(context)
    await context.route("**/graphql", proxy)
    page = await context.new_page()
    await page.goto(f"{api.server.url}/mentor#token={mentor.token}")

    trouble = page.get_by_role("heading", name="The server has trouble right now")
    await expect(trouble).to_be_visible()
    await expect(page.get_by_role("alert")).to_contain_text("answered 500")
    await expect(page.locator("#gate")).to_contain_text("You are still signed in")
    await screenshot(page, "server-trouble-at-start")
    assert await page.evaluate("sessionStorage.getItem('mentori.token')") == mentor.token

    # Asked again at once, it is still broken; then the page gets through by itself.
    await page.get_by_role("button", name="Try again now").click()
    await expect(trouble).to_be_visible()
    broken = False
    await expect(page.locator("#who")).to_have_text(mentor.name)
    await expect(page.locator("#live-status")).to_have_attribute("data-state", "live")
    await expect(page.locator("#gate")).to_be_hidden()


async def test_a_refused_token_still_signs_the_person_out(api: Api, pages: Pages) -> None:
    await f.programme(api)
    student = api.person(Role.STUDENT)
    forged = student.token[:-4] + ("AAAA" if not student.token.endswith("AAAA") else "BBBB")
    student.token = forged
    page = await pages.visit(student, "/browse")

    await expect(
        page.get_by_role("heading", name="Sign in to open the mentor search")
    ).to_be_visible()
    assert await page.evaluate("sessionStorage.getItem('mentori.token')") is None
