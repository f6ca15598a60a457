from __future__ import annotations

from typing import Annotated

import strawberry

from schema import ids
from schema.console import CatalogueImport
from schema.context import Info
from schema.permissions import IsAuthenticated, IsCoordinator
from schema.running import read, run
from schema.types import Field, Language
from services import catalogue, catalogue_files
from services.catalogue_files import CatalogueList

RETIRED_TOO = "Coordinators: the retired ones too."


@strawberry.type
class CatalogueQuery:
    @strawberry.field(
        description="The languages mentors and students can choose, by name.",
        permission_classes=[IsAuthenticated],
    )
    async def languages(
        self,
        info: Info,
        include_retired: Annotated[bool, strawberry.argument(description=RETIRED_TOO)] = False,
    ) -> list[Language]:
        rows = await read(info, catalogue.languages, include_retired=include_retired)
        return [Language.from_row(r) for r in rows]

    @strawberry.field(
        description="The fields of study students and mentors can choose, by school.",
        permission_classes=[IsAuthenticated],
    )
    async def fields(
        self,
        info: Info,
        include_retired: Annotated[bool, strawberry.argument(description=RETIRED_TOO)] = False,
    ) -> list[Field]:
        rows = await read(info, catalogue.fields, include_retired=include_retired)
        return [Field.from_row(r) for r in rows]


@strawberry.type
class CatalogueMutation:
    @strawberry.mutation(
        permission_classes=[IsAuthenticated],
        description="Coordinators: offer a new language (an ISO 639-1 code such as fi).",
    )
    async def add_language(self, info: Info, code: str, name: str) -> Language:
        row = await run(info, catalogue.add_language, code=code, name=name)
        return Language.from_row(row)

    @strawberry.mutation(
        permission_classes=[IsAuthenticated],
        description="Coordinators: change a language's name (its code stays).",
    )
    async def rename_language(self, info: Info, code: str, name: str) -> Language:
        row = await run(info, catalogue.rename_language, code, name=name)
        return Language.from_row(row)

    @strawberry.mutation(
        permission_classes=[IsAuthenticated],
        description=(
            "Coordinators: stop offering a language. Profiles that have it keep it, and "
            "search still finds them."
        ),
    )
    async def retire_language(self, info: Info, code: str) -> Language:
        return await _retire_language(info, code, retired=True)

    @strawberry.mutation(
        permission_classes=[IsAuthenticated],
        description="Coordinators: offer a retired language again.",
    )
    async def reinstate_language(self, info: Info, code: str) -> Language:
        return await _retire_language(info, code, retired=False)

    @strawberry.mutation(
        permission_classes=[IsAuthenticated],
        description="Coordinators: offer a new field of study, in a school.",
    )
    async def add_field(self, info: Info, name: str, school: str) -> Field:
        row = await run(info, catalogue.add_field, name=name, school=school)
        return Field.from_row(row)

    @strawberry.mutation(
        permission_classes=[IsAuthenticated],
        description="Coordinators: rename a field of study, or move it to another school.",
    )
    async def update_field(
        self, info: Info, id: strawberry.ID, name: str | None = None, school: str | None = None
    ) -> Field:
        field_id = ids.decode(id, "Field")
        row = await run(info, catalogue.update_field, field_id, name=name, school=school)
        return Field.from_row(row)

    @strawberry.mutation(
        permission_classes=[IsAuthenticated],
        description=(
            "Coordinators: stop offering a field of study. Profiles that have it keep it, and "
            "search still finds them."
        ),
    )
    async def retire_field(self, info: Info, id: strawberry.ID) -> Field:
        return await _retire_field(info, id, retired=True)

    @strawberry.mutation(
        permission_classes=[IsAuthenticated],
        description="Coordinators: offer a retired field of study again.",
    )
    async def reinstate_field(self, info: Info, id: strawberry.ID) -> Field:
        return await _retire_field(info, id, retired=False)

    @strawberry.mutation(
        permission_classes=[IsCoordinator],
        description=(
            "Coordinators: load a catalogue file's text (CSV, as `mentori catalogue load` "
            "reads): new entries are added, known ones renamed, the rest left as they are. A "
            "mistake on any line changes nothing and is reported with its line number."
        ),
    )
    async def import_catalogue(self, info: Info, what: CatalogueList, csv: str) -> CatalogueImport:
        row = await run(info, catalogue_files.load_text, what=what, text=csv)
        return CatalogueImport.from_row(row)


async def _retire_language(info: Info, code: str, *, retired: bool) -> Language:
    now = info.context.now()
    row = await run(info, catalogue.retire_language, code, retired=retired, now=now)
    return Language.from_row(row)


async def _retire_field(info: Info, id: strawberry.ID, *, retired: bool) -> Field:
    now, field_id = info.context.now(), ids.decode(id, "Field")
    row = await run(info, catalogue.retire_field, field_id, retired=retired, now=now)
    return Field.from_row(row)
