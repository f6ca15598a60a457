"""Batch reads behind the GraphQL DataLoaders: one statement for a whole page of keys."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, TypeVar

from sqlalchemy import ColumnElement, ScalarSelect, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import InstrumentedAttribute

from db.json_rows import json_rows
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
from services.catalogue import FieldChoice, LanguageChoice, by_name
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


# A language or field as a profile shows it, column by column (catalogue.LanguageChoice,
# FieldChoice), whether read in rows or, with a page of mentors, as JSON (`mentor_choices`).
LANGUAGE = (Language.code, Language.name, Language.retired_at.is_not(None))
FIELD = (Field.id, Field.name, Field.school, Field.retired_at.is_not(None))


async def mentor_languages(session: AsyncSession, ids: Sequence[int]) -> list[list[LanguageChoice]]:
    return await _languages_of(session, ids, MentorLanguage.mentor_id, MentorLanguage.language_code)


async def student_languages(
    session: AsyncSession, ids: Sequence[int]
) -> list[list[LanguageChoice]]:
    return await _languages_of(
        session, ids, StudentLanguage.student_id, StudentLanguage.language_code
    )


async def _languages_of(
    session: AsyncSession,
    ids: Sequence[int],
    owner: InstrumentedAttribute[int],
    code: InstrumentedAttribute[str],
) -> list[list[LanguageChoice]]:
    found: dict[int, list[LanguageChoice]] = defaultdict(list)
    rows = await session.execute(
        select(owner, *LANGUAGE)
        .select_from(owner.class_)
        .join(Language, Language.code == code)
        .where(owner.in_(ids))
    )
    for key, language_code, name, retired in rows:
        found[key].append(LanguageChoice(language_code, name, retired))
    return [by_name(found[i]) for i in ids]


async def mentor_fields(session: AsyncSession, ids: Sequence[int]) -> list[list[FieldChoice]]:
    found: dict[int, list[FieldChoice]] = defaultdict(list)
    rows = await session.execute(
        select(MentorField.mentor_id, *FIELD)
        .select_from(MentorField)
        .join(Field, Field.id == MentorField.field_id)
        .where(MentorField.mentor_id.in_(ids))
    )
    for key, field_id, name, school, retired in rows:
        found[key].append(FieldChoice(field_id, name, school, retired))
    return [by_name(found[i]) for i in ids]


async def mentor_degree_levels(
    session: AsyncSession, ids: Sequence[int]
) -> list[list[DegreeLevel]]:
    found: dict[int, list[DegreeLevel]] = defaultdict(list)
    rows = await session.execute(
        select(MentorDegreeLevel.mentor_id, MentorDegreeLevel.degree_level).where(
            MentorDegreeLevel.mentor_id.in_(ids)
        )
    )
    for key, level in rows:
        found[key].append(level)
    return [sorted(found[i]) for i in ids]


async def matches_of_requests(session: AsyncSession, ids: Sequence[int]) -> list[Match | None]:
    rows = await session.scalars(select(Match).where(Match.request_id.in_(ids)))
    return _in_order(ids, {row.request_id: row for row in rows})


@dataclass(frozen=True, slots=True)
class MentorChoices:
    """A mentor's languages, fields and degree levels, as the loaders above give them."""

    languages: list[LanguageChoice]
    fields: list[FieldChoice]
    degree_levels: list[DegreeLevel]


def mentor_choices(
    mentor_id: ColumnElement[int] | InstrumentedAttribute[int],
) -> tuple[ScalarSelect[Any], ...]:
    """Three columns for a statement that reads mentors (`mentor_id` being theirs): each
    mentor's languages, fields and degree levels as JSON, read with the mentors in one
    statement. `choices_from` reads them back."""
    return (
        select(json_rows(*LANGUAGE))
        .select_from(MentorLanguage)
        .join(Language, Language.code == MentorLanguage.language_code)
        .where(MentorLanguage.mentor_id == mentor_id)
        .scalar_subquery(),
        select(json_rows(*FIELD))
        .select_from(MentorField)
        .join(Field, Field.id == MentorField.field_id)
        .where(MentorField.mentor_id == mentor_id)
        .scalar_subquery(),
        select(json_rows(MentorDegreeLevel.degree_level))
        .where(MentorDegreeLevel.mentor_id == mentor_id)
        .scalar_subquery(),
    )


def choices_from(languages: Any, fields: Any, degree_levels: Any) -> MentorChoices:
    # SQLite gives a boolean as 0 or 1.
    return MentorChoices(
        languages=by_name(LanguageChoice(code, name, bool(r)) for code, name, r in languages),
        fields=by_name(FieldChoice(i, name, school, bool(r)) for i, name, school, r in fields),
        degree_levels=sorted(DegreeLevel(level) for (level,) in degree_levels),
    )
