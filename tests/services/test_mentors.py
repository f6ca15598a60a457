"""Searching mentors: every filter, Relay pages, and who sees which mentors."""

from __future__ import annotations

from typing import Any

import pytest

from db.models import Role
from tests import factories as f
from tests.clients import Api, Person

SEARCH = """
query($filter: MentorFilter, $first: Int, $after: String) {
  mentors(filter: $filter, first: $first, after: $after) {
    totalCount
    pageInfo { hasNextPage hasPreviousPage startCursor endCursor }
    edges { cursor node { id displayName availability languages { code } degreeLevels
                          fields { name } hasDoctorate location city remoteOk } }
  }
}"""


async def search(
    api: Api, person: Person, flt: dict[str, Any] | None = None, **page: Any
) -> dict[str, Any]:
    data = await api.ok(SEARCH, {"filter": flt, **page}, as_=person)
    found: dict[str, Any] = data["mentors"]
    return found


def names(found: dict[str, Any]) -> set[str]:
    return {edge["node"]["displayName"] for edge in found["edges"]}


async def three_mentors(api: Api) -> None:
    """Anna, Ben and Cia: different enough that every filter tells them apart."""
    await f.programme(api)
    await f.mentor(
        api,
        displayName="Anna",
        headline="Engineering manager",
        languages=["fi", "sv"],
        degree_levels=["MASTERS"],
        fields=["Computer Science"],
        hasDoctorate=False,
        location="FINLAND",
        city="Espoo",
        remoteOk=True,
    )
    await f.mentor(
        api,
        displayName="Ben",
        headline="Quantitative analyst",
        careerExperience="Built risk models for a Nordic bank.",
        languages=["en"],
        degree_levels=["MASTERS", "DOCTORAL"],
        fields=["Finance"],
        hasDoctorate=True,
        location="ABROAD",
        city="Berlin",
        remoteOk=True,
    )
    await f.mentor(
        api,
        displayName="Cia",
        headline="Service designer",
        languages=["de", "en"],
        degree_levels=["DOCTORAL"],
        fields=["Design"],
        hasDoctorate=True,
        location="FINLAND",
        city="Helsinki",
        remoteOk=False,
    )


@pytest.mark.parametrize(
    ("flt", "expected"),
    [
        ({}, {"Anna", "Ben", "Cia"}),
        ({"languages": ["sv"]}, {"Anna"}),
        ({"languages": ["de", "sv"]}, {"Anna", "Cia"}),
        ({"languages": ["EN"]}, {"Ben", "Cia"}),
        ({"degreeLevel": "DOCTORAL"}, {"Ben", "Cia"}),
        ({"degreeLevel": "MASTERS"}, {"Anna", "Ben"}),
        ({"fields": ["Finance"]}, {"Ben"}),
        ({"fields": ["Finance", "Design"]}, {"Ben", "Cia"}),
        ({"hasDoctorate": True}, {"Ben", "Cia"}),
        ({"hasDoctorate": False}, {"Anna"}),
        ({"location": "ABROAD"}, {"Ben"}),
        ({"location": "FINLAND"}, {"Anna", "Cia"}),
        ({"remoteOk": False}, {"Cia"}),
        ({"text": "risk"}, {"Ben"}),
        ({"text": "HELSINKI"}, {"Cia"}),
        ({"text": "analyst berlin"}, {"Ben"}),
        ({"text": "analyst helsinki"}, set()),
        # % and _ are letters to find, not wildcards.
        ({"text": "an_lyst"}, set()),
        ({"text": "ana%yst"}, set()),
        ({"languages": ["en"], "hasDoctorate": True, "location": "FINLAND"}, {"Cia"}),
    ],
)
async def test_each_filter_finds_exactly_the_mentors_it_describes(
    api: Api, flt: dict[str, Any], expected: set[str]
) -> None:
    await three_mentors(api)
    student = await f.student(api)
    if "fields" in flt:
        known = await f.field_ids(api, student)
        flt = {**flt, "fields": [known[name] for name in flt["fields"]]}
    found = await search(api, student, flt)
    assert names(found) == expected
    assert found["totalCount"] == len(expected)


