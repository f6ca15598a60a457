"""Identity checks against the alumni register: mentors found by name and date of birth are
verified and their date of birth cleared at once; near misses say which half matched, never a
date; a file that is not the register changes nothing; where the programme asks for the check
first, an unchecked mentor cannot publish (rule 2)."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import date
from typing import Any

import httpx
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine

from db.engine import create_sessionmaker
from db.models import MentorProfile, Role
from schema.ids import decode
from tests import factories as f
from tests.clients import Api, Person
from tests.databases import dump, logged
from tests.servers import running_server

IMPORT = """mutation($csv: String!, $programmeId: ID) {
  importAlumniRegister(csv: $csv, programmeId: $programmeId) {
    rowsRead verifiedCount nearMissCount unmatchedRows unreadableCount summary
    verified { mentor { id displayName identityVerified } registerName degree line }
    nearMisses { mentor { id displayName } reason lines }
    unreadable { line message }
  }
}"""
CONFIRM = """mutation($id: ID!) {
  confirmMentorIdentity(mentorId: $id) { id identityVerified }
}"""
MINE = "{ myMentorProfile { status identityVerified identityDateHeld } }"
CHECK = "query { checkMentorProfile(input: {}) { field message } }"
UPDATE = """mutation($input: MentorProfileInput!) {
  updateMentorProfile(input: $input) { identityDateHeld identityVerified }
}"""


def shows(text: str, born: date, *, year: bool = True) -> bool:
    """Whether the text holds this date as a register or a profile might write it (or its
    year alone)."""
    forms = [born.isoformat(), f"{born.day}.{born.month}.{born.year}", born.strftime("%d.%m.%Y")]
    return any(form in text for form in forms) or (year and str(born.year) in text)


async def signed_up(
    api: Api, name: str, born: date, *, display_name: str | None = None
) -> tuple[Person, str]:
    """A mentor whose profile holds a date of birth, not yet published."""
    extra: dict[str, Any] = {"dateOfBirth": born.isoformat()}
    if display_name is not None:
        extra["displayName"] = display_name
    return await f.mentor(api, api.person(Role.MENTOR, name), publish=False, **extra)


async def stored_dates(engine: AsyncEngine) -> dict[int, tuple[date | None, str | None]]:
    async with create_sessionmaker(engine)() as session:
        rows = await session.execute(
            select(
                MentorProfile.id, MentorProfile.date_of_birth, MentorProfile.identity_verified_by
            )
        )
        return {row.id: (row.date_of_birth, row.identity_verified_by) for row in rows}


async def test_mentors_in_the_register_are_verified_and_their_date_of_birth_cleared(
    api: Api, engine: AsyncEngine
) -> None:
    coordinator = api.person(Role.COORDINATOR)
    await f.programme(api, coordinator)
    maija, maija_id = await signed_up(api, "Maija Öhman", date(1961, 7, 29))
    ville, ville_id = await signed_up(api, "Ville Virtanen", date(1975, 1, 31))
    # Known on the profile by a shorter name: the person's own name is on the register.
    aino, aino_id = await signed_up(
        api, "Aino-Liisa Kärkkäinen", date(1983, 12, 5), display_name="Aino"
    )
    register = (
        "Name;Date of birth;Degree\n"
        "  MAIJA   o\u0308hman ;29.7.1961;MSc (Econ.) 1986\n"  # case, spaces, a decomposed Ö
        '"Virtanen, Ville";1975-01-31;\n'  # family name first
        "Aino-Liisa Kärkkäinen;05.12.1983;PhD 2012\n"
        "Someone Else;1.1.1950;BA 1973\n"
    )

    answer = (await api.ok(IMPORT, {"csv": register}, as_=coordinator))["importAlumniRegister"]
    assert answer["summary"] == (
        "4 rows read: 3 verified, 0 to look at, 1 matching no mentor waiting for the check."
    )
    assert (answer["rowsRead"], answer["verifiedCount"], answer["unmatchedRows"]) == (4, 3, 1)
    assert answer["nearMisses"] == []
    assert answer["unreadable"] == []
    assert [
        (v["mentor"]["displayName"], v["registerName"], v["degree"], v["line"])
        for v in answer["verified"]
    ] == [
        ("Maija Öhman", "MAIJA   o\u0308hman", "MSc (Econ.) 1986", 2),
        ("Ville Virtanen", "Virtanen, Ville", None, 3),
        ("Aino", "Aino-Liisa Kärkkäinen", "PhD 2012", 4),
    ]
    assert all(v["mentor"]["identityVerified"] for v in answer["verified"])
    assert not any(shows(json.dumps(answer), d) for d in (date(1961, 7, 29), date(1975, 1, 31)))

    for mentor in (maija, ville, aino):
        mine = (await api.ok(MINE, as_=mentor))["myMentorProfile"]
        assert (mine["identityVerified"], mine["identityDateHeld"]) == (True, False)
    stored = await stored_dates(engine)
    ids = [decode(i, "Mentor") for i in (maija_id, ville_id, aino_id)]
    assert [stored[i] for i in ids] == [(None, "register")] * 3
    everything = await dump(engine)
    # Nor is the register kept (a dump's ids and digests may hold any four digits).
    assert not shows(everything, date(1961, 7, 29), year=False)
    assert not shows(everything, date(1983, 12, 5), year=False)
    verified = await logged(engine, "MENTOR_IDENTITY_VERIFIED")
    assert sorted(e["mentorId"] for e in verified) == sorted(ids)

    # Loaded again, the register finds nobody left to check.
    again = (await api.ok(IMPORT, {"csv": register}, as_=coordinator))["importAlumniRegister"]
    assert (again["verifiedCount"], again["unmatchedRows"]) == (0, 4)


async def test_near_misses_say_which_half_matched_and_never_a_date(api: Api) -> None:
    coordinator = api.person(Role.COORDINATOR)
    await f.programme(api, coordinator)
    await signed_up(api, "Maija Ohman", date(1961, 7, 29))  # the register keeps the accent
    await signed_up(api, "Pekka Korhonen", date(1970, 3, 14))  # a second given name left out
    await signed_up(api, "Anna Nieminen", date(1980, 5, 20))  # the register has another date
    await signed_up(api, "Liisa Mäkinen", date(1966, 10, 2))  # not in the register at all
    register = (
        "name,date of birth\n"
        "Maija Öhman,1961-07-29\n"
        "Pekka Juhani Korhonen,14.3.1970\n"
        "Anna Nieminen,21.5.1980\n"
        "Kalle Mäkinen,1.1.1966\n"
    )

    answer = (await api.ok(IMPORT, {"csv": register}, as_=coordinator))["importAlumniRegister"]
    assert (answer["verifiedCount"], answer["nearMissCount"], answer["unmatchedRows"]) == (0, 3, 1)
    assert [
        (n["mentor"]["displayName"], n["reason"], n["lines"]) for n in answer["nearMisses"]
    ] == [
        (
            "Maija Ohman",
            "the date of birth matches but the name differs: Maija Öhman / Maija Ohman",
            [2],
        ),
        (
            "Pekka Korhonen",
            "the date of birth matches but the name differs: Pekka Juhani Korhonen / "
            "Pekka Korhonen",
            [3],
        ),
        ("Anna Nieminen", "the name matches but the date of birth does not", [4]),
    ]
    text = json.dumps(answer)
    for born in (date(1961, 7, 29), date(1970, 3, 14), date(1980, 5, 21), date(1980, 5, 20)):
        assert not shows(text, born)
    waiting = await api.ok("{ unverifiedMentors { totalCount } }", as_=coordinator)
    assert waiting["unverifiedMentors"]["totalCount"] == 4


async def test_a_file_that_is_not_the_register_is_refused_with_its_line_and_changes_nothing(
    api: Api, engine: AsyncEngine
) -> None:
    coordinator = api.person(Role.COORDINATOR)
    await f.programme(api, coordinator)
    mentor, _ = await signed_up(api, "Maija Öhman", date(1961, 7, 29))
    before = await stored_dates(engine)

    for register, line, message in [
        (
            "name,date of birth\nMaija Öhman,29.7.1961\nVille Virtanen,31.1.1975,MSc\n",
            3,
            "line 3: 3 values where the first line names 2 columns.",
        ),
        (
            "name,born\nMaija Öhman,29.7.1961\n",
            1,
            "line 1: Unknown column 'born': the columns are name, date of birth, and "
            "optionally degree.",
        ),
        ("name,date of birth\n", None, "The file names its columns but lists nobody below them."),
        ("", 0, "The file is empty; its first line names the columns: name, date of birth."),
    ]:
        error = await api.error(IMPORT, {"csv": register}, as_=coordinator)
        assert error["extensions"]["code"] == "INVALID_INPUT"
        assert error["message"] == message
        assert error["extensions"].get("line") == line
        assert not shows(error["message"], date(1961, 7, 29))

    assert await stored_dates(engine) == before
    mine = (await api.ok(MINE, as_=mentor))["myMentorProfile"]
    assert (mine["identityVerified"], mine["identityDateHeld"]) == (False, True)


async def test_lines_that_cannot_be_read_are_listed_and_the_rest_is_checked(api: Api) -> None:
    coordinator = api.person(Role.COORDINATOR)
    await f.programme(api, coordinator)
    await signed_up(api, "Maija Öhman", date(1961, 7, 29))
    register = (
        "name,date of birth,degree\n"
        "Ville Virtanen,01/31/1975,MSc\n"
        " ,1.1.1950,BA\n"
        "Anna Nieminen,31.2.1980,\n"
        "Pekka Korhonen,,\n"
        "Maija Öhman,29.7.1961,MSc\n"
    )

    answer = (await api.ok(IMPORT, {"csv": register}, as_=coordinator))["importAlumniRegister"]
    assert (answer["rowsRead"], answer["verifiedCount"], answer["unreadableCount"]) == (5, 1, 4)
    not_a_date = "The date of birth is not a date: write it as 1980-01-31 or 31.1.1980."
    assert answer["unreadable"] == [
        {"line": 2, "message": not_a_date},
        {"line": 3, "message": "The name cannot be empty."},
        {"line": 4, "message": not_a_date},
        {"line": 5, "message": "The date of birth is missing."},
    ]
    assert answer["summary"].endswith(", 4 that could not be read.")


async def test_a_coordinator_confirms_a_mentor_by_hand_and_may_take_it_back(
    api: Api, engine: AsyncEngine
) -> None:
    coordinator = api.person(Role.COORDINATOR)
    await f.programme(api, coordinator)
    mentor, mentor_id = await signed_up(api, "Maija Öhman", date(1961, 7, 29))

    confirmed = await api.ok(CONFIRM, {"id": mentor_id}, as_=coordinator)
    assert confirmed["confirmMentorIdentity"]["identityVerified"] is True
    key = decode(mentor_id, "Mentor")
    assert (await stored_dates(engine))[key] == (None, "coordinator")
    again = await api.ok(CONFIRM, {"id": mentor_id}, as_=coordinator)  # changes nothing
    assert again["confirmMentorIdentity"]["identityVerified"] is True
    assert len(await logged(engine, "MENTOR_IDENTITY_VERIFIED")) == 1
    waiting = "{ unverifiedMentors { totalCount } }"
    assert (await api.ok(waiting, as_=coordinator))["unverifiedMentors"]["totalCount"] == 0

    undo = "mutation($id: ID!) { unconfirmMentorIdentity(mentorId: $id) { identityVerified } }"
    taken_back = await api.ok(undo, {"id": mentor_id}, as_=coordinator)
    assert taken_back["unconfirmMentorIdentity"]["identityVerified"] is False
    assert (await api.ok(waiting, as_=coordinator))["unverifiedMentors"]["totalCount"] == 1
    assert (await stored_dates(engine))[key] == (None, None)
    # Checked again while sign-up is open, the mentor gives a date of birth again.
    gaps = (await api.ok(CHECK, as_=mentor))["checkMentorProfile"]
    assert [gap["field"] for gap in gaps] == ["date_of_birth"]


@asynccontextmanager
async def checking_first(api: Api) -> AsyncIterator[Api]:
    """A second server on the same database whose programme checks mentors before they
    publish (UNVERIFIED_MENTORS_MAY_PUBLISH=false)."""
    settings = api.server.settings.model_copy(update={"unverified_mentors_may_publish": False})
    async with (
        running_server(settings, api.server.clock) as server,
        httpx.AsyncClient(base_url=server.url, timeout=30) as client,
    ):
        yield Api(server=server, client=client)


async def test_publishing_waits_for_the_check_where_the_programme_asks_for_it(api: Api) -> None:
    coordinator = api.person(Role.COORDINATOR)
    await f.programme(api, coordinator)
    mentor, mentor_id = await signed_up(api, "Maija Öhman", date(1961, 7, 29))
    async with checking_first(api) as strict:
        error = await strict.error(f.PUBLISH, as_=mentor)
        assert error["extensions"]["code"] == "IDENTITY_NOT_VERIFIED"
        assert error["message"].startswith(
            "A coordinator checks mentors against the alumni register before profiles are "
            "published: "
        )
        assert (await strict.ok(MINE, as_=mentor))["myMentorProfile"]["status"] == "DRAFT"

        register = "name,date of birth\nMaija Öhman,29.7.1961\n"
        await strict.ok(IMPORT, {"csv": register}, as_=coordinator)
        # Verified: the date of birth is gone, and publishing no longer asks for one.
        assert (await strict.ok(CHECK, as_=mentor))["checkMentorProfile"] == []
        published = await strict.ok(f.PUBLISH, as_=mentor)
        assert published["publishMentorProfile"]["status"] == "PUBLISHED"
        assert published["publishMentorProfile"]["id"] == mentor_id


async def test_a_mentor_confirmed_by_hand_without_a_date_of_birth_may_publish(api: Api) -> None:
    coordinator = api.person(Role.COORDINATOR)
    await f.programme(api, coordinator)
    mentor, mentor_id = await f.mentor(api, publish=False, dateOfBirth=None)
    error = await api.error(f.PUBLISH, as_=mentor)
    assert error["extensions"]["code"] == "PROFILE_INCOMPLETE"  # unchecked: it is asked for
    await api.ok(CONFIRM, {"id": mentor_id}, as_=coordinator)
    async with checking_first(api) as strict:
        published = await strict.ok(f.PUBLISH, as_=mentor)
    assert published["publishMentorProfile"]["status"] == "PUBLISHED"


async def test_a_verified_mentor_giving_a_date_of_birth_again_has_it_dropped(api: Api) -> None:
    coordinator = api.person(Role.COORDINATOR)
    await f.programme(api, coordinator)
    mentor, mentor_id = await signed_up(api, "Maija Öhman", date(1961, 7, 29))
    await api.ok(CONFIRM, {"id": mentor_id}, as_=coordinator)
    saved = await api.ok(UPDATE, {"input": {"dateOfBirth": "1961-07-29"}}, as_=mentor)
    assert saved["updateMentorProfile"] == {"identityDateHeld": False, "identityVerified": True}


async def test_unverified_mentors_may_publish_unless_the_settings_say_otherwise(api: Api) -> None:
    await f.programme(api)
    mentor, _ = await signed_up(api, "Maija Öhman", date(1961, 7, 29))
    published = await api.ok(f.PUBLISH, as_=mentor)
    assert published["publishMentorProfile"]["status"] == "PUBLISHED"
    assert (await api.ok(MINE, as_=mentor))["myMentorProfile"]["identityVerified"] is False
