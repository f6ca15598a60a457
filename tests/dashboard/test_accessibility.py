"""axe-core on the pages as each person first sees them, at laptop and phone sizes: no critical
and no serious violation. Each flow's own tests check the states it opens (dialogs, panels)."""

from __future__ import annotations

import pytest

from db.models import Role
from tests import factories as f
from tests.clients import Api
from tests.dashboard.conftest import LAPTOP, PHONE, Pages, accessible, screenshot

pytestmark = pytest.mark.browser


@pytest.mark.parametrize("size", ["laptop", "phone"])
async def test_every_page_as_each_person_first_sees_it(api: Api, pages: Pages, size: str) -> None:
    viewport = LAPTOP if size == "laptop" else PHONE
    coordinator = api.person(Role.COORDINATOR, "Coco Coordinator")
    await f.programme(api)
    mentor, mentor_id = await f.mentor(api, api.person(Role.MENTOR, "Maija Mentor"), capacity=2)
    student = await f.student(api, api.person(Role.STUDENT, "Sami Student"))
    await f.send(api, student, mentor_id, "Could you mentor me this spring?")

    for person, path in ((coordinator, "/dashboard"), (mentor, "/mentor"), (student, "/browse")):
        page = await pages.open(person, path, viewport=viewport)
        await screenshot(page, f"accessibility-{path.strip('/')}-{size}")
        await accessible(page, f"{path} at {size} size")
