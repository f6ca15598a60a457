"""The recommended order (services/fit.py): how well a mentor fits a student, and the words that
say why; the same score in SQL (which orders the search) as in memory (which the cards show);
and through the API, the order, its pages and the reasons each student sees of their own."""

from __future__ import annotations

import itertools
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

from db.models import DegreeLevel, Field, Location, MentorProfile, Role
from live.shared import shape_of
from services import fit, loader_reads
from services.catalogue import FieldChoice, LanguageChoice
from services.fit import MentorSide, StudentSide
from tests import factories as f
from tests.clients import Api, Person, live_client, until_listening
from tests.resolvers.test_subscriptions import serving

DATA_SCIENCE = FieldChoice(2, "Data Science", "School of Science", retired=False)
COMPUTER_SCIENCE = FieldChoice(1, "Computer Science", "School of Science", retired=False)
FINANCE = FieldChoice(3, "Finance", "School of Business", retired=False)
FINNISH, ENGLISH, SWEDISH = (
    LanguageChoice("fi", "Finnish", retired=False),
    LanguageChoice("en", "English", retired=False),
    LanguageChoice("sv", "Swedish", retired=False),
)


def student(
    level: DegreeLevel = DegreeLevel.MASTERS,
    field: FieldChoice = DATA_SCIENCE,
    languages: tuple[str, ...] = ("en",),
    *,
    on_exchange: bool = False,
) -> StudentSide:
    return StudentSide(level, field.id, field.school, frozenset(languages), on_exchange)


def mentor(
    fields: tuple[FieldChoice, ...] = (FINANCE,),
    languages: tuple[LanguageChoice, ...] = (FINNISH,),
    levels: tuple[DegreeLevel, ...] = (DegreeLevel.MASTERS,),
    *,
    doctor: bool = False,
    location: Location = Location.ABROAD,
    remote: bool = False,
) -> MentorSide:
    return MentorSide(fields, languages, levels, doctor, location, remote)


def test_a_mentor_in_the_students_field_and_language_says_so_strongest_first() -> None:
    found = fit.fit(student(), mentor((DATA_SCIENCE,), (FINNISH, ENGLISH), remote=True))
    assert found.reasons == ("same field: Data Science", "mentors in English", "meets remotely")
    assert found.takes_degree_level
    assert found.score > fit.fit(student(), mentor((COMPUTER_SCIENCE,), (ENGLISH,))).score


def test_a_field_in_the_students_school_counts_less_than_their_own_field() -> None:
    same_school = fit.fit(student(), mentor((COMPUTER_SCIENCE, FINANCE)))
    assert same_school.reasons == ("same school: School of Science",)
    both = fit.fit(student(), mentor((COMPUTER_SCIENCE, DATA_SCIENCE)))
    assert both.reasons == ("same field: Data Science",)  # not said twice
    assert fit.fit(student(), mentor()).score < same_school.score < both.score


def test_a_mentor_who_does_not_take_the_degree_level_comes_after_every_one_who_does() -> None:
    doctoral = student(DegreeLevel.DOCTORAL, languages=("en", "fi"))
    everything_else = fit.fit(
        doctoral,
        mentor(
            (DATA_SCIENCE,), (ENGLISH, FINNISH), doctor=True, location=Location.FINLAND, remote=True
        ),
    )
    both = (DegreeLevel.MASTERS, DegreeLevel.DOCTORAL)
    nothing_else = fit.fit(doctoral, mentor(languages=(SWEDISH,), levels=both))
    assert not everything_else.takes_degree_level
    assert nothing_else.takes_degree_level
    assert everything_else.score < nothing_else.score
    assert nothing_else.reasons == ("takes doctoral students",)
    # Master's students are taken by nearly every mentor: it goes without saying.
    assert fit.fit(student(), mentor()).reasons == ()


def test_doctoral_students_are_pointed_to_mentors_who_hold_a_doctorate() -> None:
    both = (DegreeLevel.MASTERS, DegreeLevel.DOCTORAL)
    doctor = fit.fit(student(DegreeLevel.DOCTORAL), mentor(levels=both, doctor=True))
    assert doctor.reasons == ("takes doctoral students", "holds a doctorate")
    assert doctor.score > fit.fit(student(DegreeLevel.DOCTORAL), mentor(levels=both)).score
    # For a master's student a doctorate is neither here nor there.
    assert fit.fit(student(), mentor(doctor=True)) == fit.fit(student(), mentor())


