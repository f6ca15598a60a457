"""The live updates judge filters in memory (services.search.picks) where the search runs SQL
(services.search.filter_query): for every mentor and filter here, both must pick alike, on
SQLite and on PostgreSQL."""

from __future__ import annotations

import itertools

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

from db.models import DegreeLevel, Field, Location, MentorProfile, Programme
from services import search
from services.search import MentorFilter
from tests import factories as f
from tests.clients import Api
from tests.services.test_mentors import three_mentors


async def test_in_memory_filters_pick_exactly_what_the_search_query_picks(
    api: Api, engine: AsyncEngine
) -> None:
    await three_mentors(api)
    # Words the text search must treat as written: accents, capitals, % and _.
    await f.mentor(
        api,
        displayName="Åsa Öberg",
        headline="100% snake_case ÉTUDES",
        languages=["sv"],
        degree_levels=["MASTERS", "DOCTORAL"],
        fields=["Finance", "Design"],
        location="FINLAND",
        city="Turku",
    )
    async with AsyncSession(engine) as session:
        programme = (await session.scalars(select(Programme))).one()
        field_ids = list(await session.scalars(select(Field.id).order_by(Field.id).limit(3)))
        mentor_ids = list(await session.scalars(select(MentorProfile.id)))
        facts = await search.mentor_facts(session, mentor_ids)
        filters = [
            MentorFilter(),
            *(MentorFilter(languages=langs) for langs in (("sv",), ("EN",), ("de", "fi"), ("xx",))),
            *(MentorFilter(degree_level=level) for level in DegreeLevel),
            *(MentorFilter(field_ids=ids) for ids in ((field_ids[0],), tuple(field_ids))),
            MentorFilter(has_doctorate=True),
            MentorFilter(has_doctorate=False),
            *(MentorFilter(location=place) for place in Location),
            MentorFilter(remote_ok=False),
            *(
                MentorFilter(text=text)
                for text in (
                    "risk",
                    "HELSINKI",
                    "analyst berlin",
                    "åsa",
                    "ÖBERG études",
                    "100%",
                    "snake_case",
                    "an_lyst",
                    "ana%yst",
                )
            ),
            *(
                MentorFilter(languages=("en", "sv"), degree_level=level, has_doctorate=doc)
                for level, doc in itertools.product(DegreeLevel, (True, False))
            ),
        ]
        disagreements = []
        picked_somewhere = 0
        for flt in filters:
            query = search.filter_query(programme, flt, listed_only=False)
            by_sql = set(await session.scalars(query.with_only_columns(MentorProfile.id)))
            in_memory = {m for m in mentor_ids if search.picks(flt, facts[m])}
            picked_somewhere += bool(by_sql)
            if by_sql != in_memory:
                disagreements.append((flt, sorted(by_sql), sorted(in_memory)))
    assert len(mentor_ids) == 4
    assert set(facts) == set(mentor_ids)
    assert disagreements == []
    assert picked_somewhere > len(filters) // 2  # the filters are not all empty-handed
