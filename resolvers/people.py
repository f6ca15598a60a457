from __future__ import annotations

from typing import Annotated

import strawberry
from strawberry import relay

from schema import ids, pagination
from schema.console import ErasurePreview, Person, PersonConnection
from schema.context import Info
from schema.enums import Role
from schema.permissions import IsCoordinator
from schema.running import read
from services import erasure_preview, people
from services.errors import invalid, quoted


@strawberry.type
class PeopleQuery:
    @strawberry.field(
        description=(
            "Coordinators: the mentors and students of a programme whose name holds every word "
            "searched for (any letter case), in the order they joined."
        ),
        permission_classes=[IsCoordinator],
    )
    async def people(
        self,
        info: Info,
        search: Annotated[str | None, strawberry.argument(description="Words of the name.")] = None,
        role: Annotated[
            Role | None, strawberry.argument(description="MENTOR or STUDENT; both without.")
        ] = None,
        first: int = 20,
        after: str | None = None,
        programme_id: strawberry.ID | None = None,
    ) -> PersonConnection:
        size = pagination.page_size(first, info.context.settings.max_page_size)
        after_id = pagination.after_id(after)
        if role is Role.COORDINATOR:
            raise invalid("People are mentors or students; give MENTOR, STUDENT or no role.")
        programme_key = ids.decode_optional(programme_id, "Programme")
        now = info.context.now()
        rows, total, has_next = await read(
            info,
            people.search,
            programme_key,
            text=search,
            role=role,
            first=size,
            after_id=after_id,
            now=now,
        )
        return PersonConnection.of(
            rows,
            Person.from_row,
            total_count=total,
            has_next_page=has_next,
            has_previous_page=after_id is not None,
        )

    @strawberry.field(
        description=(
            "Coordinators: what erasePerson would do to this person (a User, Mentor or Student "
            "id), counted now, before you confirm it."
        ),
        permission_classes=[IsCoordinator],
    )
    async def erasure_preview(self, info: Info, id: strawberry.ID) -> ErasurePreview:
        try:
            type_name = relay.GlobalID.from_id(id).type_name
        except ValueError as error:
            raise invalid(f"{quoted(id)} is not a global id.") from error
        if type_name not in ("User", "Mentor", "Student"):
            raise invalid("Give the id of a User, a Mentor or a Student.")
        key = ids.decode(id, type_name)
        row = await read(info, erasure_preview.preview, type_name, key)
        return ErasurePreview.from_row(row)
