"""The programme's vocabularies: languages and fields of study, and the coordinators' changes
to them. Nothing is ever deleted: a retired language or field stays on the profiles that have
it and can still be searched for, but is not offered for new choices."""

from __future__ import annotations

import re
from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import TypeVar
from weakref import WeakKeyDictionary

from sqlalchemy import Engine, func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from db.models import Field, Language, Role
from services.errors import DomainError, ErrorCode, invalid, quoted, shortened
from services.text import has_control_characters, one_line
from services.viewer import Viewer, require_role

# ISO 639-1 (fi), or where a university needs more, ISO 639-2/3 (smn) and a subtag (pt-br).
LANGUAGE_CODE = re.compile(r"[a-z]{2,3}(-[a-z0-9]{2,4})?")
MAX_LANGUAGE_NAME = 64  # the columns' lengths (db/models.py)
MAX_FIELD_NAME = 120
MAX_SCHOOL = 120


@dataclass(frozen=True, slots=True)
class LanguageChoice:
    """A language as a profile shows it (read with the profile, not as the catalogue's row)."""

    code: str
    name: str
    retired: bool


@dataclass(frozen=True, slots=True)
class FieldChoice:
    """A field of study as a profile shows it."""

    id: int
    name: str
    school: str
    retired: bool


Choice = TypeVar("Choice", LanguageChoice, FieldChoice)


def by_name(choices: Iterable[Choice]) -> list[Choice]:
    """A profile's languages and fields are listed by name (compared as written, so alike on
    every database whatever its collation)."""
    return sorted(choices, key=lambda choice: choice.name)


async def languages(
    session: AsyncSession, viewer: Viewer | None, *, include_retired: bool = False
) -> list[Language]:
    """The languages offered (coordinators may ask for the retired ones too), by name."""
    query = select(Language).order_by(Language.name)
    if include_retired:
        require_role(viewer, Role.COORDINATOR)
    else:
        query = query.where(Language.retired_at.is_(None))
    return list(await session.scalars(query))


async def fields(
    session: AsyncSession, viewer: Viewer | None, *, include_retired: bool = False
) -> list[Field]:
    """The fields of study offered (or all, for a coordinator who asks), by school and name."""
    query = select(Field).order_by(Field.school, Field.name)
    if include_retired:
        require_role(viewer, Role.COORDINATOR)
    else:
        query = query.where(Field.retired_at.is_(None))
    return list(await session.scalars(query))


class Known:
    """The language codes and field ids a database has been seen to hold. Nothing removes a
    language or a field (retiring one keeps it), and ids are never reused, so what was found
    once is there still; whatever is not known yet is always asked for, so a language or field
    added while the server runs, by any process, is accepted at once. Whether one is retired is
    not kept here: it is asked for each time a profile newly chooses one."""

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
    """Codes of languages that exist, retired or not (what a search may look for)."""
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
    # Control characters are shown, not printed; a few codes, each by its first characters.
    unknown = [shortened(repr(code)[1:-1]) for code in wanted if code not in cache.codes]
    if unknown:
        raise invalid(f"Unknown language code: {_some(unknown)}.", field="languages")
    return wanted


async def check_chosen_languages(
    session: AsyncSession, codes: Iterable[str], *, kept: Collection[str]
) -> list[str]:
    """Codes a profile may hold: offered ones, and retired ones it holds already (`kept`)."""
    wanted = await check_languages(session, codes)
    new = [code for code in wanted if code not in kept]
    if new:
        retired = list(
            await session.scalars(
                select(Language)
                .where(Language.code.in_(new), Language.retired_at.is_not(None))
                .order_by(Language.name)
            )
        )
        if retired:
            names = [f"{language.name} ({language.code})" for language in retired]
            verb = "is" if len(names) == 1 else "are"
            raise invalid(
                f"{_some(names)} {verb} no longer offered; choose another language.",
                field="languages",
            )
    return wanted