def test_a_student_on_exchange_looks_for_remote_meetings_others_for_a_mentor_in_finland() -> None:
    near = mentor(location=Location.FINLAND)
    remote = mentor(remote=True)
    at_home, away = student(), student(on_exchange=True)
    assert fit.fit(at_home, near).reasons == ("lives in Finland",)
    assert fit.fit(at_home, near).score > fit.fit(at_home, remote).score
    assert fit.fit(away, near).reasons == ()
    assert fit.fit(away, remote).reasons == ("meets remotely",)
    assert fit.fit(away, remote).score > fit.fit(away, near).score


def test_several_shared_languages_are_named_together() -> None:
    found = fit.fit(student(languages=("fi", "sv", "en")), mentor(languages=(SWEDISH, FINNISH)))
    assert found.reasons == ("mentors in Swedish and Finnish",)


async def test_the_search_scores_every_mentor_as_the_cards_do(
    api: Api, engine: AsyncEngine
) -> None:
    await f.programme(api)
    for n, (fields, languages, levels, doctor, location, remote) in enumerate(
        itertools.product(
            (["Data Science"], ["Computer Science", "Finance"], ["Finance"]),
            (["fi"], ["en", "sv"]),
            (["MASTERS"], ["DOCTORAL"], ["MASTERS", "DOCTORAL"]),
            (False, True),
            ("FINLAND", "ABROAD"),
            (False, True),
        )
    ):
        if n % 5:  # a spread of them is enough
            continue
        await f.mentor(
            api,
            displayName=f"Mentor {n}",
            fields=fields,
            languages=languages,
            degree_levels=levels,
            hasDoctorate=doctor,
            location=location,
            remoteOk=remote,
        )
    async with AsyncSession(engine) as session:
        ids = list(await session.scalars(select(MentorProfile.id).order_by(MentorProfile.id)))
        mentors = {m.id: m for m in await loader_reads.mentors(session, ids) if m}
        sides = {
            i: MentorSide(fields, languages, levels, m.has_doctorate, m.location, m.remote_ok)
            for i, m, fields, languages, levels in zip(
                ids,
                mentors.values(),
                await loader_reads.mentor_fields(session, ids),
                await loader_reads.mentor_languages(session, ids),
                await loader_reads.mentor_degree_levels(session, ids),
                strict=True,
            )
        }
        catalogue = {row.name: row for row in await session.scalars(select(Field))}
        students = [
            StudentSide(level, catalogue[name].id, catalogue[name].school, frozenset(codes), away)
            for level, name, codes, away in itertools.product(
                DegreeLevel,
                ("Data Science", "Finance", "Marketing"),
                (("en",), ("fi", "sv")),
                (False, True),
            )
        ]
        disagreements = []
        for side in students:
            score = fit.sql_score(fit.ScoreShape.of(side))
            query = (
                select(MentorProfile.id, score)
                .where(MentorProfile.id.in_(ids))
                .params(fit.score_values(side))
            )
            by_sql = dict((await session.execute(query)).all())
            in_memory = {i: fit.fit(side, sides[i]).score for i in ids}
            if by_sql != in_memory:
                disagreements.append((side, by_sql, in_memory))
    assert len(ids) == 29
    assert disagreements == []


SEARCH = """query($first: Int!, $after: String, $filter: MentorFilter) {
  mentors(first: $first, after: $after, filter: $filter, orderBy: FIT) {
    totalCount
    pageInfo { hasNextPage endCursor }
    edges { node { displayName fit { score reasons takesYourDegreeLevel } } }
  }
}"""


async def recommended(api: Api, person: Person, first: int = 20, **filter: Any) -> list[Any]:
    """Every mentor of the recommended order, page after page."""
    found: list[Any] = []
    after = None
    while True:
        variables = {"first": first, "after": after, "filter": filter}
        page = (await api.ok(SEARCH, variables, as_=person))["mentors"]
        found += [edge["node"] for edge in page["edges"]]
        if not page["pageInfo"]["hasNextPage"]:
            return found
        after = page["pageInfo"]["endCursor"]


