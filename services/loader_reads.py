"""Batch reads behind the GraphQL DataLoaders: one statement for a whole page of keys."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from typing import TypeVar

from sqlalchemy import Select, select
from sqlalchemy.ext.asyncio import AsyncSession

from db.models import (
    DegreeLevel,
    Field,
    Language,
    Match,
    MentorDegreeLevel,
    MentorField,
    MentorLanguage,
    MentorProfile,
    Programme,
    StudentLanguage,
    StudentProfile,
    User,
)
from services.programmes import by_ids

K = TypeVar("K")
V = TypeVar("V")


def _in_order(keys: Sequence[K], found: dict[K, V]) -> list[V | None]:
    return [found.get(key) for key in keys]


async def mentors(session: AsyncSession, ids: Sequence[int]) -> list[MentorProfile | None]:
    rows = await session.scalars(select(MentorProfile).where(MentorProfile.id.in_(ids)))
    return _in_order(ids, {row.id: row for row in rows})


async def students(session: AsyncSession, ids: Sequence[int]) -> list[StudentProfile | None]:
    rows = await session.scalars(select(StudentProfile).where(StudentProfile.id.in_(ids)))
    return _in_order(ids, {row.id: row for row in rows})


async def users(session: AsyncSession, ids: Sequence[int]) -> list[User | None]:
    rows = await session.scalars(select(User).where(User.id.in_(ids)))
    return _in_order(ids, {row.id: row for row in rows})


async def programmes(session: AsyncSession, ids: Sequence[int]) -> list[Programme | None]:
    return await by_ids(session, ids)


async def fields(session: AsyncSession, ids: Sequence[int]) -> list[Field | None]:
    rows = await session.scalars(select(Field).where(Field.id.in_(ids)))
    return _in_order(ids, {row.id: row for row in rows})


async def mentor_languages(session: AsyncSession, ids: Sequence[int]) -> list[list[Language]]:
    return await _grouped(
        session,
        ids,
        select(MentorLanguage.mentor_id, Language)
        .join(Language, Language.code == MentorLanguage.language_code)
        .where(MentorLanguage.mentor_id.in_(ids))
        .order_by(Language.name),
    )


async def mentor_fields(session: AsyncSession, ids: Sequence[int]) -> list[list[Field]]:
    return await _grouped(
        session,
        ids,
        select(MentorField.mentor_id, Field)
        .join(Field, Field.id == MentorField.field_id)
        .where(MentorField.mentor_id.in_(ids))
        .order_by(Field.name),
    )


async def mentor_degree_levels(
    session: AsyncSession, ids: Sequence[int]
) -> list[list[DegreeLevel]]:
    return await _grouped(
        session,
        ids,
        select(MentorDegreeLevel.mentor_id, MentorDegreeLevel.degree_level)
        .where(MentorDegreeLevel.mentor_id.in_(ids))
        .order_by(MentorDegreeLevel.degree_level),
    )


async def student_languages(session: AsyncSession, ids: Sequence[int]) -> list[list[Language]]:
    return await _grouped(
        session,
        ids,
        select(StudentLanguage.student_id, Language)
        .join(Language, Language.code == StudentLanguage.language_code)
        .where(StudentLanguage.student_id.in_(ids))
        .order_by(Language.name),
    )


async def matches_of_requests(session: AsyncSession, ids: Sequence[int]) -> list[Match | None]:
    rows = await session.scalars(select(Match).where(Match.request_id.in_(ids)))
    return _in_order(ids, {row.request_id: row for row in rows})


async def _grouped(
    session: AsyncSession, ids: Sequence[int], statement: Select[int, V]
) -> list[list[V]]:
    """Each key's values, in the statement's order, from rows of (key, value)."""
    found: dict[int, list[V]] = defaultdict(list)
    for key, value in await session.execute(statement):
        found[key].append(value)
    return [found[i] for i in ids]