async def check_fields(session: AsyncSession, ids: Sequence[int]) -> list[int]:
    """Ids of fields that exist, retired or not (what a search may look for)."""
    wanted = sorted(set(ids))
    cache = known(session)
    unsure = [i for i in wanted if i not in cache.field_ids]
    if unsure:
        cache.field_ids.update(await session.scalars(select(Field.id).where(Field.id.in_(unsure))))
    unknown = [str(i) for i in wanted if i not in cache.field_ids]
    if unknown:
        raise invalid(f"Unknown field id: {_some(unknown)}.", field="fields")
    return wanted


async def check_chosen_fields(
    session: AsyncSession, ids: Sequence[int], *, kept: Collection[int]
) -> list[int]:
    """Ids a profile may hold: offered fields, and retired ones it holds already (`kept`)."""
    wanted = await check_fields(session, ids)
    new = [i for i in wanted if i not in kept]
    if new:
        retired = list(
            await session.scalars(
                select(Field.name)
                .where(Field.id.in_(new), Field.retired_at.is_not(None))
                .order_by(Field.name)
            )
        )
        if retired:
            verb = "is" if len(retired) == 1 else "are"
            names = [quoted(name) for name in retired]
            raise invalid(
                f"The field {_some(names)} {verb} no longer offered; choose another field.",
                field="fields",
            )
    return wanted


def _some(values: Sequence[str], shown: int = 3) -> str:
    """The first few of a list a person sent, and how many more (never thousands)."""
    more = f" and {len(values) - shown} more" if len(values) > shown else ""
    return ", ".join(values[:shown]) + more


# ---------------------------------------------------------------------------------------------
# What coordinators change (and `mentori catalogue load`, services/catalogue_files.py)
# ---------------------------------------------------------------------------------------------


def checked_code(code: str) -> str:
    value = code.strip().lower()
    if not LANGUAGE_CODE.fullmatch(value):
        raise invalid(
            f"{quoted(code)} is not a language code: use an ISO 639-1 code such as fi or en "
            "(or a three-letter ISO 639-3 code such as smn, or one with a subtag such as pt-br).",
            field="code",
        )
    return value


def checked_language_name(name: str) -> str:
    return one_line(
        name, field="name", label="language name", max_length=MAX_LANGUAGE_NAME, required=True
    )


def checked_field_name(name: str) -> str:
    return one_line(
        name, field="name", label="field name", max_length=MAX_FIELD_NAME, required=True
    )


def checked_school(school: str) -> str:
    return one_line(school, field="school", label="school", max_length=MAX_SCHOOL, required=True)


def _conflict(message: str) -> DomainError:
    return DomainError(ErrorCode.CONFLICT, message)


async def language_named(
    session: AsyncSession, name: str, *, other_than: str | None = None
) -> Language | None:
    """The language called this, whatever the letter case: "finnish" is Finnish again."""
    query = select(Language).where(func.lower(Language.name) == name.lower())
    if other_than is not None:
        query = query.where(Language.code != other_than)
    return await session.scalar(query.limit(1))


async def field_named(
    session: AsyncSession, name: str, *, other_than: int | None = None
) -> Field | None:
    query = select(Field).where(func.lower(Field.name) == name.lower())
    if other_than is not None:
        query = query.where(Field.id != other_than)
    return await session.scalar(query.limit(1))


def language_name_taken(holder: Language) -> DomainError:
    return _conflict(f"The language {holder.code} is called {holder.name!r} already.")


def field_name_taken(holder: Field) -> DomainError:
    return _conflict(f"A field called {holder.name!r} exists already (in {holder.school}).")


async def _flushed(session: AsyncSession, message: str) -> None:
    """Another coordinator may have taken the code or name a moment ago: the database decides."""
    try:
        await session.flush()
    except IntegrityError as error:
        raise _conflict(message) from error


