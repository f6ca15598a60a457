"""Real Chromium (Debian's package, driven by Playwright) against a real server."""

from __future__ import annotations

import os
import shutil
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import pytest
from axe_playwright_python.async_playwright import Axe
from playwright.async_api import Browser, BrowserContext, Page, async_playwright, expect
from sqlalchemy.ext.asyncio import AsyncEngine

from tests.clients import Api, Person, until_listening
from tests.clock import FakeClock
from tests.conftest import START, server_settings
from tests.databases import wipe
from tests.environment import IN_CI
from tests.servers import running_server

SCREENSHOTS = Path(__file__).resolve().parent.parent / "screenshots"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
]
LAPTOP = {"width": 1360, "height": 900}
# A change reaches a page within a fraction of a second; the margin is for a loaded CI machine.
expect.set_options(timeout=10_000)
# The subscriptions each page holds once it has loaded.
SUBSCRIPTIONS = {
    "/dashboard": 2,
    "/mentor": 1,
    "/mentor/profile": 1,
    "/browse": 2,
    "/dashboard/briefings": 1,
    "/dashboard/surveys": 1,
    "/dashboard/quiet": 1,
    "/dashboard/report": 1,
    "/dashboard/programmes": 1,
    "/dashboard/catalogue": 1,
    "/dashboard/people": 1,
    "/dashboard/requests": 1,
}
PHONE = {"width": 390, "height": 844}


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """The pages run against PostgreSQL, as a deployment serves them. What they ask of the
    server behaves alike on the embedded default (SQLite): every test of tests/app, services,
    resolvers and schema runs on both. Here only the walks marked `embedded` run on SQLite too,
    the ones a person trying `make run` takes. Without PostgreSQL (a laptop), every page test
    runs on SQLite."""
    if not os.environ.get("TEST_DATABASE_URL"):
        return
    here = Path(__file__).resolve().parent
    dropped = [
        item
        for item in items
        if item.path.is_relative_to(here)
        and getattr(item, "callspec", None) is not None
        and item.callspec.params.get("database") == "sqlite"  # type: ignore[attr-defined]
        and item.get_closest_marker("embedded") is None
    ]
    if dropped:
        config.hook.pytest_deselected(items=dropped)
        gone = set(map(id, dropped))
        items[:] = [item for item in items if id(item) not in gone]


def chromium() -> str:
    """Chromium's path, or a skip that says why (a failure under CI)."""
    path = shutil.which("chromium")
    if path:
        return path
    message = "browser tests need Chromium: apt-get install -y chromium"
    if IN_CI:
        pytest.fail(f"{message}: under CI=true they must not skip")
    pytest.skip(message)


@pytest.fixture
def server_overrides() -> dict[str, object]:
    """Settings of the test's server that differ from the usual; a test sets them with
    `@pytest.mark.parametrize("server_overrides", [{...}])`."""
    return {}


@pytest.fixture
async def api(
    database: tuple[str, AsyncEngine],
    tmp_path_factory: pytest.TempPathFactory,
    server_overrides: dict[str, object],
) -> AsyncIterator[Api]:
    """A server of its own for each browser test, as a deployment has: the shared one has
    seen earlier tests' programmes, whose ids and event numbers the wipe gives out again."""
    url, engine = database
    await wipe(engine)
    settings = server_settings(url, tmp_path_factory.mktemp("mail"), **server_overrides)
    async with (
        running_server(settings, FakeClock(START)) as server,
        httpx.AsyncClient(base_url=server.url, timeout=30) as client,
    ):
        yield Api(server=server, client=client)


@pytest.fixture(scope="session")
async def browser() -> AsyncIterator[Browser]:
    executable = chromium()
    async with async_playwright() as playwright:
        launched = await playwright.chromium.launch(executable_path=executable, args=CHROMIUM_ARGS)
        yield launched
        await launched.close()


@dataclass
class Pages:
    """Each person in their own browser context, as on their own computer."""

    browser: Browser
    api: Api
    contexts: list[BrowserContext] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    subscriptions: int = 0

    async def open(
        self,
        person: Person,
        path: str,
        *,
        viewport: dict[str, int] | None = None,
        init_script: str | None = None,
        subscriptions: int | None = None,
    ) -> Page:
        """The page, loaded and live. `subscriptions`: how many it holds, if not the usual
        (a matched student's search page has no search to keep live)."""
        page = await self.visit(person, path, viewport=viewport, init_script=init_script)
        await expect(page.locator("#live-status")).to_have_attribute("data-state", "live")
        await expect(page.locator("main")).to_have_attribute("aria-busy", "false")
        # A change made before the server listens for the page would reach it only on reload.
        self.subscriptions += SUBSCRIPTIONS[path] if subscriptions is None else subscriptions
        # The page said it is live; under a loaded CI machine its server may still be a while.
        await until_listening(self.api.client, self.subscriptions, within=30)
        return page

    async def visit(
        self,
        person: Person,
        path: str,
        *,
        viewport: dict[str, int] | None = None,
        init_script: str | None = None,
    ) -> Page:
        """The page as it opens, whether or not it goes live."""
        context = await self.browser.new_context(
            viewport=viewport or LAPTOP,  # type: ignore[arg-type]
            accept_downloads=True,
        )
        self.contexts.append(context)
        if init_script:
            await context.add_init_script(init_script)
        page = await context.new_page()
        page.on("pageerror", lambda error: self.errors.append(f"{path}: {error}"))
        await page.goto(f"{self.api.server.url}{path}#token={person.token}")
        return page


@pytest.fixture
async def pages(browser: Browser, api: Api) -> AsyncIterator[Pages]:
    opened = Pages(browser, api)
    yield opened
    for context in opened.contexts:
        await context.close()
    assert not opened.errors, f"the pages threw: {opened.errors}"


async def screenshot(page: Page, name: str) -> Path:
    SCREENSHOTS.mkdir(exist_ok=True)
    path = SCREENSHOTS / f"{name}.png"
    await page.screenshot(path=path, full_page=True, animations="disabled")
    return path


AXE = Axe()
SERIOUS = ("critical", "serious")


async def accessible(page: Page, state: str) -> None:
    """axe-core (the maintained engine, through axe-playwright-python) finds no critical and no
    serious violation on the page as it is now; `state` names what the page shows."""
    results = await AXE.run(page)
    found = [v for v in results.response["violations"] if v.get("impact") in SERIOUS]
    assert not found, f"{state}: " + "; ".join(
        f"{v['impact']} {v['id']} ({v['help']}) at {[n['target'] for n in v['nodes'][:3]]}"
        for v in found
    )
