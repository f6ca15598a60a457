"""The programme's vocabularies: languages and fields of study."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from weakref import WeakKeyDictionary

from sqlalchemy import Engine, select
from sqlalchemy.ext.asyncio import AsyncSession

from db.models import Field, Language
from services.errors import invalid
from services.text import has_control_characters


async def languages(session: AsyncSession) -> list[Language]:
    return list(await session.scalars(select(Language).order_by(Language.name)))


async def fields(session: AsyncSession) -> list[Field]:
    return list(await session.scalars(select(Field).order_by(Field.school, Field.name)))


class Known:
    """The language codes and field ids a database has been seen to hold. The catalogue only
    grows (nothing removes a language or a field, and ids are never reused), so what was found
    once is there still; whatever is not known yet is always asked for, so a language or field
    added while the server runs is accepted at once."""

    __slots__ = ("codes", "field_ids")

    def __init__(self) -> None:
        self.codes: set[str] = set()
        self.field_ids: set[int] = set()


# One per engine (per database), kept as long as the engine is.
_known: WeakKeyDictionary[Engine, Known] = WeakKeyDictionary()


def known(session: AsyncSession) -> Known:
    engine = session.get_bind().engine
    found = _known.get(engine)
    if found is None:
        found = _known[engine] = Known()
    return found


async def check_languages(session: AsyncSession, codes: Iterable[str]) -> list[str]:
    wanted = sorted({code.strip().lower() for code in codes})
    cache = known(session)
    # Only what could be a code goes to the database (PostgreSQL refuses a NUL byte outright).
    unsure = [
        code
        for code in wanted
        if code not in cache.codes and len(code) <= 8 and not has_control_characters(code)
    ]
    if unsure:
        cache.codes.update(
            await session.scalars(select(Language.code).where(Language.code.in_(unsure)))
        )
    # Control characters are shown, not printed.
    unknown = [repr(code)[1:-1] for code in wanted if code not in cache.codes]
    if unknown:
        raise invalid(f"Unknown language code: {', '.join(unknown)}.", field="languages")
    return wanted


async def check_fields(session: AsyncSession, ids: Sequence[int]) -> list[int]:
    wanted = sorted(set(ids))
    cache = known(session)
    unsure = [i for i in wanted if i not in cache.field_ids]
    if unsure:
        cache.field_ids.update(await session.scalars(select(Field.id).where(Field.id.in_(unsure))))
    unknown = [str(i) for i in wanted if i not in cache.field_ids]
    if unknown:
        raise invalid(f"Unknown field id: {', '.join(unknown)}.", field="fields")
    return wanted
