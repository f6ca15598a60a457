"""`mentori catalogue load` and `export`: the catalogue from (and to) the CSV files a university
edits (db/catalogue/). A load adds what is new, renames what changed and leaves the rest; a
file with any mistake changes nothing (the caller's one transaction) and says on which line."""

from __future__ import annotations

import csv
import io
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from typing import TypeVar

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from db.catalogue import FIELD_COLUMNS, FIELD_OPTIONAL, LANGUAGE_COLUMNS, FileError, Row, read
from db.models import Field, Language, Role
from services import catalogue
from services.errors import DomainError, invalid, quoted
from services.viewer import Viewer, require_role

T = TypeVar("T")


class CatalogueList(StrEnum):
    LANGUAGES = "languages"
    FIELDS = "fields"


@dataclass(slots=True)
class Loaded:
    """What a load did, a sentence a change."""

    what: str  # "languages" or "fields"
    added: list[str] = field(default_factory=list)
    changed: list[str] = field(default_factory=list)
    unchanged: int = 0

    def summary(self) -> str:
        return (
            f"{self.what.capitalize()}: {len(self.added)} added, {len(self.changed)} changed, "
            f"{self.unchanged} unchanged."
        )


async def load_text(
    session: AsyncSession, viewer: Viewer | None, *, what: CatalogueList, text: str
) -> Loaded:
    """A coordinator's upload of one catalogue file: the same load as `mentori catalogue
    load`, in the caller's one transaction, so a mistake on any line changes nothing."""
    require_role(viewer, Role.COORDINATOR)
    text = text.removeprefix("\ufeff")  # as a file saved by Excel starts
    try:
        if what is CatalogueList.LANGUAGES:
            rows = read(text, required=LANGUAGE_COLUMNS)
        else:
            rows = read(text, required=FIELD_COLUMNS, optional=FIELD_OPTIONAL)
    except FileError as error:
        raise invalid(str(error), line=error.line) from error
    if what is CatalogueList.LANGUAGES:
        return await load_languages(session, rows)
    return await load_fields(session, rows)


def _on_line(row: Row, check: Callable[[str], T], value: str) -> T:
    try:
        return check(value)
    except DomainError as error:
        raise at_line(row, error.message) from error


def at_line(row: Row, message: str) -> DomainError:
    return invalid(f"line {row.line}: {message}", line=row.line)


def _once(rows: Sequence[tuple[Row, str]], what: str) -> None:
    """Each name (or code, or id) once in a file: a second is a mistake, not an update."""
    seen: dict[str, Row] = {}
    for row, key in rows:
        first = seen.setdefault(key.lower(), row)
        if first is not row:
            raise at_line(row, f"{what} {quoted(key)} is on line {first.line} already.")


async def load_languages(session: AsyncSession, rows: Sequence[Row]) -> Loaded:
    """Languages by code: a new code is added, a known one takes the file's name."""
    wanted = [
        (
            row,
            _on_line(row, catalogue.checked_code, row.values["code"]),
            _on_line(row, catalogue.checked_language_name, row.values["name"]),
        )
        for row in rows
    ]
    _once([(row, code) for row, code, _ in wanted], "The code")
    _once([(row, name) for row, _, name in wanted], "The name")
    loaded = Loaded("languages")
    for row, code, name in wanted:
        language = await session.get(Language, code)
        if language is not None and language.name == name:
            loaded.unchanged += 1
            continue
        holder = await catalogue.language_named(session, name, other_than=code)
        if holder is not None:
            raise at_line(row, f"The language {holder.code} is called {holder.name!r} already.")
        if language is None:
            session.add(Language(code=code, name=name, retired_at=None))
            loaded.added.append(f"Added language {code}: {name}")
        else:
            loaded.changed.append(f"Renamed language {code}: {language.name} -> {name}")
            language.name = name
        await session.flush()  # one by one: a later row's check sees this one
    return loaded


async def load_fields(session: AsyncSession, rows: Sequence[Row]) -> Loaded:
    """Fields by name, or by id where the file has an `id` column (a rename). A field the
    file leaves out is left as it is: retiring one is a coordinator's decision (the API)."""
    wanted = [
        (
            row,
            _row_id(row),
            _on_line(row, catalogue.checked_field_name, row.values["field"]),
            _on_line(row, catalogue.checked_school, row.values["school"]),
        )
        for row in rows
    ]
    _once([(row, str(i)) for row, i, _, _ in wanted if i is not None], "The id")
    _once([(row, name) for row, _, name, _ in wanted], "The field")
    loaded = Loaded("fields")
    # Renames by id first, so that a row without an id meets the names as they will be.
    for row, field_id, name, school in sorted(wanted, key=lambda w: w[1] is None):
        found = await _field(session, row, field_id, name)
        if found is not None and (found.name, found.school) == (name, school):
            loaded.unchanged += 1
            continue
        holder = await catalogue.field_named(
            session, name, other_than=found.id if found is not None else None
        )
        if holder is not None:
            raise at_line(row, f"Another field (id {holder.id}) is called {holder.name!r}.")
        if found is None:
            session.add(Field(name=name, school=school, retired_at=None))
            loaded.added.append(f"Added field {name!r} ({school})")
        else:
            loaded.changed.append(_change(found, name, school))
            found.name, found.school = name, school
        await session.flush()
    return loaded


def _row_id(row: Row) -> int | None:
    text = row.values.get("id", "")
    if not text:
        return None
    if not (text.isascii() and text.isdigit()) or not 1 <= int(text) < 2**31:
        raise at_line(row, f"The id {quoted(text)} is not a field's number (see the export).")
    return int(text)


async def _field(session: AsyncSession, row: Row, field_id: int | None, name: str) -> Field | None:
    if field_id is not None:
        found = await session.get(Field, field_id)
        if found is None:
            raise at_line(row, f"No field has the id {field_id}.")
        return found
    return await catalogue.field_named(session, name)


def _change(found: Field, name: str, school: str) -> str:
    changes = []
    if found.name != name:
        changes.append(f"renamed {found.name!r} -> {name!r}")
    if found.school != school:
        changes.append(f"moved from {found.school} to {school}")
    return f"Field {found.id}: " + ", ".join(changes)


async def export_fields(session: AsyncSession) -> str:
    """Every field (retired ones too) as a file `load_fields` takes back, ids and all."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(["id", "school", "field"])
    query = select(Field).order_by(Field.school, Field.name)
    writer.writerows([f.id, f.school, f.name] for f in await session.scalars(query))
    return out.getvalue()
