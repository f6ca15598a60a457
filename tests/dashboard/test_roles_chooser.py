"""A person holding several roles, in Chromium: each page acts in its own role (X-Mentori-Role
on every request, `role` in the WebSocket's connection_init), the top bar switches between the
pages of the roles held, and a page of a role not held shows the pages of those that are."""

from __future__ import annotations

import json

import pytest
from playwright.async_api import Browser, WebSocket, expect
from sqlalchemy.ext.asyncio import AsyncEngine

from db.models import Role
from tests import factories as f
from tests.dashboard.conftest import PHONE, accessible, screenshot
from tests.dashboard.signing_in import browser_tab, production_site, sign_in_with
from tests.identity_provider import STUDENT

pytestmark = pytest.mark.browser

SANNA = str(STUDENT["name"])


async def test_a_student_who_mentors_switches_between_her_two_pages(
    browser: Browser, database: tuple[str, AsyncEngine], tmp_path_factory: pytest.TempPathFactory
) -> None:
    async with (
        production_site(database, tmp_path_factory.mktemp("mail")) as site,
        browser_tab(browser) as tab,
    ):
        # A doctoral student who also mentors: the API's token made her a mentor, and the
        # university's claims make her a student.
        await f.mentor(site.api, site.bearer(STUDENT, Role.MENTOR), publish=False)
        site.providers.university.reset(STUDENT)
        page = tab.page
        acting: list[str] = []

        def on_socket(socket: WebSocket) -> None:
            def sent(payload: str | bytes) -> None:
                message = json.loads(payload)
                if message["type"] == "connection_init":
                    acting.append(message["payload"].get("role"))

            socket.on("framesent", sent)

        page.on("websocket", on_socket)
        await page.goto(f"{site.server.url}/mentor")
        await sign_in_with(page, "University account", who=SANNA)

        switcher = page.get_by_role("navigation", name="Act as")
        await expect(switcher.get_by_role("link")).to_have_text(["Mentor", "Student"])
        await expect(switcher.get_by_role("link", name="Mentor")).to_have_attribute(
            "aria-current", "true"
        )
        await expect(page.locator("#profile-body")).to_contain_text("Engineering manager")
        await screenshot(page, "roles-switcher-mentor")
        assert set(tab.roles) == {"MENTOR"}
        assert acting == ["MENTOR"]

        await switcher.get_by_role("link", name="Student").click()
        await expect(page).to_have_url(f"{site.server.url}/browse")
        await expect(page.locator("#live-status")).to_have_attribute("data-state", "live")
        await expect(page.locator("#who")).to_have_text(SANNA)
        await expect(switcher.get_by_role("link", name="Student")).to_have_attribute(
            "aria-current", "true"
        )
        await expect(
            page.get_by_role("heading", name="Tell us about your studies first")
        ).to_be_visible()
        assert tab.roles_from == {"/mentor": {"MENTOR"}, "/browse": {"STUDENT"}}
        assert acting == ["MENTOR", "STUDENT"]

        # On a phone the top bar keeps to one line, the switcher in it.
        await page.set_viewport_size(PHONE)  # type: ignore[arg-type]
        await expect(switcher).to_be_in_viewport()
        assert await page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
        await screenshot(page, "roles-switcher-phone")


async def test_a_page_of_a_role_not_held_offers_the_pages_of_those_held(
    browser: Browser, database: tuple[str, AsyncEngine], tmp_path_factory: pytest.TempPathFactory
) -> None:
    async with (
        production_site(database, tmp_path_factory.mktemp("mail")) as site,
        browser_tab(browser) as tab,
    ):
        await f.mentor(site.api, site.bearer(STUDENT, Role.MENTOR), publish=False)
        site.providers.university.reset(STUDENT)
        page = tab.page
        await page.goto(f"{site.server.url}/browse")
        await sign_in_with(page, "University account", who=SANNA)

        await page.goto(f"{site.server.url}/dashboard")

        chooser = page.locator("#role-chooser")
        await expect(chooser.get_by_role("heading")).to_have_text("This page is for coordinators")
        await expect(chooser.get_by_role("link")).to_have_text(
            ["The mentor inbox", "The mentor search"]
        )
        await expect(page.locator("#app")).to_be_hidden()
        await expect(page.locator("#live-status")).to_have_text("Not for this role")
        await accessible(page, "the role chooser")
        await screenshot(page, "roles-chooser")

        await chooser.get_by_role("link", name="The mentor search").click()
        await expect(page).to_have_url(f"{site.server.url}/browse")
        await expect(page.locator("#live-status")).to_have_attribute("data-state", "live")
        await expect(page.locator("#who")).to_have_text(SANNA)