async def _language(session: AsyncSession, code: str) -> Language:
    value = code.strip().lower()
    language = None
    if len(value) <= 8 and not has_control_characters(value):
        language = await session.scalar(
            select(Language).where(Language.code == value).with_for_update()
        )
    if language is None:
        raise DomainError(ErrorCode.NOT_FOUND, f"No language has the code {quoted(code)}.")
    return language


async def _field(session: AsyncSession, field_id: int) -> Field:
    field = await session.scalar(select(Field).where(Field.id == field_id).with_for_update())
    if field is None:
        raise DomainError(ErrorCode.NOT_FOUND, "No field of study with that id exists.")
    return field


async def add_language(
    session: AsyncSession, viewer: Viewer | None, *, code: str, name: str
) -> Language:
    require_role(viewer, Role.COORDINATOR)
    code, name = checked_code(code), checked_language_name(name)
    existing = await session.get(Language, code)
    if existing is not None:
        retired = " (retired: reinstate it to offer it again)" if existing.retired_at else ""
        raise _conflict(f"The code {code} is taken already, by {existing.name}{retired}.")
    if (holder := await language_named(session, name)) is not None:
        raise language_name_taken(holder)
    language = Language(code=code, name=name, retired_at=None)
    session.add(language)
    await _flushed(session, f"The language {code} ({name}) was added a moment ago by someone else.")
    return language


async def rename_language(
    session: AsyncSession, viewer: Viewer | None, code: str, *, name: str
) -> Language:
    require_role(viewer, Role.COORDINATOR)
    name = checked_language_name(name)
    language = await _language(session, code)
    if (holder := await language_named(session, name, other_than=language.code)) is not None:
        raise language_name_taken(holder)
    language.name = name
    await _flushed(session, f"A language was called {name!r} a moment ago by someone else.")
    return language


async def retire_language(
    session: AsyncSession, viewer: Viewer | None, code: str, *, retired: bool, now: datetime
) -> Language:
    """Retire a language (or offer it again): a retired one stays where it is chosen already."""
    require_role(viewer, Role.COORDINATOR)
    language = await _language(session, code)
    _retire(language, retired=retired, now=now)
    await session.flush()
    return language


async def add_field(
    session: AsyncSession, viewer: Viewer | None, *, name: str, school: str
) -> Field:
    require_role(viewer, Role.COORDINATOR)
    name, school = checked_field_name(name), checked_school(school)
    if (holder := await field_named(session, name)) is not None:
        raise field_name_taken(holder)
    field = Field(name=name, school=school, retired_at=None)
    session.add(field)
    await _flushed(session, f"A field called {name!r} was added a moment ago by someone else.")
    return field


async def update_field(
    session: AsyncSession,
    viewer: Viewer | None,
    field_id: int,
    *,
    name: str | None = None,
    school: str | None = None,
) -> Field:
    """Rename a field, or move it to another school: profiles keep it (they hold its id)."""
    require_role(viewer, Role.COORDINATOR)
    name = None if name is None else checked_field_name(name)
    school = None if school is None else checked_school(school)
    field = await _field(session, field_id)
    if name is not None:
        if (holder := await field_named(session, name, other_than=field.id)) is not None:
            raise field_name_taken(holder)
        field.name = name
    if school is not None:
        field.school = school
    await _flushed(session, f"A field was called {name!r} a moment ago by someone else.")
    return field


async def retire_field(
    session: AsyncSession, viewer: Viewer | None, field_id: int, *, retired: bool, now: datetime
) -> Field:
    require_role(viewer, Role.COORDINATOR)
    field = await _field(session, field_id)
    _retire(field, retired=retired, now=now)
    await session.flush()
    return field


def _retire(entry: Language | Field, *, retired: bool, now: datetime) -> None:
    """Retired since its first retirement (asked again, it keeps that date); offered again
    at once."""
    if not retired:
        entry.retired_at = None
    elif entry.retired_at is None:
        entry.retired_at = now
