"""The catalogue's known codes and ids are remembered per process (services/catalogue.py):
what is not known yet always goes to the database, so additions count at once."""

from __future__ import annotations

import uuid

from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

from db.models import Field, Language
from schema import ids
from tests import factories as f
from tests.services.test_mentors import SEARCH, names, search
from tests.support import Api


async def test_a_language_or_field_added_while_running_is_accepted_at_once(
    api: Api, engine: AsyncEngine
) -> None:
    await f.programme(api)
    await f.mentor(api, displayName="Anna", languages=["fi", "en"])
    student = await f.student(api)
    fields = await f.field_ids(api, student)
    # The codes and ids already in use are known from here on.
    found = await search(
        api, student, {"languages": ["en"], "fields": [fields["Computer Science"]]}
    )
    assert names(found) == {"Anna"}
    code = f"x{uuid.uuid4().hex[:7]}"
    error = await api.error(SEARCH, {"filter": {"languages": [code]}}, as_=student)
    assert error["message"] == f"Unknown language code: {code}."

    async with AsyncSession(engine) as session:
        field = Field(name=f"Field {code}", school="School of Tests")
        session.add_all([Language(code=code, name=f"Language {code}"), field])
        await session.flush()
        new_field = str(ids.encode("Field", field.id))
        await session.commit()

    # Nothing was remembered of the refusal: the new language and field are searchable at once.
    found = await search(api, student, {"languages": [code], "fields": [new_field]})
    assert found["totalCount"] == 0
    await f.mentor(api, displayName="Ben", languages=[code], fields=[f"Field {code}"])
    found = await search(api, student, {"languages": [code], "fields": [new_field]})
    assert names(found) == {"Ben"}
    # An unknown code is still refused once others are known.
    error = await api.error(SEARCH, {"filter": {"languages": [code, "xx"]}}, as_=student)
    assert error["message"] == "Unknown language code: xx."
