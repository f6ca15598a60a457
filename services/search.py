"""Mentor search: the filters students and coordinators use, in one place (the live
subscriptions narrow the same query to the mentors an event is about)."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from functools import lru_cache
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Integer,
    Select,
    and_,
    bindparam,
    exists,
    false,
    func,
    or_,
    select,
    true,
)
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased
from sqlalchemy.sql.elements import BindParameter

from db.models import (
    DegreeLevel,
    Location,
    MentorDegreeLevel,
    MentorField,
    MentorLanguage,
    MentorProfile,
    Programme,
    Role,
)
from services import catalogue, fit, loader_reads, programmes
from services.availability import LISTED, Availability, sql_condition
from services.text import free_text
from services.viewer import Viewer, require_role

MAX_TEXT = 200
MAX_WORDS = 8
# The profile's words a text search looks in.
SEARCHED = (
    MentorProfile.display_name,
    MentorProfile.headline,
    MentorProfile.educational_background,
    MentorProfile.professional_background,
    MentorProfile.career_experience,
    MentorProfile.city,
)


@dataclass(frozen=True, slots=True)
class MentorFilter:
    languages: Sequence[str] = ()
    degree_level: DegreeLevel | None = None
    field_ids: Sequence[int] = ()
    has_doctorate: bool | None = None
    location: Location | None = None
    remote_ok: bool | None = None
    availability: Sequence[Availability] = ()
    text: str | None = None


class MentorOrder(StrEnum):
    JOINED = "JOINED"  # in the order mentors joined the programme
    FIT = "FIT"  # the best fit for the student first (services/fit.py), then as JOINED


@dataclass(frozen=True, slots=True)
class Page:
    items: list[MentorProfile]
    total_count: int
    # Each mentor's languages, fields and degree levels, read with the page.
    choices: dict[int, loader_reads.MentorChoices]
    has_next_page: bool
    has_previous_page: bool
    programme: Programme  # the programme searched, already loaded
    seq: int = 0  # the programme's events up to this one are reflected in the page
    student: fit.StudentSide | None = None  # the student a FIT order was for, already read


async def check_filter(session: AsyncSession, flt: MentorFilter) -> None:
    """An unknown language or field is a mistake to point out, not an empty page."""
    if flt.text is not None:
        # Words are split on any whitespace, so pasted line breaks and tabs are harmless.
        free_text(flt.text, field="text", label="search text", max_length=MAX_TEXT)
    if flt.languages:
        await catalogue.check_languages(session, flt.languages)
    if flt.field_ids:
        await catalogue.check_fields(session, flt.field_ids)


@dataclass(frozen=True, slots=True)
class FilterShape:
    """What decides the shape of a filter's SQL (its values are bound in at execution,
    `filter_values`): one statement, built once, serves every search of the same shape."""

    availability: tuple[Availability, ...] | None  # None: nobody (a student asking for FULL)
    languages: bool
    fields: bool
    degree_level: bool
    has_doctorate: bool
    location: bool
    remote_ok: bool
    words: int

    @classmethod
    def of(cls, flt: MentorFilter, *, listed_only: bool) -> FilterShape:
        wanted: tuple[Availability, ...] | None = tuple(dict.fromkeys(flt.availability))
        if listed_only:
            wanted = tuple(a for a in (wanted or LISTED) if a in LISTED) or None
        return cls(
            availability=wanted,
            languages=bool(flt.languages),
            fields=bool(flt.field_ids),
            degree_level=flt.degree_level is not None,
            has_doctorate=flt.has_doctorate is not None,
            location=flt.location is not None,
            remote_ok=flt.remote_ok is not None,
            words=len(_words(flt)),
        )


def filter_values(programme: Programme, flt: MentorFilter) -> dict[str, object]:
    """The filter's values for the parameters of `filter_statement`."""
    values: dict[str, object] = {
        "programme_id": programme.id,
        "pending_limit": programme.mentor_pending_limit,
        "languages": [c.lower() for c in flt.languages],
        "field_ids": list(flt.field_ids),
        "degree_level": flt.degree_level,
        "has_doctorate": flt.has_doctorate,
        "location": flt.location,
        "remote_ok": flt.remote_ok,
    }
    for n, word in enumerate(_words(flt)):
        # Escaped, so "snake_case" or "100%" is searched for as written.
        values[f"word_{n}"] = word.replace("/", "//").replace("%", "/%").replace("_", "/_")
    return values


def filter_query(
    programme: Programme, flt: MentorFilter, *, listed_only: bool
) -> Select[MentorProfile]:
    """The mentors `flt` picks in `programme`, its values bound in."""
    shape = FilterShape.of(flt, listed_only=listed_only)
    return filter_statement(shape).params(filter_values(programme, flt))


