"""For the sign-in tests in Chromium: a production Mentori (tests/identity_provider.py) and its
pages in a browser of their own, and people set up through the API with the university's ID
tokens as bearer tokens (as the API's own clients sign in)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import httpx
from playwright.async_api import Browser, BrowserContext, Page, Request, expect
from sqlalchemy.ext.asyncio import AsyncEngine

from db.models import Role
from tests import factories as f
from tests.clients import Api, Person
from tests.dashboard.conftest import LAPTOP
from tests.databases import wipe
from tests.identity_provider import (
    CLIENT_ID,
    COORDINATOR,
    FakeProvider,
    Providers,
    mentori_with_providers,
)
from tests.servers import Server

# Who makes the programme, through the API: not the coordinator a test signs in.
PROGRAMME_MAKER = {
    **COORDINATOR,
    "sub": "federated-coordinator-2",
    "name": "Paula Perustaja",
    "email": "paula@example.edu",
}


@dataclass
class Site:
    """A production server with both providers, a programme, and an API client."""

    server: Server
    providers: Providers
    api: Api

    def bearer(self, claims: dict[str, Any], role: Role) -> Person:
        """Someone signing in to the API with the university's ID token, which names `role`."""
        token = self.providers.university.id_token(
            audience=CLIENT_ID, nonce="api", claims={**claims, "role": role.value}
        )
        return Person(role, claims["sub"], claims["name"], claims["email"], token)


@asynccontextmanager
async def production_site(
    database: tuple[str, AsyncEngine], mail_dir: Path, **overrides: Any
) -> AsyncIterator[Site]:
    url, engine = database
    await wipe(engine)
    async with (
        mentori_with_providers(url, mail_dir, **overrides) as (server, providers),
        httpx.AsyncClient(base_url=server.url, timeout=30) as client,
    ):
        site = Site(server, providers, Api(server=server, client=client))
        await f.programme(site.api, site.bearer(PROGRAMME_MAKER, Role.COORDINATOR))
        yield site


@dataclass
class Tab:
    """One browser (a context of its own) on one page, and what it sent to the API."""

    context: BrowserContext
    page: Page
    errors: list[str] = field(default_factory=list)
    addresses: list[str] = field(default_factory=list)  # every address the tab went to
    roles: list[str | None] = field(default_factory=list)  # X-Mentori-Role of each API request
    # The same, by the path of the page that sent it (a page being left may still send one).
    roles_from: dict[str, set[str | None]] = field(default_factory=dict)
    bearers: list[str] = field(default_factory=list)  # Authorization headers sent to the API

    def heard(self, request: Request) -> None:
        if request.url.endswith("/graphql") and request.method == "POST":
            role = request.headers.get("x-mentori-role")
            self.roles.append(role)
            self.roles_from.setdefault(urlsplit(request.frame.url).path, set()).add(role)
            if "authorization" in request.headers:
                self.bearers.append(request.headers["authorization"])


@asynccontextmanager
async def browser_tab(browser: Browser) -> AsyncIterator[Tab]:
    context = await browser.new_context(viewport=LAPTOP)  # type: ignore[arg-type]
    page = await context.new_page()
    tab = Tab(context, page)
    page.on("pageerror", lambda error: tab.errors.append(str(error)))
    page.on("request", tab.heard)
    page.on("framenavigated", lambda frame: tab.addresses.append(frame.url))
    try:
        yield tab
    finally:
        await context.close()
    assert not tab.errors, f"the pages threw: {tab.errors}"


async def sign_in_with(page: Page, label: str, *, who: str) -> None:
    """From a page's sign-in gate, through the provider's login and back, signed in and live."""
    await page.get_by_role("link", name=f"Sign in with {label}").click()
    await expect(page.locator("#who")).to_have_text(who)
    await expect(page.locator("#live-status")).to_have_attribute("data-state", "live")


async def session_cookie(context: BrowserContext) -> dict[str, Any]:
    found = [dict(c) for c in await context.cookies() if c["name"] == "mentori_session"]
    assert len(found) == 1, found
    return found[0]


def used_pkce(provider: FakeProvider) -> bool:
    """Each code was redeemed with the verifier of its challenge (the provider checks)."""
    asked = provider.token_requests
    return bool(asked) and all(r.get("code_verifier") for r in asked) and not provider.refusals
