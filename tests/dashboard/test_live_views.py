"""Students' /browse pages in Chromium keep their lists equal to the database through random
sequences of changes, beside graphql-transport-ws clients with other filters; the students who
ask watch their own pages, and one of them is accepted now and then (the model and the
changes: tests/live_views.py)."""

from __future__ import annotations

import random
from contextlib import AsyncExitStack

import pytest
from playwright.async_api import Page

from tests.clients import Api, Person
from tests.dashboard.conftest import Pages
from tests.live_views import (
    ClientWatcher,
    Report,
    View,
    Watcher,
    World,
    check_sequences,
    seed,
    sequences,
    until_in_place,
    watched_filters,
)

pytestmark = [pytest.mark.browser, pytest.mark.embedded]

# The cards a student sees, not those leaving: (mentor id, availability, capacity, places left).
CARDS = """() => [...document.querySelectorAll("#results [data-mentor]:not([data-leaving])")]
  .map((card) => [card.dataset.mentor, card.dataset.availability,
                  Number(card.dataset.capacity), Number(card.dataset.remainingCapacity)])"""


class PageWatcher:
    """A student's /browse page, with the page's own filter (the student's degree level)."""

    def __init__(self, name: str, api: Api, person: Person, page: Page, level: str) -> None:
        self.name, self.api, self.person, self.page = name, api, person, page
        self.filter: dict[str, object] = {"degreeLevel": level}

    async def view(self) -> View:
        cards = await self.page.evaluate(CARDS)
        return {
            mentor_id: (availability, capacity, left)
            for mentor_id, availability, capacity, left in cards
        }

    async def search_again(self) -> None:
        await self.page.locator("#filters").evaluate("(form) => form.requestSubmit()")

    def problems(self) -> list[str]:
        return []

    def subscriptions(self, matched: bool) -> int:
        return 1 if matched else 2  # its requests, and the search's unless matched


@pytest.mark.parametrize("database", ["sqlite"], indirect=True)
@pytest.mark.parametrize("server_overrides", [{"scheduler_enabled": False}])
async def test_pages_and_clients_keep_their_lists_equal_to_the_database(
    api: Api, pages: Pages
) -> None:
    report = Report(seed())
    expire = api.server.app.state.scheduler.run_round
    world = World(random.Random(report.seed), [api], [api.server.clock], expire)
    await world.create()
    watchers: list[Watcher] = []
    async with AsyncExitStack() as stack:

        async def watch(person: Person, flt: dict[str, object]) -> Watcher:
            name = f"client {len(watchers) + 1}"
            watcher = ClientWatcher(name, api, person, flt, world.programme_id)
            await watcher.start(stack, acts=False)
            await until_in_place(api, [*watchers, watcher], world)
            await watcher.search()
            return watcher

        async def open_page(student: Person, level: str = "MASTERS") -> Watcher:
            # Matched students' pages hold one subscription less: counted here, exactly.
            page = await pages.open(student, "/browse", subscriptions=0)
            watcher = PageWatcher(f"page {len(watchers) + 1}", api, student, page, level)
            await until_in_place(api, [*watchers, watcher], world)
            return watcher

        await world.top_up(listed=6, students=4)
        for flt in watched_filters(world)[::2]:
            watchers.append(await watch(await world.add_student(), flt))
        # A doctoral student's page watches (another filter, so another execution than the
        # pages of the students who ask), and never asks.
        watchers.append(await open_page(await world.add_student("DOCTORAL"), "DOCTORAL"))
        await check_sequences(
            world, watchers, count=sequences(8), add_actor=open_page, actors=1, report=report
        )
    print(report)
    assert not report.failures, "\n".join(report.failures)
