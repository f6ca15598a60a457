"""The programme's vocabularies: languages and fields of study."""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from db.models import Field, Language
from services.errors import invalid
from services.text import has_control_characters


async def languages(session: AsyncSession) -> list[Language]:
    return list(await session.scalars(select(Language).order_by(Language.name)))


async def fields(session: AsyncSession) -> list[Field]:
    return list(await session.scalars(select(Field).order_by(Field.school, Field.name)))


async def check_languages(session: AsyncSession, codes: Iterable[str]) -> list[str]:
    wanted = sorted({code.strip().lower() for code in codes})
    # Only what could be a code goes to the database (PostgreSQL refuses a NUL byte outright).
    plausible = [code for code in wanted if len(code) <= 8 and not has_control_characters(code)]
    known = set(await session.scalars(select(Language.code).where(Language.code.in_(plausible))))
    unknown = [repr(code)[1:-1] for code in wanted if code not in known]  # control chars shown
    if unknown:
        raise invalid(f"Unknown language code: {', '.join(unknown)}.", field="languages")
    return wanted


async def check_fields(session: AsyncSession, ids: Sequence[int]) -> list[int]:
    wanted = sorted(set(ids))
    known = set(await session.scalars(select(Field.id).where(Field.id.in_(wanted))))
    unknown = [str(i) for i in wanted if i not in known]
    if unknown:
        raise invalid(f"Unknown field id: {', '.join(unknown)}.", field="fields")
    return wanted
