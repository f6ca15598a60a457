"""`#token=` links, in Chromium: a development server signs the person in with the link's token
(the links `make run` prints) with a bearer token kept in the tab; a production server never does,
so another site's link cannot sign a visitor in as someone else (login CSRF), nor replace the
session its own sign-in opened. And the pages run under their Content-Security-Policy
without a single violation."""

from __future__ import annotations

import pytest
from playwright.async_api import Browser, Page, expect
from sqlalchemy.ext.asyncio import AsyncEngine

from db.models import Role
from tests import factories as f
from tests.clients import Api
from tests.dashboard.conftest import Pages
from tests.dashboard.signing_in import browser_tab, sign_in_with
from tests.databases import wipe
from tests.identity_provider import CLIENT_ID, mentori_with_a_coordinator, mentori_with_sign_in

pytestmark = pytest.mark.browser

# Every Content-Security-Policy violation on the page, as the browser reports it.
RECORD_VIOLATIONS = """
window.cspViolations = [];
document.addEventListener("securitypolicyviolation", (event) => {
  window.cspViolations.push(`${event.violatedDirective} ${event.blockedURI}`);
});
"""
ATTACKER = {
    "sub": "federated-coordinator-666",
    "role": "COORDINATOR",
    "name": "Mallory Attacker",
    "email": "mallory@example.com",
}


async def stored_token(page: Page) -> str | None:
    token: str | None = await page.evaluate("sessionStorage.getItem('mentori.token')")
    return token


async def test_in_development_a_token_link_signs_in(api: Api, pages: Pages) -> None:
    await f.programme(api)
    student = await f.student(api, api.person(Role.STUDENT, "Sami Student"))
    page = await pages.open(student, "/browse")
    await expect(page.locator("#who")).to_have_text("Sami Student")
    assert "token" not in page.url
    assert await stored_token(page) == student.token


async def test_in_development_a_pasted_token_signs_in_until_signing_out(
    api: Api, browser: Browser
) -> None:
    await f.programme(api)
    mentor, _ = await f.mentor(api, api.person(Role.MENTOR, "Maija Mentor"))
    async with browser_tab(browser) as tab:
        page = tab.page
        await page.goto(f"{api.server.url}/mentor")
        await expect(page.locator("#gate")).to_contain_text("mentori token mentor")
        await page.get_by_label("Or paste a token").fill(mentor.token)
        await page.get_by_role("button", name="Sign in", exact=True).click()

        await expect(page.locator("#who")).to_have_text("Maija Mentor")
        await expect(page.locator("#live-status")).to_have_attribute("data-state", "live")
        assert set(tab.bearers) == {f"Bearer {mentor.token}"}
        assert set(tab.roles) == {"MENTOR"}

        await page.get_by_role("button", name="Sign out").click()
        await expect(
            page.get_by_role("heading", name="Sign in to open the mentor inbox")
        ).to_be_visible()
        assert await stored_token(page) is None


@pytest.mark.parametrize("path", ["/dashboard", "/mentor", "/browse"])
async def test_each_page_runs_under_its_content_security_policy(
    api: Api, pages: Pages, path: str
) -> None:
    coordinator = api.person(Role.COORDINATOR)
    await f.programme(api, coordinator)
    mentor, _ = await f.mentor(api, capacity=2)
    student = await f.student(api)
    person = {"/dashboard": coordinator, "/mentor": mentor, "/browse": student}[path]
    page = await pages.open(person, path, init_script=RECORD_VIOLATIONS)
    if path == "/mentor":
        await expect(page.locator(".meter span")).to_have_count(1)
        assert await page.evaluate("document.querySelector('.meter span').style.width") == "0%"
    assert await page.evaluate("window.cspViolations") == []


async def test_in_production_a_token_link_signs_nobody_in(
    browser: Browser, database: tuple[str, AsyncEngine], tmp_path_factory: pytest.TempPathFactory
) -> None:
    await wipe(database[1])
    async with (
        mentori_with_sign_in(database[0], tmp_path_factory.mktemp("mail")) as (server, provider),
        browser_tab(browser) as tab,
    ):
        provider.person = ATTACKER
        token = provider.id_token(audience=CLIENT_ID, nonce="theirs")  # valid, and Mallory's
        page = tab.page
        await page.goto(f"{server.url}/dashboard#token={token}")
        await expect(page.get_by_role("alert")).to_contain_text("work on development servers only")
        await expect(
            page.get_by_role("link", name="Sign in with University account")
        ).to_be_visible()
        await expect(page.locator("#who")).not_to_have_text("Mallory Attacker")
        assert token not in page.url
        assert await stored_token(page) is None
        assert tab.bearers == []


async def test_in_production_a_token_link_does_not_replace_who_is_signed_in(
    browser: Browser, database: tuple[str, AsyncEngine], tmp_path_factory: pytest.TempPathFactory
) -> None:
    mail_dir = tmp_path_factory.mktemp("mail")
    async with (
        mentori_with_a_coordinator(database, mail_dir) as (server, provider),
        browser_tab(browser) as tab,
    ):
        page = tab.page
        await page.goto(f"{server.url}/dashboard")
        await sign_in_with(page, "University account", who="Kaisa Koordinaattori")

        provider.person = ATTACKER
        token = provider.id_token(audience=CLIENT_ID, nonce="theirs")
        await page.goto(f"{server.url}/dashboard#token={token}")
        await expect(page.locator("#live-status")).to_have_attribute("data-state", "live")
        await expect(page.locator("#who")).to_have_text("Kaisa Koordinaattori")
        assert await stored_token(page) is None
        assert token not in page.url
        assert tab.bearers == []
