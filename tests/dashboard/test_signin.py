"""Signing in on a production server, in Chromium: a page's gate offers each identity provider
the server trusts; the code flow (with PKCE, which the fake providers check) ends back on that
page, signed in by an HttpOnly session cookie that the API and the live WebSocket both take;
and signing out ends the session at the server."""

from __future__ import annotations

import httpx
import pytest
from playwright.async_api import Browser, expect
from sqlalchemy.ext.asyncio import AsyncEngine

from tests.dashboard.conftest import accessible, screenshot
from tests.dashboard.signing_in import (
    browser_tab,
    production_site,
    session_cookie,
    sign_in_with,
    used_pkce,
)
from tests.identity_provider import ALUMNA, COORDINATOR, STUDENT, ask

pytestmark = pytest.mark.browser

VIEWER = "{ viewer { name role } }"
# A coordinator by the university's group claim alone (no role claim, as a person's ID token).
GROUP_COORDINATOR = {key: value for key, value in COORDINATOR.items() if key != "role"}


async def test_a_student_signs_in_with_the_university_account_on_the_search_page(
    browser: Browser, database: tuple[str, AsyncEngine], tmp_path_factory: pytest.TempPathFactory
) -> None:
    async with (
        production_site(database, tmp_path_factory.mktemp("mail")) as site,
        browser_tab(browser) as tab,
    ):
        site.providers.university.reset(STUDENT)
        page = tab.page
        await page.goto(f"{site.server.url}/browse")

        gate = page.locator("#gate")
        await expect(gate.get_by_role("heading", level=1)).to_have_text(
            "Sign in to open the mentor search"
        )
        await expect(
            page.get_by_role("link", name="Sign in with University account")
        ).to_be_visible()
        await expect(page.get_by_role("link", name="Sign in with Alumni account")).to_be_visible()
        await expect(page.locator("#token-input")).to_have_count(0)  # production: no tokens
        # An emailed link would make a mentor: the students' page does not offer one.
        await expect(page.get_by_label("Your email address")).to_have_count(0)
        await expect(page.locator("#live-status")).to_have_text("Not signed in")

        await sign_in_with(page, "University account", who="Sanna Opiskelija")

        assert page.url == f"{site.server.url}/browse"  # no code, no state, no token
        await expect(page.locator("#app")).to_be_visible()
        await expect(page.locator("#role-switch")).to_have_count(0)  # one role, no switcher
        await screenshot(page, "signin-student-signed-in")
        assert used_pkce(site.providers.university)
        assert not [a for a in tab.addresses if "id_token" in a or "eyJ" in a]
        assert await page.evaluate("sessionStorage.length") == 0
        assert "mentori_session" not in await page.evaluate("document.cookie")
        cookie = await session_cookie(tab.context)
        assert cookie["httpOnly"] is True
        assert cookie["sameSite"] == "Lax"
        # Signed in by the cookie alone, acting as a student.
        assert tab.bearers == []
        assert set(tab.roles) == {"STUDENT"}


async def test_a_coordinator_by_the_group_claim_lands_on_the_dashboard(
    browser: Browser, database: tuple[str, AsyncEngine], tmp_path_factory: pytest.TempPathFactory
) -> None:
    async with (
        production_site(database, tmp_path_factory.mktemp("mail")) as site,
        browser_tab(browser) as tab,
    ):
        site.providers.university.reset(GROUP_COORDINATOR)
        await tab.page.goto(f"{site.server.url}/dashboard")
        await sign_in_with(tab.page, "University account", who="Kaisa Koordinaattori")

        assert tab.page.url == f"{site.server.url}/dashboard"
        await expect(tab.page.locator("#programme-name")).to_have_text("Mentoring 2026")
        assert set(tab.roles) == {"COORDINATOR"}


async def test_an_alumna_signs_in_through_the_alumni_association_on_the_mentor_inbox(
    browser: Browser, database: tuple[str, AsyncEngine], tmp_path_factory: pytest.TempPathFactory
) -> None:
    async with (
        production_site(database, tmp_path_factory.mktemp("mail")) as site,
        browser_tab(browser) as tab,
    ):
        await tab.page.goto(f"{site.server.url}/mentor")
        await expect(tab.page.get_by_label("Your email address")).to_be_visible()
        await screenshot(tab.page, "signin-gate")
        await accessible(tab.page, "the sign-in gate: providers and the email link")
        await sign_in_with(tab.page, "Alumni account", who=str(ALUMNA["name"]))

        assert tab.page.url == f"{site.server.url}/mentor"
        await expect(tab.page.locator("#profile")).to_be_visible()
        alumni = site.providers.alumni
        assert used_pkce(alumni)  # a public client: the verifier is all it has
        assert "client_secret" not in alumni.token_requests[0]
        assert site.providers.university.authorize_requests == []
        assert set(tab.roles) == {"MENTOR"}


async def test_signing_out_ends_the_session_at_the_server(
    browser: Browser, database: tuple[str, AsyncEngine], tmp_path_factory: pytest.TempPathFactory
) -> None:
    async with (
        production_site(database, tmp_path_factory.mktemp("mail")) as site,
        browser_tab(browser) as tab,
    ):
        page = tab.page
        site.providers.university.reset(GROUP_COORDINATOR)
        await page.goto(f"{site.server.url}/dashboard")
        await sign_in_with(page, "University account", who="Kaisa Koordinaattori")
        old = (await session_cookie(tab.context))["value"]

        await page.get_by_role("button", name="Sign out").click()

        heading = page.get_by_role("heading", name="Sign in to open the coordinator dashboard")
        await expect(heading).to_be_focused()
        await expect(page.get_by_role("status").filter(has_text="signed out")).to_contain_text(
            "You are signed out of Mentori."
        )
        await expect(page.locator("#who")).to_be_empty()
        await expect(page.get_by_role("button", name="Sign out")).to_be_hidden()
        await expect(page.locator("#live-status")).to_have_text("Not signed in")
        await screenshot(page, "signin-signed-out")
        assert [c for c in await tab.context.cookies() if c["name"] == "mentori_session"] == []

        # The cookie taken before no longer signs anybody in.
        async with httpx.AsyncClient(base_url=site.server.url, timeout=30) as client:
            client.cookies.set("mentori_session", old)
            refused = (await ask(client, VIEWER)).json()
        assert refused["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"

        # The university's login still knows her: the page offers its own sign-out.
        also = page.get_by_role("link", name="Also sign out of University account login")
        await also.click()
        await expect(
            page.get_by_text("You are signed out of the identity provider.")
        ).to_be_visible()
        (ended,) = site.providers.university.end_session_requests
        assert ended["post_logout_redirect_uri"] == site.server.url

        await page.goto(f"{site.server.url}/dashboard")
        await expect(heading).to_be_visible()
        await expect(page.locator("#app")).to_be_hidden()
