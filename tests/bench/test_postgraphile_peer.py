"""The bench's PostGraphile peer finds the mentors Mentori finds, on a tiny seeded database.
Runs only where `npm ci --prefix bench/postgraphile` (`make bench`) has installed it: the
tests never install npm packages."""

from __future__ import annotations

import asyncio
import os

import pytest

from app.settings import Settings
from bench import database, postgraphile_peer, search, servers
from bench.plan import TINY
from schema import ids
from tests.environment import need


@pytest.mark.slow
@pytest.mark.postgres
def test_postgraphile_finds_the_same_mentors_as_mentori() -> None:
    if not postgraphile_peer.installed():
        pytest.skip(f"PostGraphile is not installed ({postgraphile_peer.INSTALL})")
    url = need("PostgreSQL", "TEST_DATABASE_URL")
    name = f"mentori_bench_peer_test_{os.getpid()}"
    try:
        db = asyncio.run(
            database.prepare(url, mentors=TINY.mentors, students=TINY.students, working=name)
        )
        asyncio.run(postgraphile_peer.create_search(db.dsn))
        filters = asyncio.run(search.search_filters(db.dsn, 6))
        settings = Settings(database_url=db.url)
        tokens = asyncio.run(search.student_tokens(db.dsn, settings, 1))
        # Broad ones too, so that a page fills and the total passes the page's 20.
        every_field = [str(ids.encode("Field", f)) for f in asyncio.run(search.field_ids(db.dsn))]
        filters += [
            {"languages": ["EN", "fi"], "degreeLevel": "MASTERS", "fields": every_field},
            {"languages": ["sv"], "degreeLevel": "DOCTORAL", "fields": every_field[:3]},
        ]
        asked = search.searches(filters, tokens)
        with servers.mentori(db.url) as mentori, servers.postgraphile(db.dsn, settings) as peer:
            checked = search.same_answers(mentori, peer, asked, count=len(filters))
    finally:
        asyncio.run(database.drop(url, name, f"{name}_seed_{TINY.mentors}_{TINY.students}"))
    assert checked["same"], checked["differing"]
    assert checked["totals"][-2] > 20, checked["totals"]