async def test_a_listed_mentor_shows_their_languages_levels_and_fields(api: Api) -> None:
    await three_mentors(api)
    found = await search(api, await f.student(api), {"text": "Ben"})
    (ben,) = [edge["node"] for edge in found["edges"]]
    assert {lang["code"] for lang in ben["languages"]} == {"en"}
    assert set(ben["degreeLevels"]) == {"MASTERS", "DOCTORAL"}
    assert [field["name"] for field in ben["fields"]] == ["Finance"]
    assert (ben["hasDoctorate"], ben["location"], ben["city"], ben["remoteOk"]) == (
        True,
        "ABROAD",
        "Berlin",
        True,
    )


async def mentors_in_every_state(api: Api) -> dict[str, str]:
    """One mentor per availability (and a withdrawn one): name -> id."""
    await f.programme(api)
    ids: dict[str, str] = {}
    _, ids["available"] = await f.mentor(api, displayName="Available")
    _, ids["busy"] = await f.mentor(api, displayName="Busy", capacity=2)
    for _ in range(2):
        await f.send(api, await f.student(api), ids["busy"])
    full, ids["full"] = await f.mentor(api, displayName="Full", capacity=1)
    await api.ok(f.ACCEPT, {"id": await f.send(api, await f.student(api), ids["full"])}, as_=full)
    _, ids["draft"] = await f.mentor(api, displayName="Draft", publish=False)
    gone, ids["withdrawn"] = await f.mentor(api, displayName="Withdrawn")
    await api.ok("mutation { withdrawMentorProfile { id } }", as_=gone)
    return ids


async def test_students_see_only_listed_mentors_whatever_they_ask_for(api: Api) -> None:
    await mentors_in_every_state(api)
    student = await f.student(api)
    assert names(await search(api, student)) == {"Available", "Busy"}
    assert names(await search(api, student, {"availability": ["BUSY"]})) == {"Busy"}
    for hidden in (["FULL"], ["HIDDEN"], ["FULL", "HIDDEN"]):
        found = await search(api, student, {"availability": hidden})
        assert found["totalCount"] == 0
        assert found["edges"] == []


async def test_coordinators_see_every_mentor_and_can_filter_by_availability(api: Api) -> None:
    await mentors_in_every_state(api)
    coordinator = api.person(Role.COORDINATOR)
    everyone = await search(api, coordinator)
    assert names(everyone) == {"Available", "Busy", "Full", "Draft", "Withdrawn"}
    states = {e["node"]["displayName"]: e["node"]["availability"] for e in everyone["edges"]}
    assert states == {
        "Available": "AVAILABLE",
        "Busy": "BUSY",
        "Full": "FULL",
        "Draft": "HIDDEN",
        "Withdrawn": "HIDDEN",
    }
    assert names(await search(api, coordinator, {"availability": ["FULL"]})) == {"Full"}
    hidden = await search(api, coordinator, {"availability": ["HIDDEN"]})
    assert names(hidden) == {"Draft", "Withdrawn"}


async def test_mentors_may_not_browse_other_mentors(api: Api) -> None:
    await three_mentors(api)
    mentor, _ = await f.mentor(api)
    error = await api.error(SEARCH, as_=mentor)
    assert error["extensions"]["code"] == "FORBIDDEN"
    assert error["message"] == "Only a student or coordinator can do that."


async def test_nobody_signed_out_can_search(api: Api) -> None:
    await three_mentors(api)
    error = await api.error(SEARCH)
    assert error["extensions"]["code"] == "UNAUTHENTICATED"
    assert "Sign in" in error["message"]


async def test_pages_walk_every_mentor_once_with_the_total_on_each_page(api: Api) -> None:
    await f.programme(api)
    made = {(await f.mentor(api, displayName=f"Mentor {n}"))[1] for n in range(7)}
    student = await f.student(api)
    seen: list[str] = []
    after = None
    pages = []
    while True:
        page = await search(api, student, first=3, after=after)
        pages.append(page)
        seen += [edge["node"]["id"] for edge in page["edges"]]
        if not page["pageInfo"]["hasNextPage"]:
            break
        after = page["pageInfo"]["endCursor"]
    assert [len(p["edges"]) for p in pages] == [3, 3, 1]
    assert all(p["totalCount"] == 7 for p in pages)
    assert len(seen) == 7
    assert set(seen) == made
    assert [p["pageInfo"]["hasPreviousPage"] for p in pages] == [False, True, True]
    for page in pages:
        assert page["pageInfo"]["startCursor"] == page["edges"][0]["cursor"]
        assert page["pageInfo"]["endCursor"] == page["edges"][-1]["cursor"]