def filter_statement(shape: FilterShape) -> Select[MentorProfile]:
    query = select(MentorProfile).where(MentorProfile.programme_id == bindparam("programme_id"))
    if shape.availability is None:
        return query.where(false())
    if shape.availability:
        limit: BindParameter[int] = bindparam("pending_limit")
        query = query.where(or_(*(sql_condition(a, limit) for a in shape.availability)))
    if shape.languages:
        query = query.where(
            exists().where(
                MentorLanguage.mentor_id == MentorProfile.id,
                MentorLanguage.language_code.in_(bindparam("languages", expanding=True)),
            )
        )
    if shape.fields:
        query = query.where(
            exists().where(
                MentorField.mentor_id == MentorProfile.id,
                MentorField.field_id.in_(bindparam("field_ids", expanding=True)),
            )
        )
    if shape.degree_level:
        query = query.where(
            exists().where(
                MentorDegreeLevel.mentor_id == MentorProfile.id,
                MentorDegreeLevel.degree_level == bindparam("degree_level"),
            )
        )
    if shape.has_doctorate:
        query = query.where(MentorProfile.has_doctorate == bindparam("has_doctorate"))
    if shape.location:
        query = query.where(MentorProfile.location == bindparam("location"))
    if shape.remote_ok:
        query = query.where(MentorProfile.remote_ok == bindparam("remote_ok"))
    for n in range(shape.words):
        word: BindParameter[str] = bindparam(f"word_{n}")
        query = query.where(
            or_(*(func.lower(column).contains(word, escape="/") for column in SEARCHED))
        )
    return query


def _words(flt: MentorFilter) -> list[str]:
    return flt.text.lower().split()[:MAX_WORDS] if flt.text else []


@dataclass(frozen=True, slots=True)
class MentorFacts:
    """What a filter looks at in one mentor's profile (availability aside, which changes with
    every event): the live updates judge many filters against a few mentors in memory."""

    programme_id: int
    languages: frozenset[str]
    field_ids: frozenset[int]
    degree_levels: frozenset[DegreeLevel]
    has_doctorate: bool
    location: Location
    remote_ok: bool
    searched: tuple[str, ...]  # the SEARCHED columns, lower-cased


def picks(flt: MentorFilter, facts: MentorFacts) -> bool:
    """Whether `filter_query` (availability aside) would pick this mentor: the same criteria,
    for a mentor already in memory (tests/services/test_search_facts.py holds them equal)."""
    return (
        (not flt.languages or not facts.languages.isdisjoint(c.lower() for c in flt.languages))
        and (not flt.field_ids or not facts.field_ids.isdisjoint(flt.field_ids))
        and (flt.degree_level is None or flt.degree_level in facts.degree_levels)
        and (flt.has_doctorate is None or facts.has_doctorate == flt.has_doctorate)
        and (flt.location is None or facts.location == flt.location)
        and (flt.remote_ok is None or facts.remote_ok == flt.remote_ok)
        and all(any(word in text for text in facts.searched) for word in _words(flt))
    )


async def mentor_facts(
    session: AsyncSession, mentor_ids: Collection[int]
) -> dict[int, MentorFacts]:
    """The facts of these mentors (those that exist), in four short reads."""
    wanted = sorted(set(mentor_ids))
    if not wanted:
        return {}
    languages: dict[int, set[str]] = defaultdict(set)
    fields: dict[int, set[int]] = defaultdict(set)
    levels: dict[int, set[DegreeLevel]] = defaultdict(set)
    for mentor_id, code in await session.execute(
        select(MentorLanguage.mentor_id, MentorLanguage.language_code).where(
            MentorLanguage.mentor_id.in_(wanted)
        )
    ):
        languages[mentor_id].add(code)
    for mentor_id, field_id in await session.execute(
        select(MentorField.mentor_id, MentorField.field_id).where(MentorField.mentor_id.in_(wanted))
    ):
        fields[mentor_id].add(field_id)
    for mentor_id, level in await session.execute(
        select(MentorDegreeLevel.mentor_id, MentorDegreeLevel.degree_level).where(
            MentorDegreeLevel.mentor_id.in_(wanted)
        )
    ):
        levels[mentor_id].add(level)
    rows = await session.execute(
        select(
            MentorProfile.id,
            MentorProfile.programme_id,
            MentorProfile.has_doctorate,
            MentorProfile.location,
            MentorProfile.remote_ok,
            *SEARCHED,
        ).where(MentorProfile.id.in_(wanted))
    )
    return {
        row[0]: MentorFacts(
            programme_id=row[1],
            languages=frozenset(languages[row[0]]),
            field_ids=frozenset(fields[row[0]]),
            degree_levels=frozenset(levels[row[0]]),
            has_doctorate=row[2],
            location=row[3],
            remote_ok=row[4],
            searched=tuple((text or "").lower() for text in row[5:]),
        )
        for row in rows
    }