async def test_a_student_sees_the_mentors_who_fit_them_first_with_the_reasons(api: Api) -> None:
    await f.programme(api)
    # Joined first, fits least: a finance mentor abroad, in Finnish, who meets only in person.
    await f.mentor(
        api,
        displayName="Fanny Finance",
        fields=["Finance"],
        languages=["fi"],
        location="ABROAD",
        remoteOk=False,
    )
    await f.mentor(api, displayName="Sara School", fields=["Computer Science"], languages=["fi"])
    await f.mentor(
        api, displayName="Dana Data", fields=["Data Science"], languages=["en"], location="ABROAD"
    )
    await f.mentor(
        api,
        displayName="Dora Doctoral",
        fields=["Data Science"],
        languages=["en"],
        degree_levels=["DOCTORAL"],
    )
    sami = await f.student(api, field="Data Science", languages=["en"])

    found = await recommended(api, sami)
    assert [(m["displayName"], m["fit"]["reasons"]) for m in found] == [
        ("Dana Data", ["same field: Data Science", "mentors in English", "meets remotely"]),
        ("Sara School", ["same school: School of Science", "lives in Finland", "meets remotely"]),
        ("Fanny Finance", []),
        # Doctoral students only: last, and marked, however well the rest fits.
        (
            "Dora Doctoral",
            [
                "same field: Data Science",
                "mentors in English",
                "lives in Finland",
                "meets remotely",
            ],
        ),
    ]
    assert [m["fit"]["takesYourDegreeLevel"] for m in found] == [True, True, True, False]
    scores = [m["fit"]["score"] for m in found]
    assert scores == sorted(scores, reverse=True)

    # Page by page the order is the same, with no one twice and no one left out.
    assert [m["displayName"] for m in await recommended(api, sami, first=1)] == [
        m["displayName"] for m in found
    ]
    # A filter narrows the order; it does not change it.
    narrowed = await recommended(api, sami, first=1, degreeLevel="MASTERS", languages=["en", "fi"])
    assert [m["displayName"] for m in narrowed] == ["Dana Data", "Sara School", "Fanny Finance"]


async def test_mentors_who_fit_alike_come_in_the_order_they_joined(api: Api) -> None:
    await f.programme(api)
    for name in ("Anna", "Bea", "Cai", "Dan"):
        await f.mentor(api, displayName=name, fields=["Finance"], languages=["fi"])
    student = await f.student(api, field="Marketing", languages=["sv"])
    names = [m["displayName"] for m in await recommended(api, student, first=3)]
    assert names == ["Anna", "Bea", "Cai", "Dan"]


async def test_the_fit_is_only_the_students_own(api: Api) -> None:
    await f.programme(api)
    await f.mentor(api, displayName="Dana Data", fields=["Data Science"], languages=["en"])
    coordinator = api.person(Role.COORDINATOR)
    no_profile = api.person(Role.STUDENT)
    for person in (coordinator, no_profile):
        (found,) = await recommended(api, person)
        assert found == {"displayName": "Dana Data", "fit": None}


def test_a_subscription_that_selects_the_fit_is_never_shared_between_students() -> None:
    from app.schema import build_schema
    from app.settings import Settings

    schema = build_schema(Settings())._schema
    document = "subscription { mentorAvailabilityChanged { mentor { fit { reasons } } } }"
    assert shape_of(schema, document, None).per_viewer


WATCH = """subscription {
  mentorAvailabilityChanged { mentorId mentor { displayName fit { reasons } } }
}"""


@pytest.fixture
async def live(database: tuple[str, AsyncEngine], tmp_path: Path) -> AsyncIterator[Api]:
    """A server of its own: live state is not shared with other tests."""
    async with serving(database, tmp_path) as api:
        yield api


async def test_each_student_watching_the_list_is_told_their_own_reasons(live: Api) -> None:
    api = live
    await f.programme(api)
    data_student = await f.student(api, field="Data Science", languages=["en"])
    finance_student = await f.student(api, field="Finance", languages=["fi"])
    async with (
        live_client(api.server.ws_url, data_student.token) as data_ws,
        live_client(api.server.ws_url, finance_student.token) as finance_ws,
    ):
        data_op = await data_ws.subscribe(WATCH)
        finance_op = await finance_ws.subscribe(WATCH)
        await until_listening(api.client, 2)
        await f.mentor(
            api, displayName="Dana Data", fields=["Data Science"], languages=["en"], remoteOk=False
        )
        seen_by_data = (await data_ws.data(data_op))["mentorAvailabilityChanged"]
        seen_by_finance = (await finance_ws.data(finance_op))["mentorAvailabilityChanged"]
    assert seen_by_data["mentor"]["fit"]["reasons"] == [
        "same field: Data Science",
        "mentors in English",
        "lives in Finland",
    ]
    assert seen_by_finance["mentor"]["fit"]["reasons"] == ["lives in Finland"]
