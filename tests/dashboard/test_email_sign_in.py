"""Signing in by a link in an email, in Chromium: an alumna with no account asks for one on the
mentor inbox's gate, the letter reaches a real SMTP server, and its link's button signs her in
on the inbox, once."""

from __future__ import annotations

import re
from email.message import EmailMessage

import pytest
from playwright.async_api import Browser, expect
from sqlalchemy.ext.asyncio import AsyncEngine

from tests.dashboard.conftest import accessible, screenshot
from tests.dashboard.signing_in import browser_tab, production_site
from tests.mail import SmtpSink, smtp_sink
from tests.waiting import eventually

pytestmark = pytest.mark.browser

ADDRESS = "maija.mentor@example.fi"


async def letter_to(sink: SmtpSink, address: str) -> EmailMessage:
    async def arrived() -> EmailMessage | None:
        found = [m for m in sink.messages() if str(m["To"]) == address]
        return found[-1] if found else None

    return await eventually(arrived, what=f"a letter to {address}", within=30)


def link_in(letter: EmailMessage, base: str) -> str:
    body = letter.get_body(("plain",))
    assert body is not None
    found = re.search(re.escape(base) + r"/auth/email/[A-Za-z0-9_-]+", body.get_content())
    assert found, body.get_content()
    return found.group(0)


async def test_an_alumna_without_an_account_signs_in_by_a_link_in_her_email(
    browser: Browser, database: tuple[str, AsyncEngine], tmp_path_factory: pytest.TempPathFactory
) -> None:
    async with (
        smtp_sink() as sink,
        production_site(database, tmp_path_factory.mktemp("mail"), **sink.settings()) as site,
        browser_tab(browser) as tab,
    ):
        page = tab.page
        await page.goto(f"{site.server.url}/mentor")
        form = page.get_by_role("form", name="Alumni without a university account")
        address = form.get_by_label("Your email address")
        send = form.get_by_role("button", name="Email me a sign-in link")

        await send.click()
        await expect(form.get_by_role("alert")).to_have_text("Enter your email address.")
        await expect(address).to_be_focused()
        await address.fill("maija.mentor")
        await send.click()
        await expect(form.get_by_role("alert")).to_contain_text("That is not an email address")
        await expect(address).to_have_attribute("aria-invalid", "true")
        await accessible(page, "the sign-in gate: an address that is not one")

        await address.fill(ADDRESS)
        await send.click()
        await expect(form.get_by_role("status")).to_contain_text("a link to sign in is on its way")
        await expect(page.locator("#email-link-error")).to_be_empty()
        await screenshot(page, "email-sign-in-asked")
        link = link_in(await letter_to(sink, ADDRESS), site.server.url)

        await page.goto(link)
        await page.get_by_role("button", name="Sign in as m…@example.fi").click()

        await expect(page).to_have_url(f"{site.server.url}/mentor")
        await expect(page.locator("#who")).to_have_text("maija.mentor")
        await expect(page.locator("#live-status")).to_have_attribute("data-state", "live")
        await expect(page.locator("#profile")).to_be_visible()
        await screenshot(page, "email-sign-in-signed-in")
        assert tab.bearers == []
        assert set(tab.roles) == {"MENTOR"}

        await page.goto(link)
        await expect(page.get_by_role("heading")).to_have_text("This link was already used")


async def test_asking_for_links_too_often_is_answered_in_a_sentence(
    browser: Browser, database: tuple[str, AsyncEngine], tmp_path_factory: pytest.TempPathFactory
) -> None:
    async with (
        smtp_sink() as sink,
        production_site(
            database,
            tmp_path_factory.mktemp("mail"),
            sign_in_links_per_address=1,
            **sink.settings(),
        ) as site,
        browser_tab(browser) as tab,
    ):
        page = tab.page
        await page.goto(f"{site.server.url}/mentor")
        form = page.get_by_role("form", name="Alumni without a university account")
        await form.get_by_label("Your email address").fill(ADDRESS)
        send = form.get_by_role("button", name="Email me a sign-in link")
        await send.click()
        await expect(form.get_by_role("status")).to_contain_text("on its way")

        await send.click()

        await expect(form.get_by_role("alert")).to_have_text(
            "A sign-in link was already sent to this address in the last 15 minutes: try "
            "again in 15 minutes."
        )
        await expect(form.get_by_role("status")).to_be_empty()
        await letter_to(sink, ADDRESS)
        assert len(sink.messages()) == 1