async def test_a_page_past_the_last_mentor_is_empty_and_keeps_the_total(api: Api) -> None:
    await f.programme(api)
    for n in range(3):
        await f.mentor(api, displayName=f"Mentor {n}")
    student = await f.student(api)
    last = await search(api, student, first=3)
    assert last["pageInfo"]["hasNextPage"] is False
    past = await search(api, student, first=3, after=last["pageInfo"]["endCursor"])
    assert past["edges"] == []
    assert past["totalCount"] == 3
    assert past["pageInfo"]["hasNextPage"] is False
    assert past["pageInfo"]["hasPreviousPage"] is True


async def test_the_total_counts_every_match_not_only_the_page(api: Api) -> None:
    await f.programme(api)
    for n in range(4):
        await f.mentor(api, displayName=f"Swedish {n}", languages=["sv"])
    await f.mentor(api, displayName="Finnish", languages=["fi"])
    page = await search(api, await f.student(api), {"languages": ["sv"]}, first=2)
    assert page["totalCount"] == 4
    assert len(page["edges"]) == 2
    assert page["pageInfo"]["hasNextPage"] is True


async def test_an_empty_search_is_an_empty_page_not_an_error(api: Api) -> None:
    await three_mentors(api)
    page = await search(api, await f.student(api), {"text": "astronaut"})
    assert page == {
        "totalCount": 0,
        "pageInfo": {
            "hasNextPage": False,
            "hasPreviousPage": False,
            "startCursor": None,
            "endCursor": None,
        },
        "edges": [],
    }


@pytest.mark.parametrize(
    ("page", "flt", "message"),
    [
        ({"first": 0}, None, "Ask for between 1 and 100 items at a time."),
        ({"first": 101}, None, "Ask for between 1 and 100 items at a time."),
        ({"first": -5}, None, "Ask for between 1 and 100 items at a time."),
        ({"after": "not-a-cursor"}, None, "That cursor is not one this API gave out."),
        # base64 of "after:99999999999999999999": well formed, but no row has such an id
        (
            {"after": "YWZ0ZXI6OTk5OTk5OTk5OTk5OTk5OTk5OTk="},
            None,
            "That cursor is not one this API gave out.",
        ),
        ({}, {"languages": ["xx"]}, "Unknown language code: xx."),
        ({}, {"fields": ["RmllbGQ6OTk5OTk5"]}, "Unknown field id: 999999."),
        ({}, {"fields": ["garbage"]}, "'garbage' is not the id of a Field."),
    ],
)
async def test_bad_search_input_is_refused_with_a_sentence(
    api: Api, page: dict[str, Any], flt: dict[str, Any] | None, message: str
) -> None:
    await three_mentors(api)
    error = await api.error(SEARCH, {"filter": flt, **page}, as_=await f.student(api))
    assert error["extensions"]["code"] == "INVALID_INPUT"
    assert error["message"] == message


@pytest.mark.parametrize("words", ["öhman", "ÖHMAN", "Öhman", "åström"])
async def test_free_text_finds_finnish_and_swedish_letters_in_any_case(
    api: Api, words: str
) -> None:
    await f.programme(api)
    await f.mentor(api, displayName="Lauri Öhman", headline="Åström & Co, Turku")
    await f.mentor(api, displayName="Olli Ohman")
    found = await search(api, await f.student(api), {"text": words})
    assert names(found) == {"Lauri Öhman"}


@pytest.mark.parametrize(
    ("words", "expected"),
    [
        ("snake_case", {"Sami"}),
        ("100%", {"Pia"}),
        ("c:\\users", {"Bo"}),
        ("snakecase", {"Sakari"}),
    ],
)
async def test_free_text_finds_percent_underscore_and_backslash_as_written(
    api: Api, words: str, expected: set[str]
) -> None:
    await f.programme(api)
    await f.mentor(api, displayName="Sami", headline="Writes snake_case Python")
    # Found for "snake_case" if _ were dropped, or were the one-letter wildcard.
    await f.mentor(api, displayName="Sakari", headline="Prefers snakecase, or snake-case")
    await f.mentor(api, displayName="Pia", headline="Works 100% remote")
    await f.mentor(api, displayName="Pekka", headline="1000 remote days")
    await f.mentor(api, displayName="Bo", headline="Windows admin: C:\\Users is home")
    found = await search(api, await f.student(api), {"text": words})
    assert names(found) == expected