def can_search(viewer: Viewer | None) -> Viewer:
    # Mentor profiles are for the university's students and staff, not for other mentors.
    return require_role(viewer, Role.STUDENT, Role.COORDINATOR)


async def search(
    session: AsyncSession,
    viewer: Viewer | None,
    programme_id: int | None,
    flt: MentorFilter,
    *,
    first: int,
    after_id: int | None,
    now: datetime,
    order: MentorOrder = MentorOrder.JOINED,
) -> Page:
    viewer = can_search(viewer)
    programme = await programmes.resolve(session, viewer, programme_id, now=now)
    await check_filter(session, flt)
    shape = FilterShape.of(flt, listed_only=not viewer.is_coordinator)
    student = None
    if order is MentorOrder.FIT and viewer.role is Role.STUDENT:
        (student,) = await fit.students(session, [(viewer.user_id, programme.id)])
    score = fit.ScoreShape.of(student) if student is not None else None
    values = {
        **filter_values(programme, flt),
        **fit.score_values(student),
        "page_limit": first + 1,
        "after_id": after_id,
    }
    statement = _page_statement(shape, score, after=after_id is not None)
    rows = (await session.execute(statement, values)).all()
    # The programme's last event number, read in the same statement as the page: every event
    # up to it is reflected in the page, and a live update numbered after it is newer.
    seq = rows[0][0] or 0
    found = [row for row in rows if row[1] is not None]
    if found:
        total = found[0][2]
    elif after_id is None:
        total = 0
    else:
        # A page past the end has no row to carry the count: counted on its own.
        everyone = filter_statement(shape).subquery()
        total = await session.scalar(select(func.count()).select_from(everyone), values) or 0
    return Page(
        items=[row[1] for row in found[:first]],
        total_count=total,
        has_next_page=len(found) > first,
        has_previous_page=after_id is not None,
        choices={row[1].id: loader_reads.choices_from(*row[3:]) for row in found[:first]},
        programme=programme,
        seq=seq,
        student=student,
    )


@lru_cache(maxsize=512)
def _page_statement(
    shape: FilterShape, score: fit.ScoreShape | None, *, after: bool
) -> Select[Any]:
    """The statement of a page of mentors, built once for each shape of search; the values of
    the search are its parameters."""
    return _with_what_cards_show(_page(filter_statement(shape), score, after=after), score)


def _page(
    query: Select[MentorProfile], score: fit.ScoreShape | None, *, after: bool
) -> Select[int, int, int]:
    """The ids of up to `page_limit` mentors after the cursor, and how many the filter picks in
    all, in one statement so that the count always agrees with the page. For a student, the
    best fit for them comes first (mentors who fit alike in the order they joined)."""
    total = func.count().over().label("total")
    fit_score = fit.sql_score(score).label("fit")
    picked = query.with_only_columns(MentorProfile.id, total, fit_score)
    limit = bindparam("page_limit", type_=Integer)
    if not after:
        return picked.order_by(*_fit_first(fit_score, score), MentorProfile.id).limit(limit)
    # The count takes in the mentors before the cursor too: the cursor applies outside it.
    everyone = picked.subquery()
    after_id = bindparam("after_id", type_=Integer)
    past: ColumnElement[bool] = everyone.c.id > after_id
    if score is not None:
        # The cursor is the last mentor shown: the page goes on after their fit, read anew.
        last = aliased(MentorProfile)
        theirs = select(fit.sql_score(score, last)).where(last.id == after_id)
        last_fit = theirs.scalar_subquery()
        past = or_(everyone.c.fit < last_fit, and_(everyone.c.fit == last_fit, past))
    statement: Select[int, int, int] = (
        select(everyone.c.id, everyone.c.total, everyone.c.fit)
        .where(past)
        .order_by(*_fit_first(everyone.c.fit, score), everyone.c.id)
        .limit(limit)
    )
    return statement


def _with_what_cards_show(page: Select[int, int, int], score: fit.ScoreShape | None) -> Select[Any]:
    """The page's mentors, with their languages, fields and degree levels, and the programme's
    last event number: one row for an empty page, with no mentor in it."""
    picked = page.subquery()
    statement: Select[Any] = (
        select(
            Programme.event_seq,
            MentorProfile,
            picked.c.total,
            *loader_reads.mentor_choices(MentorProfile.id),
        )
        .select_from(Programme)
        .outerjoin(picked, true())
        .outerjoin(MentorProfile, MentorProfile.id == picked.c.id)
        .where(Programme.id == bindparam("programme_id"))
        .order_by(*_fit_first(picked.c.fit, score), picked.c.id)
    )
    return statement


def _fit_first(score: ColumnElement[int], shape: fit.ScoreShape | None) -> list[ColumnElement[int]]:
    return [] if shape is None else [score.desc()]
