"""Signing in on a production server, in Chromium: the page without a token offers the
university's login, and the round trip through the identity provider ends on the page, signed in."""

from __future__ import annotations

import httpx
import pytest
from playwright.async_api import Browser, expect
from sqlalchemy.ext.asyncio import AsyncEngine

from db.models import Role
from tests import factories as f
from tests.conftest import wipe
from tests.dashboard.conftest import LAPTOP, screenshot
from tests.identity_provider import CLIENT_ID, mentori_with_sign_in
from tests.support import Api, Person


@pytest.mark.browser
async def test_signing_in_with_the_university_account_opens_the_dashboard(
    browser: Browser,
    database: tuple[str, AsyncEngine],
    tmp_path_factory: pytest.TempPathFactory,
) -> None:
    url, engine = database
    await wipe(engine)
    async with (
        mentori_with_sign_in(url, tmp_path_factory.mktemp("mail")) as (server, provider),
        httpx.AsyncClient(base_url=server.url, timeout=30) as client,
    ):
        # The coordinator the provider will sign in has a programme, made through the API.
        person = provider.person
        token = provider.id_token(audience=CLIENT_ID, nonce="api")
        coordinator = Person(
            Role.COORDINATOR, person["sub"], person["name"], person["email"], token
        )
        await f.programme(Api(server=server, client=client), coordinator)

        context = await browser.new_context(viewport=LAPTOP)  # type: ignore[arg-type]
        errors: list[str] = []
        try:
            page = await context.new_page()
            page.on("pageerror", lambda error: errors.append(str(error)))
            await page.goto(f"{server.url}/dashboard")

            sign_in = page.get_by_role("link", name="Sign in with your university account")
            await expect(sign_in).to_be_visible()
            # Production: no development tokens to paste.
            await expect(page.locator("#token-input")).to_have_count(0)
            await screenshot(page, "signin-gate")

            await sign_in.click()

            await expect(page).to_have_url(f"{server.url}/dashboard")  # the token left the URL
            await expect(page.locator("#who")).to_have_text("Kaisa Koordinaattori")
            await expect(page.locator("#programme-name")).to_have_text("Mentoring 2026")
            await expect(page.locator("#live-status")).to_have_attribute("data-state", "live")
            assert len(provider.authorize_requests) == 1
        finally:
            await context.close()
        assert not errors, f"the pages threw: {errors}"


@pytest.mark.browser
async def test_an_answer_to_a_sign_in_this_browser_did_not_start_is_refused(
    browser: Browser,
    database: tuple[str, AsyncEngine],
    tmp_path_factory: pytest.TempPathFactory,
) -> None:
    async with mentori_with_sign_in(database[0], tmp_path_factory.mktemp("mail")) as (
        server,
        provider,
    ):
        # Another site's link carrying a valid token for someone: this browser never asked.
        token = provider.id_token(audience=CLIENT_ID, nonce="theirs")
        context = await browser.new_context(viewport=LAPTOP)  # type: ignore[arg-type]
        try:
            page = await context.new_page()
            await page.goto(f"{server.url}/auth/callback#id_token={token}&state=forged:/dashboard")
            await expect(page.get_by_role("heading")).to_have_text("Sign-in did not finish")
            await expect(page.get_by_role("alert")).to_contain_text("not belong to a sign-in")
            assert token not in page.url
            assert await page.evaluate("sessionStorage.length") == 0
        finally:
            await context.close()
